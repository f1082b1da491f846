/**
 * The LM head outside the model step, for mapper latency. An f32 decode step is bound by reading the
 * weights, and the tied head (vocab × hidden, 113 MB for SmolLM2-135M) is ~20 % of them, while the constrained
 * decoder usually looks at a few allowed tokens of one row. So the inference graph can end at the final-normed
 * hidden rows of the kept positions (`output: 'hidden'`) and logits are made on demand:
 * - few allowed tokens (≤ LAZY_MAX_TOKENS): their dot products with the head rows, in JS; the row is full-length
 *   with −∞ elsewhere, as `applyMask` leaves it;
 * - anything else (no mask, large masks, sampling, callers of `KvCache.step`): a second ORT session holding only
 *   the head, the same MatMul the full graph ends with, so those rows are the ones the full graph returns.
 *
 * JS sums in f64 (products of f32 are exact in f64), MLAS in f32, so the two differ by MLAS's rounding:
 * |Δ| ≤ γ_n·Σ|h_i·w_i| ≤ γ_n·‖h‖·‖w‖ (Higham, Accuracy and Stability of Numerical Algorithms, §3.1; any
 * summation order). Greedy choices stay the full graph's: where the best allowed token does not lead every
 * other allowed token by both bounds, the row is recomputed by the head session (`masked` returns it exactly).
 */
import { SmolmapError } from '../errors.js';
import { Graph } from '../model/graph/builder.js';
import { serialize } from '../model/graph/serialize.js';
import { lmHead, type Projector } from '../model/llama.js';
import type { LlamaConfig, WeightMap } from '../model/types.js';
import { createSession, f32, type Session } from './ort.js';
import { applyMask, argmax, logProb } from './sample.js';

/** The inference graph's output holding the final-normed hidden rows (llama.ts / llama-fast.ts `output`). */
export const HIDDEN_OUTPUT = 'hidden';

/**
 * Most allowed tokens a row is computed for in JS. A 576-long JS dot product costs 1–2 µs (single thread,
 * f64), the head session's M = 1 product ~7 ms on the two cores (bench/head.ts): break-even near 4–7k tokens.
 * Kept below that, since the session's row is exact and a grammar mask is rarely that large.
 */
export const LAZY_MAX_TOKENS = 2048;

/** n·u / (1 − n·u), u = 2⁻²⁴: the relative error bound of an n-term f32 dot product (Higham (3.4)). */
function gamma(n: number): number {
  const nu = n * 2 ** -24;
  return nu / (1 - nu);
}

/** How rows were made (bench/head.ts prints them). */
export interface HeadStats {
  /** Masked rows made in JS. */
  jsRows: number;
  /** Of the JS attempts, rows given back to the head session as too close to call. */
  closeCalls: number;
  /** Head-session runs and the rows they made. */
  sessionRuns: number;
  sessionRows: number;
}

/** A masked row as its allowed entries (the rest are −∞). */
export interface SparseRow {
  ids: Uint32Array;
  logits: Float32Array;
  /** Index into `ids` of the greedy choice. */
  best: number;
}

export class LmHead {
  readonly stats: HeadStats = { jsRows: 0, closeCalls: 0, sessionRuns: 0, sessionRows: 0 };
  private norms: Float32Array | null = null;
  private readonly gammaN: number;

  constructor(
    private readonly session: Session,
    /** Head rows [vocab, width], row-major (the tied embedding or lm_head.weight). */
    private readonly weight: Float32Array,
    readonly vocab: number,
    readonly width: number,
  ) {
    this.gammaN = gamma(width);
  }

  /** Logits [rows, vocab] of hidden rows [rows, width], from the head session. */
  async logits(hidden: Float32Array, rows: number): Promise<Float32Array> {
    const out = await this.session.run({ hidden: f32(hidden, [1, rows, this.width]) });
    this.stats.sessionRuns++;
    this.stats.sessionRows += rows;
    return out['logits']!.data as Float32Array;
  }

  /**
   * Row `at` of `hidden` masked by `mask` (bit i of word i >> 5): the allowed tokens' logits in JS and −∞
   * elsewhere; null when more than `max` tokens are allowed or the greedy choice is too close to call in JS.
   */
  maskedRow(hidden: Float32Array, at: number, mask: Uint32Array, max = LAZY_MAX_TOKENS): Float32Array | null {
    const sparse = this.sparse(hidden, at, mask, max);
    if (!sparse) return null;
    const row = new Float32Array(this.vocab).fill(-Infinity);
    sparse.ids.forEach((id, k) => (row[id] = sparse.logits[k]!));
    return row;
  }

