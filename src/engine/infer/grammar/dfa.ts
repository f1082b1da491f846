import type { GrammarNode, Program } from './program.js';

/**
 * The program run as a lazily built DFA over bytes (subset construction on demand, Rabin & Scott 1959):
 * a DFA state is the set of NFA positions reachable after the bytes so far, interned by its sorted key;
 * transitions are computed once per (state, byte) and cached in a 256-entry table.
 *
 * A position packs (node, local): `local` is 0 except in `str` nodes, where it is count * 16 + sub, with
 * `sub` the UTF-8 / escape progress within the current character (table below).
 */
export const DEAD = -1;
const UNKNOWN = -2;
const LOCAL = 65536;

// `sub` values inside a `str` node.
const AT_CHAR = 0;
const CONT1 = 1; // one continuation byte 80-BF left
const CONT2 = 2; // two left
const CONT3 = 3; // three left
const E0 = 4; // after E0: A0-BF, then one more
const ED = 5; // after ED: 80-9F (no surrogates), then one more
const F0 = 6; // after F0: 90-BF, then two more
const F4 = 7; // after F4: 80-8F, then two more
const ESCAPE = 8; // after a backslash
const HEX1 = 9; // \u with 4 hex digits left; HEX1 + k: 4 - k left

export interface DfaState {
  readonly positions: readonly number[];
  readonly accepting: boolean;
  readonly trans: Int32Array;
}

export class LazyDfa {
  readonly states: DfaState[] = [];
  private readonly index = new Map<string, number>();
  readonly start: number;
  /** Bytes every node treats alike share a class; a transition computed for one is stored for all. */
  private readonly classOf: Uint8Array;
  private readonly classMembers: number[][];
  /** `onlyByte` per state: the byte, -1 for none, -2 for several. */
  private readonly only = new Map<number, number>();

  constructor(
    readonly program: Program,
    startNode: number,
  ) {
    const [classOf, members] = byteClasses(program);
    this.classOf = classOf;
    this.classMembers = members;
    const out = new Set<number>();
    const acc = this.closure(startNode, 0, out);
    this.start = this.intern(out, acc);
  }

  state(id: number): DfaState {
    const s = this.states[id];
    if (!s) throw new Error(`internal: grammar state ${id} does not exist`);
    return s;
  }

  /** The state after `byte`, or DEAD. */
  step(id: number, byte: number): number {
    const s = this.state(id);
    const hit = s.trans[byte] ?? DEAD;
    if (hit !== UNKNOWN) return hit;
    const out = new Set<number>();
    let acc = false;
    for (const pos of s.positions) acc = this.advance(pos, byte, out) || acc;
    const to = out.size === 0 && !acc ? DEAD : this.intern(out, acc);
    for (const b of this.classMembers[this.classOf[byte] ?? 0] ?? [byte]) s.trans[b] = to;
    return to;
  }

  /** The state holding just one position (a state's language is the union of its positions' languages). */
  single(pos: number): number {
    return this.intern(new Set([pos]), false);
  }

  /** The single byte state `id` admits, or null when it admits none or several (cached per state). */
  onlyByte(id: number): number | null {
    const hit = this.only.get(id);
    if (hit !== undefined) return hit < 0 ? null : hit;
    let only = -1;
    for (let b = 0; b < 256; b++) {
      if (this.step(id, b) === DEAD) continue;
      if (only >= 0) {
        only = -2;
        break;
      }
      only = b;
    }
    this.only.set(id, only);
    return only < 0 ? null : only;
  }

  /** Whether state `id` admits any byte at all (from `onlyByte`'s per-state cache). */
  admitsAny(id: number): boolean {
    this.onlyByte(id);
    return this.only.get(id) !== -1;
  }

  /** Runs bytes from a state; DEAD as soon as one is refused. */
  run(id: number, bytes: Uint8Array): number {
    let at = id;
    for (let i = 0; i < bytes.length && at !== DEAD; i++) at = this.step(at, bytes[i] ?? 0);
    return at;
  }

  private node(n: number): GrammarNode {
    const node = this.program.nodes[n];
    if (!node) throw new Error(`internal: grammar node ${n} does not exist`);
    return node;
  }

