import { DEAD, maskKey, positionNode, type LazyDfa } from './dfa.js';
import type { ByteTrie, VocabTrie } from './vocab.js';

/**
 * The copy constraint: inside a free string value (a copy region of the program, see `Program.markCopy`) the
 * bytes written must continue a substring of the task, JSON-escaped (`JSON.stringify(task).slice(1, -1)`, so
 * quotes and backslashes compare as they are written), or of one of the values the spec suggests for that
 * value; the string may close wherever the grammar lets it. A 135M model copies long values (UUIDs, URLs,
 * names) badly token by token; under this constraint it only chooses where a copy starts and ends. This is the
 * idea of prompt-lookup and copy mechanisms (See et al. 2017, "Get To The Point") turned into a hard mask.
 *
 * A run tracks the source positions (index of the next byte) that the copy so far can continue from. Only
 * positions from which the grammar can still finish the string ("viable": e.g. a UUID format needs 36 more
 * matching bytes) count, so a copy never reaches a dead end. A string none of whose start positions is viable
 * (a UUID the task does not contain) is left free, as are strings entered other than by their opening quote.
 */
const QUOTE = 0x22;
const SPACE = 0x20;

export interface CopyRun {
  readonly source: CopySource;
  /** Index of the next source byte for every place the copy so far can continue from. */
  readonly positions: readonly number[];
}

/** The text a region copies from: the task, then the region's suggested values, separated by 0 bytes. */
export class CopySource {
  readonly bytes: Uint8Array;
  /** Viability per (DFA state, position), see `CopyConstraint.viable`. */
  readonly viable = new Map<number, boolean>();
  /** Forced tokens per (DFA state, run positions), see `CopyConstraint.forced`. */
  readonly forced = new Map<string, number[]>();

  constructor(parts: readonly string[]) {
    // 0 never occurs in JSON string content (control bytes are escaped), so no copy runs across a separator.
    this.bytes = new TextEncoder().encode(parts.join('\u0000'));
  }
}

/** What the constraint needs from a token grammar (TokenGrammar fits). */
export interface CopyGrammar {
  readonly dfa: LazyDfa;
  readonly vocab: VocabTrie;
  mask(state: number): Uint32Array;
  /** True when nothing but the end can follow `state`. */
  isFinal(state: number): boolean;
  /** `shortestAccepted` from a state, cached (TokenGrammar.shortest). */
  shortest(state: number): Uint8Array | null;
  /** Forced bytes as tokens, the last held back unless `reachesEnd` (TokenGrammar.encodeForced). */
  encodeForced(bytes: Uint8Array, reachesEnd: boolean): number[];
}

/** Most bytes one forced walk takes: a guard, since the grammar's strings and the copied text are finite. */
const MAX_FORCED_BYTES = 4096;
/** Runs with at most this many positions get their forced tokens cached (longer keys cost more than a walk). */
const MAX_CACHED_POSITIONS = 16;

/** Per DFA: the copy regions of each state, or null when a position lies outside every region. */
const regionCache = new WeakMap<LazyDfa, Map<number, readonly number[] | null>>();

export function copyRegions(dfa: LazyDfa, state: number): readonly number[] | null {
  let cache = regionCache.get(dfa);
  if (!cache) {
    cache = new Map();
    regionCache.set(dfa, cache);
  }
  const hit = cache.get(state);
  if (hit !== undefined) return hit;
  const regions = new Set<number>();
  let inside = dfa.state(state).positions.length > 0;
  for (const pos of dfa.state(state).positions) {
    const region = dfa.program.copyRegionOf.get(positionNode(pos));
    if (region === undefined) inside = false;
    else regions.add(region);
  }
  const out = inside ? [...regions].sort((a, b) => a - b) : null;
  cache.set(state, out);
  return out;
}

const BACKSLASH = 0x5c;
/** Punctuation that ends a copied value when a space (or the end) follows it. */
const VALUE_END = new Set([...".,;:!?)'"].map((c) => c.charCodeAt(0)));

/** True when a copied value most likely ends before source byte `q` (see `CopyConstraint.continuation`). */
function valueEnds(src: Uint8Array, q: number): boolean {
  const b = src[q] ?? 0;
  if (b === 0 || b === BACKSLASH) return true;
  const after = src[q + 1] ?? 0;
  return VALUE_END.has(b) && (after === 0 || after === 0x20 || after === BACKSLASH);
}