  /**
   * `maskedRow` as the allowed ids (ascending), their logits (f32) and the index in `ids` of the greedy choice
   * (the first of equals, as `argmax`); null as `maskedRow`, or when nothing is allowed.
   */
  sparse(hidden: Float32Array, at: number, mask: Uint32Array, max = LAZY_MAX_TOKENS): SparseRow | null {
    const ids = allowedIds(mask, this.vocab, max);
    if (ids === null || ids.length === 0) return null;
    const h = hidden.subarray(at * this.width, (at + 1) * this.width);
    const logits = new Float32Array(ids.length);
    let best = 0;
    for (let k = 0; k < ids.length; k++) {
      logits[k] = dot(h, this.weight, ids[k]! * this.width, this.width);
      if (logits[k]! > logits[best]!) best = k;
    }
    if (!this.clearWinner(ids, logits, best, h)) {
      this.stats.closeCalls++;
      return null;
    }
    this.stats.jsRows++;
    return { ids, logits, best };
  }

  /** Whether the best allowed token leads every other by more than both tokens' error bounds. */
  private clearWinner(ids: Uint32Array, logits: Float32Array, best: number, h: Float32Array): boolean {
    const norms = this.rowNorms();
    let hn = 0;
    for (let i = 0; i < h.length; i++) hn += h[i]! * h[i]!;
    const scale = 1.01 * this.gammaN * Math.sqrt(hn);
    // 2⁻²³·|x|: each side's final rounding to f32.
    const bound = (k: number): number => scale * norms[ids[k]!]! + 2 ** -23 * Math.abs(logits[k]!) + 1e-30;
    const top = logits[best]! - bound(best);
    if (!Number.isFinite(top)) return false;
    for (let k = 0; k < ids.length; k++) if (k !== best && logits[k]! + bound(k) >= top) return false;
    return true;
  }

