/**
 * Weight quantisation for MatMulNBits: the packed layout against our own dequantiser through ORT, the
 * per-element error bound of each scheme, and the tiny Llama's logits in q8/q4 against f32.
 * Bounds: |w − ŵ| ≤ s/2 per block (round to nearest; s = range/15 for q4, absmax/127 for q8); tiny-model
 * logits, as RMS of the error over RMS of the f32 logits: q8 within 5 % and the same argmax, q4 within 50 % (per-weight q4 error on these rows is 8 % RMS, q8 0.5 %). The
 * tiny model's random width-64 rows (two blocks each) are q4's worst case, and accuracy level 4 also rounds the
 * activations to int8; the real model's accuracy cost is measured by bench/inference.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Graph } from '../../../src/engine/model/graph/builder.js';
import { serialize } from '../../../src/engine/model/graph/serialize.js';
import { createSession, f32 } from '../../../src/engine/infer/ort.js';
import { KvCache } from '../../../src/engine/infer/kv.js';
import { createRuntime, type BaseRuntime } from '../../../src/engine/infer/runtime.js';
import { argmax } from '../../../src/engine/infer/sample.js';
import {
  dequantizeNBits,
  emitNBits,
  quantizeInt8Columns,
  quantizeNBits,
} from '../../../src/engine/model/quant.js';
import { smoothingFactors } from '../../../src/engine/infer/smooth.js';
import { loadTokenizer } from '../../../src/engine/model/tokenizer/index.js';
import { REF, tinyConfig, tinyWeights } from '../model/tiny-ref.js';

/** RMS of the error over RMS of the reference. */
function relativeError(want: Float32Array, got: Float32Array): number {
  const rms = (f: (i: number) => number): number =>
    Math.sqrt(want.reduce((acc, _, i) => acc + f(i) ** 2, 0) / want.length);
  return rms((i) => got[i]! - want[i]!) / rms((i) => want[i]!);
}

const wave = (n: number, k: number): Float32Array =>
  Float32Array.from({ length: n * k }, (_, i) => Math.sin(i * 1.7) * (1 + (i % 7)) * 0.1);

describe('MatMulNBits packing', () => {
  for (const bits of [4, 8] as const) {
    for (const k of [64, 40]) {
      it(`${bits}-bit, K = ${k}: ORT's product equals x·dequant(W)ᵀ, error within half a step`, async () => {
        const n = 5;
        const m = 3;
        const w = { shape: [n, k], data: wave(n, k) };
        const q = quantizeNBits(w, bits, 32);
        const dq = dequantizeNBits(q);
        for (let r = 0; r < n; r++) {
          for (let i = 0; i < k; i++) {
            const s = q.scales[r * q.kBlocks + Math.floor(i / 32)]!;
            expect(Math.abs(dq[r * k + i]! - w.data[r * k + i]!)).toBeLessThanOrEqual(s / 2 + 1e-7);
          }
        }
        const g = new Graph();
        const x = g.input('x', 'float32', [m, k]);
        g.output('y', emitNBits(g, x, 'w', q, 1)); // accuracy level 1: f32 compute, exact up to rounding
        const session = await createSession(serialize(g).model, { threads: 1 });
        const xd = Float32Array.from({ length: m * k }, (_, i) => Math.cos(i));
        const y = (await session.run({ x: f32(xd, [m, k]) })).y!.data as Float32Array;
        await session.release();
        for (let a = 0; a < m; a++) {
          for (let b = 0; b < n; b++) {
            let want = 0;
            for (let i = 0; i < k; i++) want += xd[a * k + i]! * dq[b * k + i]!;
            expect(Math.abs(y[a * n + b]! - want)).toBeLessThan(1e-4);
          }
        }
      });
    }
  }
});

