/**
 * A seeded PRNG whose whole state is one 32-bit integer, so a checkpoint can save it and a resumed run draws
 * exactly the numbers the uninterrupted run would have drawn. mulberry32 (Tommy Ettinger, public domain): fast,
 * period 2^32 per stream, plenty for shuffling examples and initialising LoRA A matrices.
 */
export class TrainRng {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** The state to save in a checkpoint; `TrainRng.fromState(state)` continues the same stream. */
  get state(): number {
    return this.s;
  }

  static fromState(state: number): TrainRng {
    return new TrainRng(state);
  }

  /** Uniform float in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Fisher–Yates shuffle of a copy. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }
}