  /** ‖w_v‖ per head row, made once (~30 ms for SmolLM2's head; `createLmHead` calls it at load). */
  rowNorms(): Float32Array {
    if (this.norms) return this.norms;
    const n = new Float32Array(this.vocab);
    const w = this.weight;
    for (let v = 0; v < this.vocab; v++) {
      let s = 0;
      for (let i = v * this.width; i < (v + 1) * this.width; i++) s += w[i]! * w[i]!;
      // Rounded up so the bound stays an upper bound after the f32 store.
      n[v] = Math.sqrt(s) * (1 + 2 ** -20);
    }
    this.norms = n;
    return n;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/** Σ h_i·w[off + i] in f64, unrolled by 4. */
export function dot(h: Float32Array, w: Float32Array, off: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += h[i]! * w[off + i]!;
    s1 += h[i + 1]! * w[off + i + 1]!;
    s2 += h[i + 2]! * w[off + i + 2]!;
    s3 += h[i + 3]! * w[off + i + 3]!;
  }
  for (; i < n; i++) s0 += h[i]! * w[off + i]!;
  return s0 + s1 + s2 + s3;
}

/** The set bits of `mask` below `vocab`, ascending; null when there are more than `max`. */
export function allowedIds(mask: Uint32Array, vocab: number, max: number): Uint32Array | null {
  let count = 0;
  for (let w = 0; w < mask.length; w++) {
    let x = mask[w]!;
    // Popcount (Hacker's Delight 5-2).
    x = x - ((x >>> 1) & 0x55555555);
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
    count += (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
    if (count > max) return null;
  }
  const ids = new Uint32Array(count);
  let k = 0;
  for (let w = 0; w < mask.length; w++) {
    let bits = mask[w]!;
    while (bits !== 0) {
      const low = bits & -bits;
      const id = (w << 5) + 31 - Math.clz32(low);
      bits ^= low;
      if (id < vocab) ids[k++] = id;
    }
  }
  return ids.subarray(0, k);
}

/** A one-input graph: hidden [1, rows, width] → logits [1, rows, vocab], the full graph's head product. */
function headGraph(cfg: LlamaConfig, weights: WeightMap, project?: Projector): Graph {
  const g = new Graph();
  const hidden = g.input(HIDDEN_OUTPUT, 'float32', [1, 'rows', cfg.hidden_size]);
  g.output('logits', lmHead(g, cfg, weights, hidden, project));
  return g;
}

/** The head weight `lmHead` uses (lm_head.weight unless tied). */
function headWeight(cfg: LlamaConfig, weights: WeightMap): Float32Array {
  const name =
    !cfg.tie_word_embeddings && weights.has('lm_head.weight')
      ? 'lm_head.weight'
      : 'model.embed_tokens.weight';
  const t = weights.get(name);
  if (!t || t.shape.join() !== `${cfg.vocab_size},${cfg.hidden_size}`) {
    throw new SmolmapError(
      'model_weight_missing',
      `the model has no [${cfg.vocab_size}, ${cfg.hidden_size}] tensor "${name}"; re-import the base model`,
    );
  }
  return t.data;
}

/** The head session and the JS copy of its weight (shared with the weight map, not copied). */
export async function createLmHead(
  cfg: LlamaConfig,
  weights: WeightMap,
  session: { threads: number; spinning: boolean },
): Promise<LmHead> {
  const weight = headWeight(cfg, weights);
  const { model, external } = serialize(headGraph(cfg, weights));
  const s = await createSession(model, {
    ...session,
    externalData: external.map((c) => ({ path: c.location, data: c.data })),
  });
  const head = new LmHead(s, weight, cfg.vocab_size, cfg.hidden_size);
  head.rowNorms(); // at load, not in the first call's latency
  return head;
}

/**
 * The kept positions of one model run (`rows` of them, batch-major), as logits or as hidden rows with a head.
 * Each row's logits are made when asked for; full rows from the head session are made for the asked row and
 * every later one at once (rows are consumed in order, and one product of M rows costs about one row's).
 */
export class LogitRows {
  private readonly full: (Float32Array | undefined)[];

  constructor(
    private readonly head: LmHead | null,
    /** [rows, vocab] logits (head null) or [rows, width] hidden rows. */
    readonly data: Float32Array,
    readonly length: number,
  ) {
    this.full = new Array<Float32Array | undefined>(length);
  }

  /** Row i's full logits (a fresh array the caller may modify). */
  async row(i: number): Promise<Float32Array> {
    this.check(i);
    if (!this.head) {
      const v = this.data.length / this.length;
      return this.data.slice(i * v, (i + 1) * v);
    }
    if (!this.full[i]) {
      const w = this.head.width;
      const rest = this.length - i;
      const logits = await this.head.logits(this.data.subarray(i * w), rest);
      const v = this.head.vocab;
      for (let k = 0; k < rest; k++) this.full[i + k] = logits.subarray(k * v, (k + 1) * v);
    }
    return this.full[i]!.slice();
  }

  /**
   * Row i with −∞ outside `mask`, as `applyMask` leaves the full row. `exactValues` (sampling, whose draw reads
   * every value) or a large mask takes the head session's row; otherwise the allowed logits come from JS, with
   * the same greedy choice (see the file comment).
   */
  async masked(i: number, mask: Uint32Array, exactValues = false): Promise<Float32Array> {
    this.check(i);
    if (this.head && !exactValues && !this.full[i]) {
      const row = this.head.maskedRow(this.data, i, mask);
      if (row) return row;
    }
    const row = await this.row(i);
    applyMask(row, mask);
    return row;
  }

  /**
   * The greedy choice of row i under `mask` and its log-probability under the masked distribution: exactly
   * `argmax` and `logProb` of the `masked` row (the −∞ entries add exp(−∞) = 0 to logProb's sum in the same
   * ascending order), without making the full-length row when the allowed logits come from JS.
   */
  async greedy(i: number, mask: Uint32Array): Promise<{ id: number; logprob: number }> {
    this.check(i);
    const sparse = this.head && !this.full[i] ? this.head.sparse(this.data, i, mask) : null;
    if (!sparse) {
      const row = await this.row(i);
      applyMask(row, mask);
      const id = argmax(row);
      return { id, logprob: logProb(row, id) };
    }
    const max = sparse.logits[sparse.best]!;
    let sum = 0;
    for (let k = 0; k < sparse.logits.length; k++) sum += Math.exp(sparse.logits[k]! - max);
    return { id: sparse.ids[sparse.best]!, logprob: max - max - Math.log(sum) };
  }

  /**
   * Row i's allowed tokens (ascending) and their logits: the JS values of `greedy` when the mask is small and
   * the winner clear, else read from the full row. The caller may move the logits (a logit bias).
   */
  async allowed(i: number, mask: Uint32Array): Promise<{ ids: ArrayLike<number>; logits: Float32Array }> {
    this.check(i);
    const sparse = this.head && !this.full[i] ? this.head.sparse(this.data, i, mask) : null;
    if (sparse) return sparse;
    const row = await this.row(i);
    applyMask(row, mask);
    return allowedOf(row);
  }

  /** Every row's full logits (one head run); the arrays are the caller's. */
  async all(): Promise<Float32Array[]> {
    if (this.length > 0 && this.head && !this.full[0]) await this.row(0);
    return Array.from({ length: this.length }, (_, i) => {
      const v = this.data.length / this.length;
      return this.head ? this.full[i]! : this.data.slice(i * v, (i + 1) * v);
    });
  }

  private check(i: number): void {
    if (!(i >= 0 && i < this.length)) {
      throw new SmolmapError('internal', `internal: logits row ${i} of ${this.length}`);
    }
  }
}

/** The finite entries of a masked row: their ids (ascending) and a copy of their logits. */
export function allowedOf(row: Float32Array): { ids: number[]; logits: Float32Array } {
  const ids: number[] = [];
  for (let id = 0; id < row.length; id++) if (row[id] !== -Infinity) ids.push(id);
  return { ids, logits: Float32Array.from(ids, (id) => row[id]!) };
}