/** One matcher's copy constraint (the task is fixed for the matcher's life). */
export class CopyConstraint {
  private readonly sources = new Map<string, CopySource>();
  private readonly outside = new Map<string, Uint32Array>();
  /** Forced tokens per DFA state outside a copy run (entering one depends on the state only). */
  private readonly forcedOutside = new Map<number, number[]>();
  /** `completionBytes` per DFA state. */
  private readonly completions = new Map<number, readonly number[]>();
  private readonly task: string;

  constructor(
    private readonly grammar: CopyGrammar,
    task: string,
  ) {
    this.task = JSON.stringify(task).slice(1, -1);
  }

  isCopyState(state: number): boolean {
    return copyRegions(this.grammar.dfa, state) !== null;
  }

  /** One byte under the grammar and the copy rule: the next state and run, or null when refused. */
  step(state: number, run: CopyRun | null, b: number): { state: number; run: CopyRun | null } | null {
    const t = this.grammar.dfa.step(state, b);
    if (t === DEAD) return null;
    if (run) {
      if (b === QUOTE && !this.isCopyState(t)) return { state: t, run: null }; // the closing quote
      const next: number[] = [];
      for (const q of run.positions) if (run.source.bytes[q] === b) next.push(q + 1);
      if (next.length === 0) return null;
      return { state: t, run: this.isCopyState(t) ? { source: run.source, positions: next } : null };
    }
    if (b === QUOTE && !this.isCopyState(state) && this.isCopyState(t))
      return { state: t, run: this.enter(t) };
    return { state: t, run: null };
  }

  /** A token's bytes, or null when refused. */
  advance(
    state: number,
    run: CopyRun | null,
    bytes: Uint8Array,
  ): { state: number; run: CopyRun | null } | null {
    let at: { state: number; run: CopyRun | null } | null = { state, run };
    for (let i = 0; i < bytes.length && at; i++) at = this.step(at.state, at.run, bytes[i] ?? 0);
    return at;
  }

  /** The run of a string just opened in `state`, or null (free) when no start position is viable. */
  private enter(state: number): CopyRun | null {
    const regions = copyRegions(this.grammar.dfa, state) ?? [];
    const key = regions.join(',');
    let source = this.sources.get(key);
    if (!source) {
      const alternatives = regions.flatMap((r) => this.grammar.dfa.program.copyAlternatives[r] ?? []);
      source = new CopySource([this.task, ...new Set(alternatives)]);
      this.sources.set(key, source);
    }
    const positions: number[] = [];
    // A copy starts at a byte of text: a value never begins with the space before it (" Dell XPS 15").
    for (let q = 0; q < source.bytes.length; q++)
      if (source.bytes[q] !== 0 && source.bytes[q] !== SPACE && this.viable(state, source, q))
        positions.push(q);
    return positions.length > 0 ? { source, positions } : null;
  }

  private closes(state: number): boolean {
    const t = this.grammar.dfa.step(state, QUOTE);
    return t !== DEAD && !this.isCopyState(t);
  }

  /**
   * True when the grammar can finish the string from `state` by copying on from position `q` (possibly
   * nothing more). The walk along the source is deterministic, so every pair it passes shares its answer.
   */
  private viable(state: number, source: CopySource, q: number): boolean {
    const { bytes } = source;
    const stride = bytes.length + 1;
    const path: number[] = [];
    let s = state;
    let at = q;
    let result: boolean;
    for (;;) {
      const key = s * stride + at;
      const hit = source.viable.get(key);
      if (hit !== undefined) {
        result = hit;
        break;
      }
      path.push(key);
      if (this.closes(s)) {
        result = true;
        break;
      }
      const b = bytes[at] ?? 0;
      const t = b === 0 ? DEAD : this.grammar.dfa.step(s, b);
      if (t === DEAD || !this.isCopyState(t)) {
        result = t !== DEAD; // leaving the region on a content byte: a format's last character
        break;
      }
      s = t;
      at++;
    }
    for (const key of path) source.viable.set(key, result);
    return result;
  }

