import { JSON_SAFE_ASCII, type ByteSet, type Program } from './program.js';

/**
 * A small regular-expression compiler for `pattern` keywords: literals, escapes (\d \w \s and escaped
 * punctuation), classes with ranges and negation, `.`, groups with `|`, and the quantifiers ? * + {n} {n,}
 * {n,m}. The grammar writes a whole match of the pattern (anchored or not: a string that is a match also
 * contains one). Only printable ASCII that needs no JSON escape is written; open-ended quantifiers stop after
 * 16 more repetitions. Returns null for anything outside this subset (the caller then writes a free string).
 */
export function compilePattern(p: Program, pattern: string, next: number): number | null {
  const ast = parsePattern(pattern);
  if (ast === null || states(ast) > MAX_PATTERN_STATES) return null;
  return emit(p, ast, next);
}

/**
 * Most states one pattern may add: nested counted repeats multiply (`((a{64}){64}){64}` is 262,144), so the
 * count is checked before anything is emitted. Spec ingest refuses patterns past it (specs/budget.ts).
 */
export const MAX_PATTERN_STATES = 4_096;

/** States `compilePattern` adds for `pattern`, or null when the pattern is outside the subset it compiles. */
export function patternStates(pattern: string): number | null {
  const ast = parsePattern(pattern);
  return ast === null ? null : states(ast);
}

function parsePattern(pattern: string): Ast | null {
  let source = pattern;
  if (source.startsWith('^')) source = source.slice(1);
  if (source.endsWith('$') && !source.endsWith('\\$')) source = source.slice(0, -1);
  try {
    const parser = new Parser(source);
    const ast = parser.alternation();
    return parser.atEnd() ? ast : null;
  } catch (e) {
    if (e instanceof Unsupported) return null;
    throw e;
  }
}

/** An upper bound of the states `emit` adds: one per set and split, repeats copy their body. */
function states(ast: Ast): number {
  switch (ast.t) {
    case 'set':
      return 1;
    case 'seq':
      return ast.items.reduce((n, item) => n + states(item), 0);
    case 'alt':
      return ast.options.reduce((n, o) => n + states(o), 1);
    case 'rep':
      return ast.max * (states(ast.node) + 1) + 1;
  }
}

type Ast =
  | { t: 'set'; set: ByteSet }
  | { t: 'seq'; items: Ast[] }
  | { t: 'alt'; options: Ast[] }
  | { t: 'rep'; node: Ast; min: number; max: number };

class Unsupported extends Error {}

const OPEN_END = 16;
const SAFE = setOf(JSON_SAFE_ASCII);

function setOf(spec: string): ByteSet {
  const set = new Uint8Array(256);
  for (let i = 0; i < spec.length; i++) {
    const c = spec.charCodeAt(i);
    if (spec[i + 1] === '-' && i + 2 < spec.length) {
      for (let b = c; b <= spec.charCodeAt(i + 2); b++) set[b] = 1;
      i += 2;
    } else set[c] = 1;
  }
  return set;
}

const ESCAPES: Record<string, string> = { d: '0-9', w: 'a-zA-Z0-9_', s: ' ' };

class Parser {
  private i = 0;
  constructor(private readonly src: string) {}

  atEnd(): boolean {
    return this.i >= this.src.length;
  }

  alternation(): Ast {
    const options = [this.sequence()];
    while (this.src[this.i] === '|') {
      this.i++;
      options.push(this.sequence());
    }
    return options.length === 1 ? (options[0] as Ast) : { t: 'alt', options };
  }

  private sequence(): Ast {
    const items: Ast[] = [];
    while (!this.atEnd() && this.src[this.i] !== '|' && this.src[this.i] !== ')')
      items.push(this.quantified());
    return { t: 'seq', items };
  }

  private quantified(): Ast {
    const node = this.atom();
    const c = this.src[this.i];
    if (c === '?' || c === '*' || c === '+') {
      this.i++;
      if (this.src[this.i] === '?') this.i++; // lazy quantifiers match the same strings
      return { t: 'rep', node, min: c === '+' ? 1 : 0, max: c === '?' ? 1 : OPEN_END };
    }
    const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
    if (!m) return node;
    this.i += m[0].length;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? min + OPEN_END : Number(m[3]);
    if (max > 256 || max < min) throw new Unsupported();
    return { t: 'rep', node, min, max };
  }

  private atom(): Ast {
    const c = this.src[this.i++] ?? '';
    if (c === '(') {
      if (this.src.startsWith('?:', this.i)) this.i += 2;
      else if (this.src[this.i] === '?') throw new Unsupported(); // lookarounds, named groups
      const inner = this.alternation();
      if (this.src[this.i++] !== ')') throw new Unsupported();
      return inner;
    }
    if (c === '[') return { t: 'set', set: this.charClass() };
    if (c === '.') return { t: 'set', set: SAFE };
    if (c === '\\') return { t: 'set', set: this.escape(false) };
    if ('^$)|*+?{'.includes(c)) throw new Unsupported();
    return { t: 'set', set: safeOnly(setOf(c)) };
  }

  private escape(inClass: boolean): ByteSet {
    const c = this.src[this.i++] ?? '';
    const known = ESCAPES[c];
    if (known) return setOf(known);
    if (/[DWSbBpPux0-9]/.test(c) && !(inClass && c === 'b')) throw new Unsupported();
    const control: Record<string, string> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v' };
    return safeOnly(setOf(control[c] ?? c));
  }

  private charClass(): ByteSet {
    const negate = this.src[this.i] === '^';
    if (negate) this.i++;
    const set = new Uint8Array(256);
    let first = true;
    while (this.src[this.i] !== ']' || first) {
      first = false;
      if (this.atEnd()) throw new Unsupported();
      let lo: number;
      if (this.src[this.i] === '\\') {
        this.i++;
        const s = this.escape(true);
        for (let b = 0; b < 256; b++) if (s[b]) set[b] = 1;
        continue;
      }
      lo = this.src.charCodeAt(this.i++);
      if (this.src[this.i] === '-' && this.src[this.i + 1] !== ']' && this.i + 1 < this.src.length) {
        const hi = this.src.charCodeAt(this.i + 1);
        this.i += 2;
        for (; lo <= hi; lo++) set[lo] = 1;
      } else set[lo] = 1;
    }
    this.i++;
    if (negate) for (let b = 0; b < 256; b++) set[b] = set[b] ? 0 : 1;
    return safeOnly(set);
  }
}

function safeOnly(set: ByteSet): ByteSet {
  const out = new Uint8Array(256);
  for (let b = 0; b < 256; b++) out[b] = set[b] && SAFE[b] ? 1 : 0;
  return out;
}

function emit(p: Program, ast: Ast, next: number): number {
  switch (ast.t) {
    case 'set':
      return ast.set.some((x) => x === 1) ? p.add({ k: 'class', set: ast.set, next }) : p.fail();
    case 'seq':
      return ast.items.reduceRight((at, item) => emit(p, item, at), next);
    case 'alt':
      return p.alt(ast.options.map((o) => emit(p, o, next)));
    case 'rep':
      return p.repeat(ast.min, ast.max, (n) => emit(p, ast.node, n), next);
  }
}