  private intern(positions: Set<number>, accepting: boolean): number {
    const sorted = [...positions].sort((a, b) => a - b);
    const key = `${accepting ? 'A' : ''}${sorted.join(',')}`;
    const hit = this.index.get(key);
    if (hit !== undefined) return hit;
    const id = this.states.length;
    this.states.push({ positions: sorted, accepting, trans: new Int32Array(256).fill(UNKNOWN) });
    this.index.set(key, id);
    return id;
  }

  /** Adds the consuming positions reachable from (node, local) without input; true when `end` is reachable. */
  private closure(n: number, local: number, out: Set<number>): boolean {
    const node = this.node(n);
    if (node.k === 'end') return true;
    if (node.k === 'split') {
      let acc = false;
      for (const to of node.to) acc = this.closure(to, 0, out) || acc;
      return acc;
    }
    out.add(n * LOCAL + local);
    return false;
  }

  private advance(pos: number, b: number, out: Set<number>): boolean {
    const n = Math.floor(pos / LOCAL);
    const node = this.node(n);
    switch (node.k) {
      case 'byte':
        return b === node.b ? this.closure(node.next, 0, out) : false;
      case 'class':
        return node.set[b] === 1 ? this.closure(node.next, 0, out) : false;
      case 'str': {
        const local = pos % LOCAL;
        const count = local >> 4;
        const sub = stringStep(local & 15, count, node.min, node.max, b);
        if (sub === CLOSED) return this.closure(node.next, 0, out);
        if (sub === REFUSED) return false;
        const nextCount = (local & 15) === AT_CHAR ? count + 1 : count;
        out.add(n * LOCAL + nextCount * 16 + sub);
        return false;
      }
      default:
        return false;
    }
  }
}

/**
 * Partition of the 256 byte values into classes no node can tell apart (the byte-class trick of regex
 * engines): membership in every `class` set, every literal byte, and the ranges `str` nodes distinguish.
 */
function byteClasses(program: Program): [Uint8Array, number[][]] {
  const sets = new Set<Uint8Array>();
  const literals = new Set<number>();
  for (const node of program.nodes) {
    if (node.k === 'class') sets.add(node.set);
    else if (node.k === 'byte') literals.add(node.b);
  }
  const signature: string[] = Array.from({ length: 256 }, (_, b) => STRING_BYTE_KIND[b] ?? '');
  let i = 0;
  for (const set of sets) {
    for (let b = 0; b < 256; b++) if (set[b]) signature[b] += `,${i}`;
    i++;
  }
  for (const b of literals) signature[b] += `,=${b}`;
  const ids = new Map<string, number>();
  const classOf = new Uint8Array(256);
  const members: number[][] = [];
  for (let b = 0; b < 256; b++) {
    const sig = signature[b] ?? '';
    let c = ids.get(sig);
    if (c === undefined) {
      c = members.length;
      ids.set(sig, c);
      members.push([]);
    }
    classOf[b] = c;
    members[c]?.push(b);
  }
  return [classOf, members];
}

/** How `stringStep` sees each byte: the ranges and single bytes it tests. */
const STRING_BYTE_KIND: string[] = Array.from({ length: 256 }, (_, b) => {
  if (b === 0x22 || b === 0x5c || b === 0x75 || b === 0xe0 || b === 0xed || b === 0xf0 || b === 0xf4)
    return `s${b}`;
  if ('/bfnrt'.includes(String.fromCharCode(b)) && b < 0x80) return `e${b}`;
  const hex = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66) ? 'h' : '';
  if (b < 0x20) return 'ctl';
  if (b < 0x80) return `a${hex}`;
  if (b <= 0x8f) return 'c1';
  if (b <= 0x9f) return 'c2';
  if (b <= 0xbf) return 'c3';
  if (b <= 0xc1) return 'bad';
  if (b <= 0xdf) return 'l2';
  if (b <= 0xef) return 'l3';
  if (b <= 0xf3) return 'l4';
  return 'bad';
});

const CLOSED = -1;
const REFUSED = -2;

/**
 * One byte of a JSON string body (RFC 8259 §7) as UTF-8 (RFC 3629 §4 well-formed sequences). Returns the
 * next `sub`, CLOSED for the closing quote, or REFUSED. A character is counted when it starts.
 */