  /**
   * Tokens forced from (state, run): the bytes grammar ∩ copy admits one way only, encoded the canonical way
   * with the last token held back unless the output ends (`encodeForced`). Inside a copy a byte is forced when
   * every viable position continues with it and the string cannot close there, so a UUID or date-time copy is
   * forced as soon as its prefix matches one place of the source (at once, after the opening quote, when the
   * task holds one UUID); a free string that may close anywhere never is. Outside a copy the grammar's only
   * byte is forced, and its opening quote may enter a copy. Stops where the output could end (a stop token is
   * then a choice).
   */
  forced(state: number, run: CopyRun | null): number[] {
    const key = !run
      ? null
      : run.positions.length <= MAX_CACHED_POSITIONS
        ? `${state}:${run.positions.join(',')}`
        : undefined;
    const hit = key === null ? this.forcedOutside.get(state) : key && run?.source.forced.get(key);
    if (hit) return hit;
    const walk = this.forcedBytes(state, run);
    const tokens = this.grammar.encodeForced(Uint8Array.from(walk.bytes), this.grammar.isFinal(walk.state));
    if (key === null) this.forcedOutside.set(state, tokens);
    else if (key) run?.source.forced.set(key, tokens);
    return tokens;
  }

  private forcedBytes(state: number, run: CopyRun | null): { bytes: number[]; state: number } {
    const bytes: number[] = [];
    let at: { state: number; run: CopyRun | null } | null = { state, run };
    while (bytes.length < MAX_FORCED_BYTES && !this.grammar.dfa.state(at.state).accepting) {
      const b = at.run ? this.onlyCopyByte(at.state, at.run) : this.grammar.dfa.onlyByte(at.state);
      if (b === null) break;
      const next = this.step(at.state, at.run, b);
      if (!next) break; // admitted bytes are never refused; a guard, not a path
      bytes.push(b);
      at = next;
    }
    return { bytes, state: at.state };
  }

  /**
   * Inside a copy: the one byte the mask's byte rule admits (`walk`: a content byte some position continues
   * with and the grammar can finish from, or the closing quote), or null when none or several.
   */
  private onlyCopyByte(state: number, run: CopyRun): number | null {
    const { dfa } = this.grammar;
    const closes = this.closes(state);
    let only: number | null = closes ? QUOTE : null;
    for (const q of run.positions) {
      const b = run.source.bytes[q] ?? 0;
      if (b === 0 || b === only) continue;
      const t = dfa.step(state, b);
      if (t === DEAD || (b === QUOTE && !this.isCopyState(t))) continue;
      if (this.isCopyState(t) && !this.viable(t, run.source, q + 1)) continue;
      if (only !== null) return null;
      only = b;
    }
    return only;
  }

  /**
   * A guess at the rest of the string being copied, for drafts (lookup.ts): the source's bytes from the run's
   * first position up to a likely end of the value (the end of the task or suggested value, an escape, or
   * punctuation followed by a space), then the closing quote where the string can close. Returns the bytes and
   * the state after them; a refused byte ends the guess early.
   */
  continuation(state: number, run: CopyRun): { bytes: number[]; state: number } {
    const src = run.source.bytes;
    const bytes: number[] = [];
    let at: { state: number; run: CopyRun | null } = {
      state,
      run: { source: run.source, positions: [run.positions[0]!] },
    };
    let q = run.positions[0]!;
    while (at.run && bytes.length < MAX_FORCED_BYTES && !(valueEnds(src, q) && this.closes(at.state))) {
      const next = this.step(at.state, at.run, src[q]!);
      if (!next) return { bytes, state: at.state };
      bytes.push(src[q]!);
      at = next;
      q++;
    }
    if (at.run && this.closes(at.state)) {
      bytes.push(QUOTE);
      at = { state: this.grammar.dfa.step(at.state, QUOTE), run: null };
    }
    return { bytes, state: at.state };
  }

  /**
   * The shortest bytes completing the output from `state` (outside a copy), cut after the opening quote of a
   * copied string: where its value starts is the model's choice. Cached per state.
   */
  completionBytes(state: number): readonly number[] {
    const hit = this.completions.get(state);
    if (hit) return hit;
    const bytes: number[] = [];
    let at: { state: number; run: CopyRun | null } | null = { state, run: null };
    for (const b of this.grammar.shortest(state) ?? []) {
      at = this.step(at.state, null, b);
      if (!at) break;
      bytes.push(b);
      if (at.run) break;
    }
    this.completions.set(state, bytes);
    return bytes;
  }

