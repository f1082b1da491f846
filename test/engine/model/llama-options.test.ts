/**
 * Options of the one Llama definition against its plain emission on the tiny reference model: fused q|k|v and
 * gate|up projections (standard ops, for training too) and the `num_logits_to_keep` input (last K positions).
 * Both must reproduce the plain graph's logits to float32 rounding (bound 1e-5; the graphs differ only in how
 * the same products are grouped).
 */
import { beforeAll, describe, expect, it } from 'vitest';

import { grad } from '../../../src/engine/model/graph/autodiff.js';
import { Graph } from '../../../src/engine/model/graph/builder.js';
import { serialize } from '../../../src/engine/model/graph/serialize.js';
import { inferenceGraph, llamaForward, lmHead, type LlamaLora } from '../../../src/engine/model/llama.js';
import { quantProjector } from '../../../src/engine/model/quant.js';
import type { WeightMap } from '../../../src/engine/model/types.js';
import { createSession, f32, i64, type HostTensor, type Session } from '../../../src/engine/infer/ort.js';
import { oracle, tinyAdapter, tinyConfig, tinyWeights } from './tiny-ref.js';

const cfg = tinyConfig();
const V = cfg.vocab_size;
let weights: WeightMap;
let adapter: Record<string, HostTensor>;
let lora: LlamaLora;

function feedsFor(ids: readonly number[]): Record<string, HostTensor> {
  const s = ids.length;
  const feeds: Record<string, HostTensor> = {
    input_ids: i64(ids, [1, s]),
    position_ids: i64(
      ids.map((_, i) => i),
      [1, s],
    ),
    attention_mask: i64(new Array<number>(s).fill(1), [1, s]),
  };
  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    for (const kv of ['key', 'value'])
      feeds[`past_key_values.${l}.${kv}`] = f32(new Float32Array(0), [
        1,
        cfg.num_key_value_heads,
        0,
        cfg.head_dim,
      ]);
  }
  return feeds;
}

function maxDiff(a: HostTensor, b: HostTensor): number {
  expect(a.dims).toEqual(b.dims);
  let worst = 0;
  for (let i = 0; i < a.data.length; i++)
    worst = Math.max(worst, Math.abs((a.data[i] as number) - (b.data[i] as number)));
  return worst;
}

const session = async (g: ReturnType<typeof inferenceGraph>): Promise<Session> =>
  createSession(serialize(g).model, { threads: 1 });

describe('llama graph options (tiny model)', () => {
  let plain: Session;
  beforeAll(async () => {
    weights = await tinyWeights();
    const t = await tinyAdapter(cfg);
    adapter = Object.fromEntries(t.feeds);
    lora = t.lora;
    plain = await session(inferenceGraph(cfg, weights, { logits: 'all', lora }));
  });

  it('fused q|k|v and gate|up projections give the plain logits (with a LoRA adapter)', async () => {
    const fused = await session(inferenceGraph(cfg, weights, { logits: 'all', lora, fuseProjections: true }));
    for (const run of oracle.base) {
      const feeds = { ...feedsFor(run.ids), ...adapter };
      const want = (await plain.run(feeds, ['logits'])).logits!;
      const got = (await fused.run(feeds, ['logits'])).logits!;
      expect(maxDiff(got, want)).toBeLessThan(1e-5);
    }
  });

  it('fused projections through the quantised projector equal the unfused quantised graph', async () => {
    const project = quantProjector(weights, 'q4', 1);
    const a = await session(inferenceGraph(cfg, weights, { logits: 'all', project }));
    const b = await session(inferenceGraph(cfg, weights, { logits: 'all', project, fuseProjections: true }));
    const feeds = feedsFor(oracle.base[0]!.ids);
    expect(
      maxDiff((await b.run(feeds, ['logits'])).logits!, (await a.run(feeds, ['logits'])).logits!),
    ).toBeLessThan(1e-5);
  });

  it('num_logits_to_keep = K returns the last K rows; 0 returns every row', async () => {
    const keep = await session(inferenceGraph(cfg, weights, { logits: 'keep', lora }));
    expect(keep.inputNames).toContain('num_logits_to_keep');
    const ids = oracle.base[1]!.ids;
    const feeds = { ...feedsFor(ids), ...adapter };
    const all = (await plain.run(feeds, ['logits'])).logits!;
    for (const k of [1, 3, 0]) {
      const got = (await keep.run({ ...feeds, num_logits_to_keep: i64([k], []) }, ['logits'])).logits!;
      const rows = k === 0 ? ids.length : k;
      expect(got.dims).toEqual([1, rows, V]);
      const tail = (all.data as Float32Array).subarray((ids.length - rows) * V);
      expect(maxDiff(got, f32(tail, [1, rows, V]))).toBeLessThan(1e-5);
    }
  });

  it('fused projections differentiate: LoRA gradients equal the unfused graph', async () => {
    const ids = oracle.trainStep.inputIds;
    const build = (fuseProjections: boolean): Graph => {
      const g = new Graph();
      const inputIds = g.input('input_ids', 'int64', [1, ids.length]);
      const positionIds = g.input('position_ids', 'int64', [1, ids.length]);
      const out = llamaForward(
        g,
        cfg,
        weights,
        { inputIds, positionIds, attentionMask: null, past: null },
        lora,
        undefined,
        {
          fuseProjections,
        },
      );
      const loss = g.reduceMean(lmHead(g, cfg, weights, out.hidden), [0, 1, 2], false);
      const names = [...out.lora.keys()];
      const grads = grad(
        g,
        loss,
        names.map((n) => out.lora.get(n)!),
      );
      names.forEach((n, i) => g.output(`grad.${n}`, grads[i]!));
      return g;
    };
    const feeds = {
      input_ids: i64(ids, [1, ids.length]),
      position_ids: i64(
        ids.map((_, i) => i),
        [1, ids.length],
      ),
      ...adapter,
    };
    const want = await (await session(build(false))).run(feeds);
    const got = await (await session(build(true))).run(feeds);
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    for (const [name, t] of Object.entries(want)) {
      const scale = Math.max(...Array.from(t.data as Float32Array, Math.abs));
      expect({ name, ok: maxDiff(got[name]!, t) <= 1e-5 + 1e-4 * scale }).toEqual({ name, ok: true });
    }
  });
});
