/**
 * The Llama graph against PyTorch/transformers/PEFT numbers for the tiny reference model
 * (test/fixtures/reference/tiny-llama/oracle.json): a correct f32 forward matches its logits to ~1e-5.
 * Bounds used here: 1e-4 absolute on single logits, 1e-5 relative (+1e-3 absolute) on 49,152-logit row sums.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import { serialize } from '../../../src/engine/model/graph/serialize.js';
import { inferenceGraph, type LlamaLora } from '../../../src/engine/model/llama.js';
import type { WeightMap } from '../../../src/engine/model/types.js';
import { createSession, f32, i64, type HostTensor, type Session } from '../../../src/engine/infer/ort.js';
import { oracle, tinyAdapter, tinyConfig, tinyWeights, type OracleRun } from './tiny-ref.js';

const cfg = tinyConfig();
const V = cfg.vocab_size;
let weights: WeightMap;
let adapter: Map<string, HostTensor>;
let lora: LlamaLora;

function emptyPast(batch: number): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    for (const kv of ['key', 'value']) {
      feeds[`past_key_values.${l}.${kv}`] = f32(new Float32Array(0), [
        batch,
        cfg.num_key_value_heads,
        0,
        cfg.head_dim,
      ]);
    }
  }
  return feeds;
}

function feedsFor(ids: number[], past = emptyPast(1), pastLen = 0): Record<string, HostTensor> {
  const s = ids.length;
  return {
    input_ids: i64(ids, [1, s]),
    position_ids: i64(
      ids.map((_, i) => pastLen + i),
      [1, s],
    ),
    attention_mask: i64(new Array<number>(pastLen + s).fill(1), [1, pastLen + s]),
    ...past,
  };
}

function row(logits: HostTensor, r: number): Float32Array {
  return (logits.data as Float32Array).subarray(r * V, (r + 1) * V);
}
const argmax = (xs: Float32Array): number => xs.reduce((best, v, i) => (v > xs[best]! ? i : best), 0);
const sum = (xs: Float32Array): number => xs.reduce((a, b) => a + b, 0);

function expectMatches(logits: HostTensor, want: OracleRun): void {
  const rows = want.ids.length;
  expect(logits.dims).toEqual([1, rows, V]);
  const last = row(logits, rows - 1);
  expect(Array.from({ length: rows }, (_, r) => argmax(row(logits, r)))).toEqual(want.argmax);
  want.first8OfLastRow.forEach((v, i) => expect(Math.abs(last[i]! - v)).toBeLessThan(1e-4));
  want.lastTop5.ids.forEach((id, i) =>
    expect(Math.abs(last[id]! - want.lastTop5.logits[i]!)).toBeLessThan(1e-4),
  );
  want.rowSums.forEach((v, r) => expect(Math.abs(sum(row(logits, r)) - v)).toBeLessThan(1e-3 + 1e-5 * V));
}

describe('llama inference graph vs the transformers oracle (tiny model)', () => {
  let base: Session;
  let adapted: Session;
  let lastOnly: Session;

  beforeAll(async () => {
    weights = await tinyWeights();
    ({ feeds: adapter, lora } = await tinyAdapter(cfg));
    base = await createSession(serialize(inferenceGraph(cfg, weights, { logits: 'all' })).model, {
      threads: 1,
    });
    const ga = inferenceGraph(cfg, weights, { logits: 'all', lora });
    adapted = await createSession(serialize(ga).model, { threads: 1 });
    lastOnly = await createSession(serialize(inferenceGraph(cfg, weights)).model, { threads: 1 });
  });

  it('base logits match for all three prompts', async () => {
    for (const want of oracle.base)
      expectMatches((await base.run(feedsFor(want.ids), ['logits'])).logits!, want);
  });

  it('logits with the PEFT adapter (scale alpha/r = 2) match', async () => {
    const feeds = Object.fromEntries(adapter);
    for (const want of oracle.withAdapter) {
      expectMatches((await adapted.run({ ...feedsFor(want.ids), ...feeds }, ['logits'])).logits!, want);
    }
  });

  it('an adapter with B = 0 leaves the logits unchanged', async () => {
    const zeroB = Object.fromEntries(
      [...adapter].map(([k, t]) => [
        k,
        k.includes('lora_B') ? f32(new Float32Array(t.data.length), t.dims) : t,
      ]),
    );
    const want = oracle.base[0]!;
    expectMatches((await adapted.run({ ...feedsFor(want.ids), ...zeroB }, ['logits'])).logits!, want);
  });

  it('KV-cache decoding gives the full-recomputation logits at every step', async () => {
    const ids = oracle.base[1]!.ids;
    const full = (await base.run(feedsFor(ids), ['logits'])).logits!;
    const prefill = 4;
    let out = await lastOnly.run(feedsFor(ids.slice(0, prefill)));
    for (let t = prefill; t <= ids.length; t++) {
      const want = row(full, t - 1);
      const got = out.logits!.data as Float32Array;
      expect(out.logits!.dims).toEqual([1, 1, V]);
      let worst = 0;
      for (let i = 0; i < V; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
      expect(worst).toBeLessThan(1e-4);
      if (t === ids.length) break;
      const past: Record<string, HostTensor> = {};
      for (const [k, v] of Object.entries(out))
        if (k.startsWith('present.')) past[k.replace('present', 'past_key_values')] = v;
      expect(past['past_key_values.0.key']!.dims).toEqual([1, cfg.num_key_value_heads, t, cfg.head_dim]);
      out = await lastOnly.run(feedsFor([ids[t]!], past, t));
    }
  });

  it('a left-padded batch row gives the unpadded logits (attention_mask and position_ids honoured)', async () => {
    const a = oracle.base[0]!; // 6 tokens, padded to 8
    const b = oracle.base[1]!; // 8 tokens
    const pad = b.ids.length - a.ids.length;
    const ids = [...new Array<number>(pad).fill(2), ...a.ids, ...b.ids];
    const mask = [
      ...new Array<number>(pad).fill(0),
      ...new Array<number>(a.ids.length + b.ids.length).fill(1),
    ];
    const pos = [...new Array<number>(pad).fill(1), ...a.ids.map((_, i) => i), ...b.ids.map((_, i) => i)];
    const feeds = {
      input_ids: i64(ids, [2, 8]),
      attention_mask: i64(mask, [2, 8]),
      position_ids: i64(pos, [2, 8]),
    };
    const logits = (await lastOnly.run({ ...feeds, ...emptyPast(2) }, ['logits'])).logits!;
    expect(logits.dims).toEqual([2, 1, V]);
    for (const [r, want] of [a, b].entries()) {
      const got = row(logits, r);
      want.first8OfLastRow.forEach((v, i) => expect(Math.abs(got[i]! - v)).toBeLessThan(1e-4));
      expect(argmax(got)).toBe(want.argmax[want.argmax.length - 1]);
    }
  });
});