  /**
   * True when `mask(state, run)` has the token spelled by `bytes`: the same rules, walked for one token instead
   * of the vocabulary (drafts check a few tokens in states the decoder may never reach).
   */
  allows(state: number, run: CopyRun | null, bytes: Uint8Array): boolean {
    if (bytes.length === 0) return false;
    let at: { state: number; run: CopyRun | null } = { state, run };
    for (const b of bytes) {
      const next = this.step(at.state, at.run, b);
      if (!next) return false;
      // As `walk`: a copy continued inside its string must stay finishable (a string just entered is, by `enter`).
      if (at.run && next.run && !this.alive(next.state, next.run)) return false;
      at = next;
    }
    return true;
  }

  /** True when the copy `run` can still be finished from `state`. */
  alive(state: number, run: CopyRun): boolean {
    return run.positions.some((q) => this.viable(state, run.source, q));
  }

  /**
   * Allowed tokens. Inside a copy, a walk of the vocabulary trie along the source from each position (no scan
   * of the whole vocabulary). Elsewhere the grammar's mask, re-checked only for tokens that can open a string
   * and write part of its content (`quoteInner`).
   */
  mask(state: number, run: CopyRun | null): Uint32Array {
    const { vocab } = this.grammar;
    if (run) return this.walk(vocab.all, state, run, new Uint32Array(Math.ceil(vocab.vocabSize / 32)));
    const key = maskKey(this.grammar.dfa, state, vocab.maxTokenBytes);
    const hit = this.outside.get(key);
    if (hit) return hit;
    const mask = Uint32Array.from(this.grammar.mask(state));
    const trie = vocab.quoteInner;
    for (const id of trie.tokenIds) mask[id >>> 5]! &= ~(1 << (id & 31));
    this.walk(trie, state, null, mask);
    if (this.outside.size >= 1024) this.outside.clear();
    this.outside.set(key, mask);
    return mask;
  }

  /** Sets the bits of `trie`'s tokens allowed from (state, run), depth-first. */
  private walk(trie: ByteTrie, state: number, run: CopyRun | null, mask: Uint32Array): Uint32Array {
    const { dfa } = this.grammar;
    const stack: { node: number; state: number; run: CopyRun | null }[] = [{ node: 0, state, run }];
    const visit = (node: number, s: number, r: CopyRun | null): void => {
      const end = trie.tokenStart[node + 1] ?? 0;
      for (let k = trie.tokenStart[node] ?? 0; k < end; k++) {
        const id = trie.tokenIds[k] ?? 0;
        mask[id >>> 5]! |= 1 << (id & 31);
      }
      stack.push({ node, state: s, run: r });
    };
    while (stack.length > 0) {
      const f = stack.pop()!;
      if (f.run) {
        const groups = new Map<number, number[]>();
        for (const q of f.run.positions) {
          const b = f.run.source.bytes[q] ?? 0;
          if (b === 0) continue;
          const g = groups.get(b);
          if (g) g.push(q + 1);
          else groups.set(b, [q + 1]);
        }
        for (const [b, next] of groups) {
          const c = trie.child(f.node, b);
          const t = c < 0 ? DEAD : dfa.step(f.state, b);
          if (t === DEAD || (b === QUOTE && !this.isCopyState(t))) continue;
          if (!this.isCopyState(t)) visit(c, t, null);
          else {
            const r = { source: f.run.source, positions: next };
            if (this.alive(t, r)) visit(c, t, r);
          }
        }
        const t = dfa.step(f.state, QUOTE);
        const c = trie.child(f.node, QUOTE);
        if (t !== DEAD && c >= 0 && !this.isCopyState(t)) visit(c, t, null);
        continue;
      }
      for (let c = trie.firstChild[f.node] ?? -1; c !== -1; c = trie.nextSibling[c] ?? -1) {
        const b = trie.byte[c] ?? 0;
        const next = this.step(f.state, null, b);
        if (next) visit(c, next.state, next.run);
      }
    }
    return mask;
  }
}
