import type { Tokenizer } from '../../model/tokenizer/types.js';

/**
 * The vocabulary as a byte trie (first-child / next-sibling arrays), so one depth-first walk checks every
 * token against a grammar state while sharing the work on common prefixes. Special and empty tokens are
 * left out: the grammar only ever admits the stop tokens among them.
 */
export class VocabTrie {
  readonly vocabSize: number;
  /** Longest token in bytes: the horizon within which string length bounds can matter. */
  readonly maxTokenBytes: number;
  readonly firstChild: Int32Array;
  readonly nextSibling: Int32Array;
  readonly byte: Uint8Array;
  /** Tokens ending at node i: tokenIds[tokenStart[i] .. tokenStart[i + 1]). */
  readonly tokenStart: Int32Array;
  readonly tokenIds: Int32Array;
  readonly tokenBytes: readonly Uint8Array[];

  constructor(tokenizer: Tokenizer) {
    this.vocabSize = tokenizer.vocabSize;
    const bytes: Uint8Array[] = [];
    const children: Map<number, number>[] = [new Map()];
    const ends: number[][] = [[]];
    let maxLen = 0;
    for (let id = 0; id < tokenizer.vocabSize; id++) {
      const b = tokenizer.isSpecial(id) ? new Uint8Array(0) : tokenizer.tokenBytes(id);
      bytes.push(b);
      if (b.length === 0) continue;
      maxLen = Math.max(maxLen, b.length);
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
    }
    this.tokenBytes = bytes;
    this.maxTokenBytes = maxLen;
    const n = children.length;
    this.firstChild = new Int32Array(n).fill(-1);
    this.nextSibling = new Int32Array(n).fill(-1);
    this.byte = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const kids = [...(children[i] as Map<number, number>).entries()].sort((x, y) => y[0] - x[0]);
      for (const [b, child] of kids) {
        this.byte[child] = b;
        this.nextSibling[child] = this.firstChild[i] ?? -1;
        this.firstChild[i] = child;
      }
    }
    this.tokenStart = new Int32Array(n + 1);
    const flat: number[] = [];
    for (let i = 0; i < n; i++) {
      this.tokenStart[i] = flat.length;
      flat.push(...(ends[i] as number[]));
    }
    this.tokenStart[n] = flat.length;
    this.tokenIds = Int32Array.from(flat);
  }

  get nodeCount(): number {
    return this.firstChild.length;
  }
}