describe('quantised tiny Llama', () => {
  const cfg = tinyConfig();
  const prompts = [
    [1, 9690, 198, 2683, 314, 253, 5356],
    [504, 3575, 282, 4649, 314],
  ];
  let base: BaseRuntime;
  beforeAll(async () => {
    base = await createRuntime(cfg, await tinyWeights(), await loadTokenizer(`${REF}/model`), { threads: 1 });
  });
  afterAll(() => base.release());

  for (const [quant, bound] of [
    ['q8', 0.05],
    ['q4', 0.5],
    ['i8', 0.05],
  ] as const) {
    it(`${quant} logit error stays within ${bound * 100} % of the f32 logits (RMS)`, async () => {
      // i8: these prompts are shorter than f32From (12), so every run is int8
      const rt = await createRuntime(cfg, await tinyWeights(), base.tokenizer, { quant, threads: 1 });
      try {
        for (const ids of prompts) {
          const [want] = await new KvCache(base, 1, base.loraFeeds(null)).step([ids]);
          const [got] = await new KvCache(rt, 1, rt.loraFeeds(null)).step([ids]);
          const rel = relativeError(want!, got!);
          console.log(`tiny ${quant}: logit error RMS / logit RMS = ${rel.toFixed(4)}`);
          expect(rel).toBeLessThan(bound);
          expect(rel).toBeGreaterThan(0); // the weights really are quantised
          if (quant === 'q8') expect(argmax(got!)).toBe(argmax(want!));
        }
      } finally {
        await rt.release();
      }
    });
  }

  it('i8 on the standard graph (per-projection weights) calibrates and quantises those projections', async () => {
    const rt = await createRuntime(cfg, await tinyWeights(), base.tokenizer, {
      quant: 'i8',
      graph: 'standard',
      f32From: 0,
      threads: 1,
    });
    try {
      const [want] = await new KvCache(base, 1, base.loraFeeds(null)).step([prompts[0]!]);
      const [got] = await new KvCache(rt, 1, rt.loraFeeds(null)).step([prompts[0]!]);
      const rel = relativeError(want!, got!);
      expect(rel).toBeGreaterThan(0);
      expect(rel).toBeLessThan(0.05);
      expect(rt.wide).toBeUndefined();
    } finally {
      await rt.release();
    }
  });

  it('i8 reads a prompt of f32From tokens or more in f32 exactly, and shorter steps in int8', async () => {
    const rt = await createRuntime(cfg, await tinyWeights(), base.tokenizer, { quant: 'i8', threads: 1 });
    try {
      expect(rt.wide?.from).toBe(12);
      const long = [...prompts[0]!, ...prompts[1]!]; // 12 tokens
      const want = new KvCache(base, 1, base.loraFeeds(null));
      const got = new KvCache(rt, 1, rt.loraFeeds(null));
      const [w1] = await want.step([long]);
      const [g1] = await got.step([long]);
      for (let i = 0; i < w1!.length; i++) expect(Math.abs(g1![i]! - w1![i]!)).toBeLessThan(1e-4);
      const [w2] = await want.step([[42]]);
      const [g2] = await got.step([[42]]); // one token: the int8 session, over the f32 prompt's keys and values
      const diff = Math.max(...w2!.map((v, i) => Math.abs(v - g2![i]!)));
      expect(diff).toBeGreaterThan(0);
      expect(diff).toBeLessThan(0.5);
      expect(argmax(g2!)).toBe(argmax(w2!));
    } finally {
      await rt.release();
    }
  });
});

describe('int8 columns and SmoothQuant factors', () => {
  it('each weight is within half a column step, before and after smoothing', () => {
    const n = 6;
    const k = 40;
    const w = wave(n, k);
    const smooth = Float32Array.from({ length: k }, (_, i) => 0.25 + (i % 5));
    for (const s of [null, smooth]) {
      const { q, scales } = quantizeInt8Columns(w, n, k, s);
      for (let j = 0; j < n; j++) {
        for (let i = 0; i < k; i++) {
          const back = ((q[j * k + i]! - 128) * scales[j]!) / (s ? s[i]! : 1);
          expect(Math.abs(back - w[j * k + i]!)).toBeLessThanOrEqual(scales[j]! / 2 / (s ? s[i]! : 1) + 1e-7);
        }
        // the column's largest |w·s| maps to ±127
        expect(Math.max(...Array.from({ length: k }, (_, i) => Math.abs(q[j * k + i]! - 128)))).toBe(127);
      }
    }
  });

  it('s = max|X|^α / max|W|^(1−α) per input channel, over the rows of fused weights', () => {
    const weights = new Map([
      ['a', { shape: [2, 3], data: Float32Array.from([1, -4, 0.5, -2, 1, 0.25]) }],
      ['b', { shape: [1, 3], data: Float32Array.from([0.5, 2, -8]) }],
    ]);
    const maxima = new Map([['fused(a|b)', { parts: ['a', 'b'], max: Float32Array.from([4, 16, 2]) }]]);
    const s = smoothingFactors(weights, maxima, 0.5).get('fused(a|b)')!;
    expect(s).toEqual(Float32Array.from([Math.sqrt(4 / 2), Math.sqrt(16 / 4), Math.sqrt(2 / 8)]));
    expect(Array.from(smoothingFactors(weights, maxima, 1).get('fused(a|b)')!)).toEqual([4, 16, 2]);
  });
});
