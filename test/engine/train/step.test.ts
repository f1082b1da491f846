/**
 * The real training step on the tiny Llama: splitting a micro-batch into several session runs gives the step of
 * one run, and LoRA dropout masks are a function of (seed, step, micro-batch) only, off for evaluation.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import { createAdapter, loraConfigSchema, type LoraAdapter } from '../../../src/engine/model/lora.js';
import type { WeightMap } from '../../../src/engine/model/types.js';
import { Rng } from '../../../src/engine/rng.js';
import { collate, IGNORE_INDEX, type Batch } from '../../../src/engine/train/batching.js';
import { createTrainingStep, type TrainingStep } from '../../../src/engine/train/step.js';
import { tinyConfig, tinyWeights } from '../model/tiny-ref.js';

const cfg = tinyConfig();
let weights: WeightMap;
let batch: Batch;

function adapter(dropout: number): LoraAdapter {
  const a = createAdapter(cfg, loraConfigSchema.parse({ r: 4, alpha: 8, seed: 3, dropout }));
  const rng = new Rng(5); // non-zero B, so every A gets a gradient
  for (const [k, t] of a.tensors)
    if (k.includes('lora_B')) t.data.forEach((_, i) => (t.data[i] = rng.uniform(-0.1, 0.1)));
  return a;
}

const maxDiff = (a: Map<string, Float32Array>, b: Map<string, Float32Array>): number => {
  let m = 0;
  for (const [k, x] of a) x.forEach((v, i) => (m = Math.max(m, Math.abs(v - b.get(k)![i]!))));
  return m;
};

beforeAll(async () => {
  weights = await tinyWeights();
  const rng = new Rng(9);
  const seqs = [12, 16, 9, 16].map((n, r) => {
    const ids = Array.from({ length: n }, () => rng.int(3, cfg.vocab_size - 1));
    return { ids, labels: ids.map((t, i) => (i < 2 + r ? IGNORE_INDEX : t)) };
  });
  batch = collate(seqs, 0, 8);
});

describe('createTrainingStep', () => {
  it('gives the same loss and gradients whether a micro-batch runs whole or split by rows', async () => {
    const a = adapter(0);
    const whole = await createTrainingStep(cfg, weights, a, { threads: 1, tokensPerRun: 1 << 20 });
    const split = await createTrainingStep(cfg, weights, a, { threads: 1, tokensPerRun: batch.seqLen });
    const ctx = { step: 0, microBatch: 0, seed: 0 };
    const [w, s] = [await whole.step(batch, a.tensors, ctx), await split.step(batch, a.tensors, ctx)];
    expect(s.loss).toBeCloseTo(w.loss, 5);
    expect(maxDiff(w.grads, s.grads)).toBeLessThan(1e-5);
    expect(await split.evalLoss(batch, a.tensors)).toBeCloseTo(w.loss, 5);
    await Promise.all([whole.release(), split.release()]);
  });

  it('draws dropout masks from (seed, step, micro-batch) and turns dropout off for evaluation', async () => {
    const plain = adapter(0);
    const dropped = adapter(0.3);
    const off = await createTrainingStep(cfg, weights, plain, { threads: 1 });
    const on: TrainingStep = await createTrainingStep(cfg, weights, dropped, {
      threads: 1,
      tokensPerRun: 32,
    });
    const ctx = { step: 4, microBatch: 1, seed: 7 };
    const first = await on.step(batch, dropped.tensors, ctx);
    const again = await on.step(batch, dropped.tensors, ctx); // as after a resume: same step, same masks
    expect(again.loss).toBe(first.loss);
    expect(maxDiff(first.grads, again.grads)).toBe(0);
    const other = await on.step(batch, dropped.tensors, { ...ctx, step: 5 });
    expect(other.loss).not.toBe(first.loss);
    const reference = await off.step(batch, plain.tensors, ctx);
    expect(first.loss).not.toBeCloseTo(reference.loss, 6);
    expect(await on.evalLoss(batch, dropped.tensors)).toBeCloseTo(
      await off.evalLoss(batch, plain.tensors),
      5,
    );
    await Promise.all([off.release(), on.release()]);
  });
});
