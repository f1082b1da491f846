/**
 * The training graph against PEFT's gradients for one step on the tiny model (oracle.json `trainStep`, made
 * with the reference adapter loaded). Correct autodiff matches to ~1e-5 relative; the bounds here are
 * |Δ| ≤ 1e-5 + 1e-3·|want| on the loss and on each gradient's sum, sum of |·| and first four values.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import { Op } from '../../../src/engine/model/graph/ops.js';
import { serialize } from '../../../src/engine/model/graph/serialize.js';
import type { LlamaLora } from '../../../src/engine/model/llama.js';
import {
  buildTrainingGraph,
  DROPOUT_SCALE,
  dropoutMaskName,
  gradName,
  trainingFeeds,
  type TrainingGraphOptions,
} from '../../../src/engine/model/training-graph.js';
import type { WeightMap } from '../../../src/engine/model/types.js';
import { createSession, f32, type HostTensor } from '../../../src/engine/infer/ort.js';
import { oracle, tinyAdapter, tinyConfig, tinyWeights } from './tiny-ref.js';

const cfg = tinyConfig();
let weights: WeightMap;
let adapter: Map<string, HostTensor>;
let lora: LlamaLora;

const close = (got: number, want: number): boolean => Math.abs(got - want) <= 1e-5 + 1e-3 * Math.abs(want);
const maxAbsDiff = (a: HostTensor, b: HostTensor): number =>
  (a.data as Float32Array).reduce((m, v, i) => Math.max(m, Math.abs(v - (b.data as Float32Array)[i]!)), 0);

/** One training-graph run on the oracle's step with `opts`, its feeds passed through `edit`. */
async function runStep(
  opts: TrainingGraphOptions,
  edit: (f: Record<string, HostTensor>) => Record<string, HostTensor>,
  tensors: Map<string, HostTensor> = adapter,
): Promise<Record<string, HostTensor>> {
  const step = oracle.trainStep;
  const s = await createSession(serialize(buildTrainingGraph(cfg, weights, lora, opts)).model, {
    threads: 1,
  });
  const ids = BigInt64Array.from(step.inputIds, (x) => BigInt(x));
  const labels = BigInt64Array.from(step.labels, (x) => BigInt(x));
  try {
    return await s.run(
      edit({ ...trainingFeeds(ids, labels, 1, ids.length), ...Object.fromEntries(tensors) }),
    );
  } finally {
    await s.release();
  }
}

/** Dropout feeds that keep every input, at `scale`. */
function keepAll(f: Record<string, HostTensor>, scale: number): Record<string, HostTensor> {
  const rows = (f.input_ids!.dims[0] as number) * (f.input_ids!.dims[1] as number);
  for (const m of lora.modules) {
    const inp = adapter.get(m.a)!.dims[1] as number;
    f[dropoutMaskName(m)] = {
      dtype: 'bool',
      dims: [...f.input_ids!.dims, inp],
      data: new Uint8Array(rows * inp).fill(1),
    };
  }
  f[DROPOUT_SCALE] = f32(Float32Array.of(scale), []);
  return f;
}

