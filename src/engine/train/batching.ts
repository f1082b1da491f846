/**
 * Sequences → micro-batches. Labels follow Hugging Face's convention (`labels` aligned with `input_ids`, −100 =
 * ignored, the model shifts them by one inside the loss), so the same batch can be checked against transformers.
 * Right padding: with causal attention, pad tokens at the end cannot influence earlier positions, so no attention
 * mask is needed, and padded positions carry label −100.
 */
import type { Rng } from '../rng.js';

/** Label value for positions that carry no loss (PyTorch CrossEntropyLoss `ignore_index`). */
export const IGNORE_INDEX = -100;

export interface Sequence {
  ids: readonly number[];
  /** Same length as `ids`; IGNORE_INDEX outside the assistant target and its end-of-turn token. */
  labels: readonly number[];
}

export interface Batch {
  /** int64 [batchSize, seqLen], row-major. */
  inputIds: BigInt64Array;
  /** int64 [batchSize, seqLen]; IGNORE_INDEX where no loss is taken. */
  labels: BigInt64Array;
  batchSize: number;
  seqLen: number;
  /** Real (non-pad) tokens. */
  tokens: number;
  /** Positions that contribute to the loss after the shift (labels[1:] ≠ −100). */
  labelTokens: number;
}

/** Number of loss positions of a sequence once labels are shifted (position 0 is never predicted). */
export function labelCount(s: Sequence): number {
  let n = 0;
  for (let i = 1; i < s.labels.length; i++) if (s.labels[i] !== IGNORE_INDEX) n++;
  return n;
}

/** Pads the sequences to a common length (a multiple of `padMultiple`) and packs them as int64. */
export function collate(seqs: readonly Sequence[], padId: number, padMultiple = 1): Batch {
  const longest = Math.max(...seqs.map((s) => s.ids.length));
  const seqLen = Math.ceil(longest / padMultiple) * padMultiple;
  const inputIds = new BigInt64Array(seqs.length * seqLen).fill(BigInt(padId));
  const labels = new BigInt64Array(seqs.length * seqLen).fill(BigInt(IGNORE_INDEX));
  let tokens = 0;
  let labelTokens = 0;
  seqs.forEach((s, b) => {
    for (let t = 0; t < s.ids.length; t++) {
      inputIds[b * seqLen + t] = BigInt(s.ids[t]!);
      labels[b * seqLen + t] = BigInt(s.labels[t]!);
    }
    tokens += s.ids.length;
    labelTokens += labelCount(s);
  });
  return { inputIds, labels, batchSize: seqs.length, seqLen, tokens, labelTokens };
}

/**
 * One epoch's batch plan: shuffle, then sort by length inside pools of 50 batches so each batch holds similar
 * lengths (little padding), then shuffle the batch order so lengths do not trend through the epoch.
 * Deterministic given the RNG state.
 */
export function planEpoch(lengths: readonly number[], batchSize: number, rng: Rng): number[][] {
  const order = rng.shuffle(lengths.map((_, i) => i));
  const pool = batchSize * 50;
  const batches: number[][] = [];
  for (let p = 0; p < order.length; p += pool) {
    const chunk = order.slice(p, p + pool).sort((x, y) => lengths[x]! - lengths[y]! || x - y);
    for (let i = 0; i < chunk.length; i += batchSize) batches.push(chunk.slice(i, i + batchSize));
  }
  return rng.shuffle(batches);
}

/** Validation batches: length-sorted, fixed order (no RNG), so validation loss is comparable across evals. */
export function planEval(lengths: readonly number[], batchSize: number): number[][] {
  const order = lengths.map((_, i) => i).sort((x, y) => lengths[x]! - lengths[y]! || x - y);
  const batches: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) batches.push(order.slice(i, i + batchSize));
  return batches;
}