function stringStep(sub: number, count: number, min: number, max: number, b: number): number {
  switch (sub) {
    case AT_CHAR:
      if (b === 0x22) return count >= min ? CLOSED : REFUSED;
      if (count >= max || b < 0x20) return REFUSED;
      if (b === 0x5c) return ESCAPE;
      if (b < 0x80) return AT_CHAR;
      if (b >= 0xc2 && b <= 0xdf) return CONT1;
      if (b === 0xe0) return E0;
      if (b === 0xed) return ED;
      if (b >= 0xe1 && b <= 0xef) return CONT2;
      if (b === 0xf0) return F0;
      if (b === 0xf4) return F4;
      if (b >= 0xf1 && b <= 0xf3) return CONT3;
      return REFUSED;
    case CONT1:
      return b >= 0x80 && b <= 0xbf ? AT_CHAR : REFUSED;
    case CONT2:
      return b >= 0x80 && b <= 0xbf ? CONT1 : REFUSED;
    case CONT3:
      return b >= 0x80 && b <= 0xbf ? CONT2 : REFUSED;
    case E0:
      return b >= 0xa0 && b <= 0xbf ? CONT1 : REFUSED;
    case ED:
      return b >= 0x80 && b <= 0x9f ? CONT1 : REFUSED;
    case F0:
      return b >= 0x90 && b <= 0xbf ? CONT2 : REFUSED;
    case F4:
      return b >= 0x80 && b <= 0x8f ? CONT2 : REFUSED;
    case ESCAPE:
      if (b === 0x75) return HEX1; // \u
      return '"\\/bfnrt'.includes(String.fromCharCode(b)) ? AT_CHAR : REFUSED;
    default: {
      const isHex = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
      if (!isHex) return REFUSED;
      return sub === HEX1 + 3 ? AT_CHAR : sub + 1;
    }
  }
}

/**
 * A key under which states share one token mask. Inside a `str` node the count only matters while the
 * minimum is unmet or fewer than `horizon` characters are left before the maximum (`horizon` = the longest
 * token in bytes): elsewhere every count admits the same tokens, so it is written as `F`.
 */
export function maskKey(dfa: LazyDfa, id: number, horizon: number): string {
  const s = dfa.state(id);
  return `${s.accepting ? 'A' : ''}${s.positions.map((pos) => positionKey(dfa, pos, horizon)).join(',')}`;
}

export function positionKey(dfa: LazyDfa, pos: number, horizon: number): string {
  const info = stringPosition(dfa, pos);
  if (!info) return `${Math.floor(pos / LOCAL)}`;
  const far = info.count >= info.min && info.max - info.count >= horizon;
  return `${info.node}:${far ? 'F' : info.count}:${info.sub}`;
}

/** The program node of a DFA position. */
export function positionNode(pos: number): number {
  return Math.floor(pos / LOCAL);
}

/** Where a position inside a `str` node stands, or null for other nodes. */
export function stringPosition(
  dfa: LazyDfa,
  pos: number,
): { node: number; count: number; sub: number; min: number; max: number; atChar: boolean } | null {
  const n = Math.floor(pos / LOCAL);
  const node = dfa.program.nodes[n];
  if (node?.k !== 'str') return null;
  const local = pos % LOCAL;
  const sub = local & 15;
  return { node: n, count: local >> 4, sub, min: node.min, max: node.max, atChar: sub === AT_CHAR };
}

/**
 * Breadth-first search over the grammar's DFA for the fewest bytes from `from` to an accepting state. Every
 * grammar state can reach acceptance (the grammar has no dead ends), so this ends after a few dozen levels.
 */
export function shortestAccepted(dfa: LazyDfa, from: number): Uint8Array | null {
  const parent = new Map<number, { prev: number; byte: number }>([[from, { prev: -1, byte: -1 }]]);
  let frontier = [from];
  let found = dfa.state(from).accepting ? from : -1;
  while (found < 0 && frontier.length > 0) {
    const next: number[] = [];
    for (const s of frontier) {
      for (let b = 0; b < 256 && found < 0; b++) {
        const t = dfa.step(s, b);
        if (t === DEAD || parent.has(t)) continue;
        parent.set(t, { prev: s, byte: b });
        if (dfa.state(t).accepting) found = t;
        next.push(t);
      }
      if (found >= 0) break;
    }
    frontier = next;
  }
  if (found < 0) return null;
  const out: number[] = [];
  for (let s = found; s !== from; s = parent.get(s)!.prev) out.push(parent.get(s)!.byte);
  return Uint8Array.from(out.reverse());
}
