/**
 * The fast (contrib-op) inference emission against the standard one on the tiny reference model: prefill,
 * KV-cache steps of one and of several tokens, a left-padded batch, with the PEFT adapter as grouped LoRA
 * feeds and with rank 0. Both are float32 graphs of the same math, so logits agree to 1e-4.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import { serialize } from '../../../src/engine/model/graph/serialize.js';
import { inferenceGraph, type LlamaLora } from '../../../src/engine/model/llama.js';
import { fastInferenceGraph } from '../../../src/engine/model/llama-fast.js';
import { groupedLoraTensors } from '../../../src/engine/model/lora-groups.js';
import { loadAdapter, type LoraAdapter } from '../../../src/engine/model/lora.js';
import type { WeightMap } from '../../../src/engine/model/types.js';
import { createSession, f32, i64, type HostTensor, type Session } from '../../../src/engine/infer/ort.js';
import { oracle, REF, tinyAdapter, tinyConfig, tinyWeights } from './tiny-ref.js';

const cfg = tinyConfig();
const V = cfg.vocab_size;
let weights: WeightMap;
let adapter: LoraAdapter;
let peftFeeds: Record<string, HostTensor>;
let lora: LlamaLora;
let standard: Session;
let fast: Session;

const grouped = (a: LoraAdapter | null): Record<string, HostTensor> =>
  Object.fromEntries([...groupedLoraTensors(cfg, a)].map(([k, t]) => [k, f32(t.data, t.shape)]));

function stepFeeds(
  rows: readonly (readonly (number | null)[])[],
  maskSoFar: number[][],
  nextPos: number[],
): Record<string, HostTensor> {
  const ids: number[] = [];
  const pos: number[] = [];
  rows.forEach((r, b) => {
    for (const t of r) {
      ids.push(t ?? 0);
      pos.push(t === null ? 0 : nextPos[b]!++);
      maskSoFar[b]!.push(t === null ? 0 : 1);
    }
  });
  return {
    input_ids: i64(ids, [rows.length, rows[0]!.length]),
    position_ids: i64(pos, [rows.length, rows[0]!.length]),
    attention_mask: i64(maskSoFar.flat(), [rows.length, maskSoFar[0]!.length]),
  };
}

/** Runs both graphs step by step over the same rows and returns the worst logit difference. */
async function compareSteps(
  steps: readonly (readonly (readonly (number | null)[])[])[],
  loraStd: Record<string, HostTensor>,
  loraFast: Record<string, HostTensor>,
): Promise<number> {
  const batch = steps[0]!.length;
  const empty = f32(new Float32Array(0), [batch, cfg.num_key_value_heads, 0, cfg.head_dim]);
  const past = [{} as Record<string, HostTensor>, {} as Record<string, HostTensor>];
  const masks = [0, 1].map(() => Array.from({ length: batch }, (): number[] => []));
  const next = [0, 1].map(() => new Array<number>(batch).fill(0));
  let worst = 0;
  for (const rows of steps) {
    const outs = [];
    for (const [i, s] of [standard, fast].entries()) {
      const feeds: Record<string, HostTensor> = {
        ...stepFeeds(rows, masks[i]!, next[i]!),
        ...(i === 0 ? loraStd : loraFast),
        num_logits_to_keep: i64([rows[0]!.length], []),
      };
      for (let l = 0; l < cfg.num_hidden_layers; l++)
        for (const kv of ['key', 'value'])
          feeds[`past_key_values.${l}.${kv}`] = past[i]![`present.${l}.${kv}`] ?? empty;
      const out = await s.run(feeds);
      past[i] = out;
      outs.push(out);
    }
    const [a, b] = outs.map((o) => o['logits']!);
    expect(b!.dims).toEqual(a!.dims);
    expect(b!.dims).toEqual([batch, rows[0]!.length, V]);
    // Padded positions carry no meaning; compare real ones only.
    rows.forEach((r, bi) =>
      r.forEach((t, si) => {
        if (t === null) return;
        const off = (bi * r.length + si) * V;
        for (let v = 0; v < V; v++)
          worst = Math.max(worst, Math.abs((a!.data[off + v] as number) - (b!.data[off + v] as number)));
      }),
    );
    expect(outs[1]!['present.0.key']!.dims).toEqual(outs[0]!['present.0.key']!.dims);
  }
  return worst;
}

