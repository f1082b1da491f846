/**
 * A byte-level grammar "program": a Thompson-style NFA (Thompson 1968, "Regular expression search
 * algorithm") whose nodes consume one byte (`byte`, `class`), branch without consuming (`split`), accept
 * (`end`), or run a bounded JSON string body (`str`) whose character count lives in the matcher state
 * instead of in copied nodes. Builders work in continuation-passing style: each takes the node to go to
 * afterwards and returns its own start node, so no patching is needed.
 */
export type GrammarNode =
  | { k: 'byte'; b: number; next: number }
  | { k: 'class'; set: ByteSet; next: number }
  | { k: 'split'; to: number[] }
  | { k: 'str'; min: number; max: number; next: number }
  | { k: 'end' };

/** 256 booleans: which bytes a `class` node consumes. */
export type ByteSet = Uint8Array;

/** Largest character count a `str` node can track (the state packs it into 12 bits). */
export const MAX_STRING_CHARS = 4095;

export class Program {
  readonly nodes: GrammarNode[] = [];
  private readonly classes = new Map<string, ByteSet>();
  /** Node → copy region: the node is inside the content of a free string value (see `markCopy`). */
  readonly copyRegionOf = new Map<number, number>();
  /** Per copy region: values the spec suggests for it (example, examples, default), JSON-escaped. */
  readonly copyAlternatives: string[][] = [];

  add(node: GrammarNode): number {
    this.nodes.push(node);
    return this.nodes.length - 1;
  }

  end(): number {
    return this.add({ k: 'end' });
  }

  /** The bytes of `text` (UTF-8) in order, then `next`. */
  lit(text: string, next: number): number {
    return this.bytes(new TextEncoder().encode(text), next);
  }

  bytes(bytes: Uint8Array, next: number): number {
    let at = next;
    for (let i = bytes.length - 1; i >= 0; i--) at = this.add({ k: 'byte', b: bytes[i] ?? 0, next: at });
    return at;
  }

  /** One of several starts (epsilon branches); a single start is returned as is. */
  alt(starts: number[]): number {
    const unique = [...new Set(starts)];
    if (unique.length === 1) return unique[0] ?? this.fail();
    return this.add({ k: 'split', to: unique });
  }

  /** A node nothing can pass (an empty alternative). */
  fail(): number {
    return this.add({ k: 'split', to: [] });
  }

  /** One byte of `spec`: ASCII characters and `a-z` style ranges; `\\-` is a literal dash. */
  cls(spec: string, next: number): number {
    return this.add({ k: 'class', set: this.byteSet(spec), next });
  }

  /** `body` repeated between min and max times (copies, so each repetition can differ in state). */
  repeat(min: number, max: number, body: (next: number) => number, next: number): number {
    let at = next;
    for (let i = max; i > 0; i--) {
      const one = body(at);
      at = i > min ? this.alt([one, next]) : one;
    }
    return at;
  }

  /**
   * Marks nodes `from` .. `to - 1` as the content of one free string value, whose text a copy-constrained
   * matcher takes from the task (or from `alternatives`). Returns the region id.
   */
  markCopy(from: number, to: number, alternatives: readonly string[]): number {
    const region = this.copyAlternatives.length;
    this.copyAlternatives.push(alternatives.map((a) => JSON.stringify(a).slice(1, -1)));
    for (let n = from; n < to; n++) this.copyRegionOf.set(n, region);
    return region;
  }

  /** Interned byte sets, so repeated classes share one table. */
  byteSet(spec: string): ByteSet {
    const hit = this.classes.get(spec);
    if (hit) return hit;
    const set = new Uint8Array(256);
    for (let i = 0; i < spec.length; i++) {
      if (spec[i] === '\\') i++; // `\x` is x itself (for `-` and `\`)
      const c = spec.charCodeAt(i);
      if (spec[i + 1] === '-' && i + 2 < spec.length) {
        const hi = spec.charCodeAt(i + 2);
        for (let b = c; b <= hi; b++) set[b] = 1;
        i += 2;
      } else {
        set[c] = 1;
      }
    }
    this.classes.set(spec, set);
    return set;
  }
}

/** Printable ASCII that can stand unescaped in a JSON string: space..~ without `"` and `\`. */
export const JSON_SAFE_ASCII = ' -!#-[]-~';
