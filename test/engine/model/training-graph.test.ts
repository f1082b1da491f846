/**
 * The training graph against PEFT's gradients for one step on the tiny model (oracle.json `trainStep`, made
 * with the reference adapter loaded). Correct autodiff matches to ~1e-5 relative; the bounds here are
 * |Δ| ≤ 1e-5 + 1e-3·|want| on the loss and on each gradient's sum, sum of |·| and first four values.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import { Op } from '../../../src/engine/model/graph/ops.js';
import { serialize } from '../../../src/engine/model/graph/serialize.js';
import type { LlamaLora } from '../../../src/engine/model/llama.js';
import { buildTrainingGraph, gradName, trainingFeeds } from '../../../src/engine/model/training-graph.js';
import type { WeightMap } from '../../../src/engine/model/types.js';
import { createSession, type HostTensor } from '../../../src/engine/infer/ort.js';
import { oracle, tinyAdapter, tinyConfig, tinyWeights } from './tiny-ref.js';

const cfg = tinyConfig();
let weights: WeightMap;
let adapter: Map<string, HostTensor>;
let lora: LlamaLora;

const close = (got: number, want: number): boolean => Math.abs(got - want) <= 1e-5 + 1e-3 * Math.abs(want);

describe('LoRA training graph', () => {
  beforeAll(async () => {
    weights = await tinyWeights();
    ({ feeds: adapter, lora } = await tinyAdapter(cfg));
  });

  it('gives PEFT’s loss and the gradient of every LoRA tensor in one run', async () => {
    const step = oracle.trainStep;
    const g = buildTrainingGraph(cfg, weights, lora);
    const s = await createSession(serialize(g).model, { threads: 1 });
    const ids = BigInt64Array.from(step.inputIds, (x) => BigInt(x));
    const labels = BigInt64Array.from(step.labels, (x) => BigInt(x));
    const out = await s.run({ ...trainingFeeds(ids, labels, 1, ids.length), ...Object.fromEntries(adapter) });
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
    await s.release();
  });

  it('builds no backward pass below the lowest adapted layer', () => {
    const top = cfg.num_hidden_layers - 1;
    const only = { scale: 2, modules: lora.modules.filter((m) => m.layer === top && m.target === 'v_proj') };
    const g = buildTrainingGraph(cfg, weights, only);
    // Backward MatMuls touch the top layer only: none may read a layer-0 weight.
    const layer0 = new Set(g.consts.filter((c) => c.name?.startsWith('model.layers.0.')));
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
    expect([...(f.label_targets!.data as BigInt64Array)]).toEqual([7n, 8n, 2n, 3n]);
    expect(() => trainingFeeds(ids, new BigInt64Array(8).fill(-100n), 2, 4)).toThrow(
      expect.objectContaining({ code: 'train_no_labels' }),
    );
  });
});