describe('fast inference graph (contrib ops) vs the standard graph (tiny model)', () => {
  beforeAll(async () => {
    weights = await tinyWeights();
    adapter = await loadAdapter(`${REF}/adapter`);
    const t = await tinyAdapter(cfg);
    peftFeeds = Object.fromEntries(t.feeds);
    lora = t.lora;
    standard = await createSession(serialize(inferenceGraph(cfg, weights, { lora, logits: 'keep' })).model, {
      threads: 1,
    });
    fast = await createSession(serialize(fastInferenceGraph(cfg, weights, { logits: 'keep' })).model, {
      threads: 1,
    });
  });

  it('keeps the standard session I/O names apart from the grouped LoRA inputs', () => {
    const nonLora = (names: readonly string[]): string[] => names.filter((n) => !n.includes('lora')).sort();
    expect(nonLora(fast.inputNames)).toEqual(nonLora(standard.inputNames));
    expect([...fast.outputNames].sort()).toEqual([...standard.outputNames].sort());
  });

  it('prefill of every oracle prompt, with the PEFT adapter as grouped LoRA', async () => {
    for (const run of oracle.withAdapter) {
      expect(await compareSteps([[run.ids]], peftFeeds, grouped(adapter))).toBeLessThan(1e-4);
    }
  });

  it('rank 0 (no adapter) equals the standard graph with zero-rank LoRA', async () => {
    const zero = Object.fromEntries(
      Object.entries(peftFeeds).map(([k, t]) => {
        const dims = k.includes('lora_A') ? [0, t.dims[1]!] : [t.dims[0]!, 0];
        return [k, f32(new Float32Array(0), dims)];
      }),
    );
    expect(await compareSteps([[oracle.base[0]!.ids]], zero, grouped(null))).toBeLessThan(1e-4);
  });

  // Regression: a shared symbolic rank dim across layers let ORT plan buffer reuse between a rank-0 layer and an
  // adapted one ("re-use buffer {1,T,0} != {1,T,48}") as soon as an adapter covered some layers only.
  it('an adapter on some layers only (rank 0 elsewhere)', async () => {
    const keep = (name: string): boolean => name.includes('layers.0.');
    const partial: LoraAdapter = {
      ...adapter,
      config: { ...adapter.config, layers: [0] },
      modules: adapter.modules.filter((m) => m.layer === 0),
      tensors: new Map([...adapter.tensors].filter(([k]) => keep(k))),
    };
    const std = Object.fromEntries(
      Object.entries(peftFeeds).map(([k, t]) => {
        if (keep(k)) return [k, t];
        const dims = k.includes('lora_A') ? [0, t.dims[1]!] : [t.dims[0]!, 0];
        return [k, f32(new Float32Array(0), dims)];
      }),
    );
    const ids = oracle.base[1]!.ids;
    const steps = [[ids.slice(0, 4)], [ids.slice(4, 5)], [ids.slice(5, 8)]];
    expect(await compareSteps(steps, std, grouped(partial))).toBeLessThan(1e-4);
  });

  it('KV-cache steps of one and of several tokens', async () => {
    const ids = oracle.base[1]!.ids;
    const steps = [[ids.slice(0, 3)], [ids.slice(3, 4)], [ids.slice(4, 7)], [ids.slice(7, 8)]];
    expect(await compareSteps(steps, peftFeeds, grouped(adapter))).toBeLessThan(1e-4);
  });

  // The fast graph rotates by cache slot (GroupQueryAttention's own positions), which equals position_ids up to a
  // per-row constant for left padding; RoPE scores depend on position differences only, so that is exact math.
  it('a left-padded batch, prefill then single-token steps', async () => {
    const a = oracle.base[0]!.ids;
    const b = oracle.base[1]!.ids;
    const pad = b.length - a.length;
    const steps = [
      [[...new Array<null>(pad).fill(null), ...a], b],
      [[5], [7]],
      [[9], [13]],
      [[11], [null]], // a finished row is padded from here on (batch.ts)
      [[15], [null]],
    ];
    expect(await compareSteps(steps, peftFeeds, grouped(adapter))).toBeLessThan(1e-4);
  });
});
