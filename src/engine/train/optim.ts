/**
 * The optimizer side of a training step, on the small LoRA tensors in plain TypeScript (AdamW needs no graph
 * for a few thousand parameters). State is Float32Array so a checkpoint stores it bit for bit.
 */
import type { F32Tensor } from '../model/types.js';

export type Tensors = Map<string, F32Tensor>;
export type Grads = Map<string, Float32Array>;

export interface AdamWHyper {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** First and second moments per parameter (PyTorch `exp_avg` / `exp_avg_sq`). */
export interface AdamWState {
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

export function createAdamWState(params: Tensors): AdamWState {
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  for (const [k, p] of params) {
    m.set(k, new Float32Array(p.data.length));
    v.set(k, new Float32Array(p.data.length));
  }
  return { m, v };
}

/**
 * One AdamW update in place (Loshchilov & Hutter 2019, arXiv:1711.05101, as torch.optim.AdamW): decoupled
 * decay p ← p·(1 − lr·λ), then p ← p − lr·m̂/(√v̂ + ε) with bias corrections 1 − β^t. `t` counts from 1.
 */
export function adamwUpdate(
  params: Tensors,
  grads: Grads,
  state: AdamWState,
  hp: AdamWHyper,
  lr: number,
  t: number,
): void {
  const bc1 = 1 - hp.beta1 ** t;
  const bc2 = 1 - hp.beta2 ** t;
  const decay = 1 - lr * hp.weightDecay;
  for (const [k, p] of params) {
    const g = grads.get(k);
    const m = state.m.get(k);
    const v = state.v.get(k);
    if (!g || !m || !v) continue;
    const w = p.data;
    for (let i = 0; i < w.length; i++) {
      const gi = g[i]!;
      m[i] = hp.beta1 * m[i]! + (1 - hp.beta1) * gi;
      v[i] = hp.beta2 * v[i]! + (1 - hp.beta2) * gi * gi;
      const denom = Math.sqrt(v[i]! / bc2) + hp.eps;
      w[i] = w[i]! * decay - (lr * (m[i]! / bc1)) / denom;
    }
  }
}

/**
 * Learning rate at optimizer step `step` (0-based): linear warmup to `peak` over `warmup` steps, then cosine
 * decay to `peak·minRatio` at `total` (Loshchilov & Hutter 2017, SGDR; HF `get_cosine_schedule_with_warmup`).
 */
export function lrAt(step: number, total: number, warmup: number, peak: number, minRatio: number): number {
  if (step < warmup) return (peak * (step + 1)) / warmup;
  const progress = total > warmup ? (step - warmup) / (total - warmup) : 1;
  const cos = 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress)));
  return peak * (minRatio + (1 - minRatio) * cos);
}

/** The global L2 norm over all gradients. */
export function gradNorm(grads: Grads): number {
  let s = 0;
  for (const g of grads.values()) for (let i = 0; i < g.length; i++) s += g[i]! * g[i]!;
  return Math.sqrt(s);
}

/**
 * Scales all gradients so their global norm is at most `maxNorm` (torch `clip_grad_norm_`, with its 1e-6 guard);
 * returns the norm before clipping. maxNorm 0 disables clipping.
 */
export function clipGradNorm(grads: Grads, maxNorm: number): number {
  const norm = gradNorm(grads);
  if (maxNorm > 0 && norm > maxNorm) {
    const c = maxNorm / (norm + 1e-6);
    for (const g of grads.values()) for (let i = 0; i < g.length; i++) g[i] = g[i]! * c;
  }
  return norm;
}

/** acc += w·g for every tensor (gradient accumulation weighted by label tokens). */
export function accumulate(acc: Grads, grads: Grads, w: number): void {
  for (const [k, g] of grads) {
    let a = acc.get(k);
    if (!a) acc.set(k, (a = new Float32Array(g.length)));
    for (let i = 0; i < g.length; i++) a[i] = a[i]! + w * g[i]!;
  }
}
