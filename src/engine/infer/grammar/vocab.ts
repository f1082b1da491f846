import type { Tokenizer } from '../../model/tokenizer/types.js';

/**
 * A set of tokens as a byte trie (first-child / next-sibling arrays), so one depth-first walk checks every
 * token against a grammar state while sharing the work on common prefixes.
 */
export class ByteTrie {
  readonly firstChild: Int32Array;
  readonly nextSibling: Int32Array;
  readonly byte: Uint8Array;
  /** Tokens ending at node i: tokenIds[tokenStart[i] .. tokenStart[i + 1]). */
  readonly tokenStart: Int32Array;
  readonly tokenIds: Int32Array;
  /** Root's child per byte (-1: none), so a walk can start from any byte without a sibling scan. */
  readonly rootChild: Int32Array;

  constructor(tokens: readonly Uint8Array[], include: (id: number) => boolean) {
    const children: Map<number, number>[] = [new Map()];
    const ends: number[][] = [[]];
    tokens.forEach((b, id) => {
      if (b.length === 0 || !include(id)) return;
      let node = 0;
      for (const x of b) {
        const kids = children[node] as Map<number, number>;
        let child = kids.get(x);
        if (child === undefined) {
          child = children.length;
          children.push(new Map());
          ends.push([]);
          kids.set(x, child);
        }
        node = child;
      }
      (ends[node] as number[]).push(id);
    });
    const n = children.length;
    this.firstChild = new Int32Array(n).fill(-1);
    this.nextSibling = new Int32Array(n).fill(-1);
    this.byte = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      for (const [b, child] of [...(children[i] as Map<number, number>).entries()].sort(
        (x, y) => y[0] - x[0],
      )) {
        this.byte[child] = b;
        this.nextSibling[child] = this.firstChild[i] ?? -1;
        this.firstChild[i] = child;
      }
    }
    this.tokenStart = new Int32Array(n + 1);
    const flat: number[] = [];
    for (let i = 0; i < n; i++) {
      this.tokenStart[i] = flat.length;
      for (const id of ends[i] as number[]) flat.push(id);
    }
    this.tokenStart[n] = flat.length;
    this.tokenIds = Int32Array.from(flat);
    this.rootChild = new Int32Array(256).fill(-1);
    for (let c = this.firstChild[0] ?? -1; c !== -1; c = this.nextSibling[c] ?? -1)
      this.rootChild[this.byte[c] ?? 0] = c;
  }

  /** The child of `node` reached by `b`, or -1. */
  child(node: number, b: number): number {
    if (node === 0) return this.rootChild[b] ?? -1;
    for (let c = this.firstChild[node] ?? -1; c !== -1; c = this.nextSibling[c] ?? -1) {
      const x = this.byte[c] ?? 0;
      if (x === b) return c;
      if (x > b) return -1; // siblings are in ascending byte order
    }
    return -1;
  }

  get nodeCount(): number {
    return this.firstChild.length;
  }
}

/**
 * The vocabulary prepared for masking. Special and empty tokens are left out (the grammar admits only the
 * stop tokens among them). Tokens that are plain JSON string content (whole UTF-8 characters, no `"`, `\` or
 * control bytes) are also kept as masks by character count, so inside a string they are allowed in bulk
 * and only the remaining "string-special" tokens are walked (the idea of XGrammar's context-independent
 * token cache, Dong et al. 2024, applied to the one context that admits most of the vocabulary).
 */
export class VocabTrie {
  readonly vocabSize: number;
  /** Longest token in bytes: the horizon within which string length bounds can matter. */
  readonly maxTokenBytes: number;
  readonly tokenBytes: readonly Uint8Array[];
  readonly all: ByteTrie;
  /** Tokens that are not plain string content. */
  readonly stringSpecial: ByteTrie;
  /** pureUpTo[k]: plain string-content tokens of at most k characters (k capped at the longest one). */
  readonly pureUpTo: readonly Uint32Array[];
  /**
   * Tokens with a `"` before their last byte: the only ones that can open a string and write some of its
   * content in one token, so the only ones a copy constraint must re-check outside a copied string.
   */
  readonly quoteInner: ByteTrie;

  constructor(tokenizer: Tokenizer) {
    this.vocabSize = tokenizer.vocabSize;
    const bytes: Uint8Array[] = [];
    for (let id = 0; id < tokenizer.vocabSize; id++)
      bytes.push(tokenizer.isSpecial(id) ? new Uint8Array(0) : tokenizer.tokenBytes(id));
    this.tokenBytes = bytes;
    this.maxTokenBytes = bytes.reduce((m, b) => Math.max(m, b.length), 0);
    const chars = bytes.map(plainStringChars);
    this.all = new ByteTrie(bytes, () => true);
    this.stringSpecial = new ByteTrie(bytes, (id) => chars[id] === -1);
    this.quoteInner = new ByteTrie(bytes, (id) => (bytes[id] as Uint8Array).subarray(0, -1).includes(0x22));
    const maxChars = chars.reduce((m, c) => Math.max(m, c), 0);
    const words = Math.ceil(this.vocabSize / 32);
    const upTo: Uint32Array[] = [new Uint32Array(words)];
    for (let k = 1; k <= maxChars; k++) {
      const mask = Uint32Array.from(upTo[k - 1] as Uint32Array);
      chars.forEach((c, id) => {
        if (c === k) mask[id >>> 5]! |= 1 << (id & 31);
      });
      upTo.push(mask);
    }
    this.pureUpTo = upTo;
  }
}

/** Characters of a token that is plain JSON string content, or -1 (empty, `"`, `\`, control, broken UTF-8). */
function plainStringChars(b: Uint8Array): number {
  if (b.length === 0) return -1;
  let chars = 0;
  for (let i = 0; i < b.length;) {
    const x = b[i] ?? 0;
    if (x === 0x22 || x === 0x5c || x < 0x20) return -1;
    const len =
      x < 0x80 ? 1 : x >= 0xc2 && x <= 0xdf ? 2 : x >= 0xe0 && x <= 0xef ? 3 : x >= 0xf0 && x <= 0xf4 ? 4 : 0;
    if (len === 0 || i + len > b.length) return -1;
    const text = new TextDecoder('utf-8', { fatal: false }).decode(b.subarray(i, i + len));
    if (text.includes('\uFFFD')) return -1;
    chars++;
    i += len;
  }
  return chars;
}