describe('LoRA training graph', () => {
  beforeAll(async () => {
    weights = await tinyWeights();
    ({ feeds: adapter, lora } = await tinyAdapter(cfg));
  });

  // Fused projections with concatenated A's, fused frozen products only, the plain
  // per-projection graph, and the dropout graph with keep-everything masks: all must be PEFT's step.
  const variants: [string, TrainingGraphOptions][] = [
    ['fused, A’s concatenated', { fuse: true, rank: 4 }],
    ['fused frozen products', { fuse: true }],
    ['unfused (the default)', {}],
    ['dropout inputs, masks all kept', { fuse: true, rank: 4, dropout: true }],
  ];
  it.each(variants)('gives PEFT’s loss and every LoRA gradient in one run (%s)', async (_, opts) => {
    const step = oracle.trainStep;
    const out = await runStep(opts, (f) => (opts.dropout ? keepAll(f, 1) : f));
    expect(close(Number(out.loss!.data[0]), step.loss)).toBe(true);
    const names = Object.keys(step.loraGrads);
    expect(names).toHaveLength(2 * 7 * cfg.num_hidden_layers);
    for (const [peftName, want] of Object.entries(step.loraGrads)) {
      const got = out[gradName(peftName.replace('.default', ''))]!;
      const data = got.data as Float32Array;
      expect(got.dims).toEqual(want.shape);
      const sum = data.reduce((a, b) => a + b, 0);
      const sumAbs = data.reduce((a, b) => a + Math.abs(b), 0);
      expect({ name: peftName, ok: close(sum, want.sum) && close(sumAbs, want.sumAbs) }).toEqual({
        name: peftName,
        ok: true,
      });
      want.first4.forEach((v, i) => expect(close(data[i]!, v)).toBe(true));
    }
  });

  it('applies dropout to the LoRA branch input only: x·scale where kept, 0 where dropped', async () => {
    const opts = { rank: 4, dropout: true };
    // Keeping everything at scale 2 is A(2x) = (2A)(x): the loss and B's gradients of an adapter with doubled A's.
    const scaled = await runStep(opts, (f) => keepAll(f, 2));
    const doubled = new Map(adapter);
    for (const m of lora.modules) {
      const a = adapter.get(m.a)!;
      doubled.set(
        m.a,
        f32(
          Float32Array.from(a.data as Float32Array, (v) => 2 * v),
          a.dims,
        ),
      );
    }
    const ref = await runStep({ rank: 4 }, (f) => f, doubled);
    expect(Number(scaled.loss!.data[0])).toBeCloseTo(Number(ref.loss!.data[0]), 5);
    const b0 = gradName(lora.modules[0]!.b);
    expect(maxAbsDiff(scaled[b0]!, ref[b0]!)).toBeLessThan(1e-5);
    // Dropping every input of one module: its branch is 0, so neither of its tensors gets a gradient.
    const m = lora.modules[5]!;
    const dropped = await runStep(opts, (f) => {
      keepAll(f, 2);
      f[dropoutMaskName(m)] = {
        ...f[dropoutMaskName(m)]!,
        data: new Uint8Array(f[dropoutMaskName(m)]!.data.length),
      };
      return f;
    });
    for (const name of [m.a, m.b]) {
      const gsum = (dropped[gradName(name)]!.data as Float32Array).reduce((s, v) => s + Math.abs(v), 0);
      expect(gsum).toBe(0);
    }
    expect(Number(dropped.loss!.data[0])).not.toBeCloseTo(Number(scaled.loss!.data[0]), 6);
  });

  it('builds no backward pass below the lowest adapted layer', () => {
    const top = cfg.num_hidden_layers - 1;
    const only = { scale: 2, modules: lora.modules.filter((m) => m.layer === top && m.target === 'v_proj') };
    const g = buildTrainingGraph(cfg, weights, only);
    // Backward MatMuls touch the top layer only: none may read a layer-0 weight.
    const layer0 = new Set(g.consts.filter((c) => c.name?.includes('model.layers.0.'))); // plain and fused
    const firstBackward = g.nodes.findIndex((n) => n.op === Op.ScatterND); // the head gather's VJP starts it
    expect(firstBackward).toBeGreaterThan(0);
    const backward = g.nodes.slice(firstBackward);
    const readsLayer0 = backward.some((n) =>
      n.inputs.some(
        (v) => layer0.has(v) || (v.kind === 'node' && g.producer.get(v)?.inputs.some((w) => layer0.has(w))),
      ),
    );
    expect(readsLayer0).toBe(false);
  });

  it('derives shifted label positions and refuses a batch without labels', () => {
    const ids = BigInt64Array.of(5n, 6n, 7n, 8n, 1n, 2n, 3n, 0n);
    const labels = BigInt64Array.of(-100n, -100n, 7n, 8n, -100n, 2n, 3n, -100n);
    const f = trainingFeeds(ids, labels, 2, 4);
    expect([...(f.label_positions!.data as BigInt64Array)]).toEqual([1n, 2n, 4n, 5n]);
    expect(f.label_positions!.dims).toEqual([4, 1]);
    expect([...(f.label_targets!.data as BigInt64Array)]).toEqual([7n, 8n, 2n, 3n]);
    expect(() => trainingFeeds(ids, new BigInt64Array(8).fill(-100n), 2, 4)).toThrow(
      expect.objectContaining({ code: 'train_no_labels' }),
    );
  });
});
