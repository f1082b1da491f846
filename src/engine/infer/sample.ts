/**
 * Choosing the next token from a logits row: greedy (temperature 0) or sampled with temperature, top-k and
 * top-p (nucleus, Holtzman et al. 2019, arXiv:1904.09751), from a seeded PRNG so runs are reproducible.
 * Masks (the spec grammar's allowed tokens) are applied before either.
 */
import { Rng } from '../rng.js';
import { SmolmapError } from '../errors.js';

export interface SamplingOptions {
  /** 0 (default) = greedy. */
  temperature?: number;
  /** Keep only the k most likely tokens (0 = off). */
  topK?: number;
  /** Keep the smallest set of tokens whose probability reaches p (1 = off). */
  topP?: number;
  seed?: number;
}

/** Sets logits of tokens whose bit is clear in `mask` (bit i of word i >> 5) to −∞. */
export function applyMask(logits: Float32Array, mask: Uint32Array): void {
  for (let i = 0; i < logits.length; i++) {
    if (((mask[i >> 5]! >>> (i & 31)) & 1) === 0) logits[i] = -Infinity;
  }
}

export function argmax(xs: Float32Array): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
  return best;
}

/** log softmax(logits)[id], the model's log-probability of `id` (after any mask). */
export function logProb(logits: Float32Array, id: number): number {
  const max = logits[argmax(logits)]!;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  return logits[id]! - max - Math.log(sum);
}

export class Sampler {
  private readonly rng: Rng;
  private readonly temperature: number;
  private readonly topK: number;
  private readonly topP: number;

  constructor(options: SamplingOptions = {}) {
    this.temperature = options.temperature ?? 0;
    this.topK = options.topK ?? 0;
    this.topP = options.topP ?? 1;
    if (!(this.temperature >= 0) || !(this.topP > 0 && this.topP <= 1) || !(this.topK >= 0)) {
      throw new SmolmapError(
        'usage_bad_option',
        'sampling needs temperature >= 0, 0 < top-p <= 1 and top-k >= 0; fix the option values',
      );
    }
    this.rng = new Rng(options.seed ?? 0);
  }

  get greedy(): boolean {
    return this.temperature === 0;
  }

  /** The next token id; `logits` is not modified. */
  choose(logits: Float32Array): number {
    if (this.greedy) return argmax(logits);
    const max = logits[argmax(logits)]!;
    if (max === -Infinity) {
      throw new SmolmapError('decode_no_token', 'every token is masked out; the constraint allows nothing');
    }
    const t = this.temperature;
    const floor = this.cutoff(logits, max);
    let mass = 0;
    for (let i = 0; i < logits.length; i++) if (logits[i]! >= floor) mass += Math.exp((logits[i]! - max) / t);
    let u = this.rng.next() * mass;
    let last = 0;
    for (let i = 0; i < logits.length; i++) {
      if (logits[i]! < floor) continue;
      last = i;
      u -= Math.exp((logits[i]! - max) / t);
      if (u < 0) return i;
    }
    return last;
  }

  /** The smallest logit still kept by top-k and top-p (ties at the cut are kept). */
  private cutoff(logits: Float32Array, max: number): number {
    if (this.topK === 0 && this.topP === 1) return -Infinity;
    const sorted = Float32Array.from(logits).sort(); // ascending, native numeric sort
    const n = sorted.length;
    let floor = this.topK > 0 ? sorted[n - Math.min(this.topK, n)]! : -Infinity;
    if (this.topP < 1) {
      let total = 0;
      for (let j = n - 1; j >= 0 && sorted[j]! >= floor; j--)
        total += Math.exp((sorted[j]! - max) / this.temperature);
      let acc = 0;
      for (let j = n - 1; j >= 0 && sorted[j]! >= floor; j--) {
        acc += Math.exp((sorted[j]! - max) / this.temperature);
        if (acc >= this.topP * total) {
          floor = sorted[j]!;
          break;
        }
      }
    }
    return floor;
  }
}
