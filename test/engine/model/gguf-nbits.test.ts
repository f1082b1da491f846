/**
 * GGUF blocks as MatMulNBits weights: the layouts reproduce the file's dequantised values exactly, and a q4
 * runtime on a Q4_1/Q8_0 "file" of the tiny model (Q4_1 mins on the grouped LoRA path) gives the logits of the
 * f32 model made of the same dequantised weights — bound 1e-4 with f32 activations (accuracy_level 1), since
 * only the order of float additions differs.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import { decode } from '../../../src/engine/infer/decode.js';
import { KvCache } from '../../../src/engine/infer/kv.js';
import { createRuntime } from '../../../src/engine/infer/runtime.js';
import { ggufBlocksToNBits, unpermuteRows, type GgufNBits } from '../../../src/engine/model/gguf-nbits.js';
import { loadAdapter } from '../../../src/engine/model/lora.js';
import { dequantizeNBits } from '../../../src/engine/model/quant.js';
import { loadTokenizer } from '../../../src/engine/model/tokenizer/index.js';
import type { F32Tensor, WeightMap } from '../../../src/engine/model/types.js';
import { dequantize } from '../../../src/engine/model/weights/dequant.js';
import { GGML } from '../../../src/engine/model/weights/ggml-types.js';
import { f32ToF16 } from '../../../src/engine/model/weights/half.js';
import { permuteQk } from '../../../src/engine/model/weights/names.js';
import { quantizeQ4_1, quantizeQ8_0 } from '../../../src/engine/model/weights/quantize.js';
import { oracle, REF, tinyConfig, tinyWeights } from './tiny-ref.js';

const cfg = tinyConfig();

/** x·wᵀ's weight as the kernel sees it: dequant(q) plus the block min of its 32-block. */
function effective(w: GgufNBits): Float32Array {
  const out = dequantizeNBits(w.q);
  if (w.mins)
    for (let i = 0; i < out.length; i++) out[i] = Math.fround(out[i]! + w.mins[Math.floor(i / 32)]!);
  return out;
}

function randomWeight(n: number, k: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n * k }, () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return (s / 2 ** 32 - 0.5) * 0.2;
  });
}

describe('GGUF blocks → MatMulNBits', () => {
  it('Q8_0, Q4_1 and Q4_0 reproduce the dequantised file values', () => {
    const [n, k] = [6, 96];
    const x = randomWeight(n, k, 7);
    const q40 = new Uint8Array((n * k * 18) / 32);
    for (let b = 0; b < (n * k) / 32; b++) {
      new DataView(q40.buffer).setUint16(b * 18, f32ToF16(0.01 * (b + 1)), true);
      for (let j = 0; j < 16; j++) q40[b * 18 + 2 + j] = (b * 37 + j * 11) & 255;
    }
    for (const [type, bytes] of [
      [GGML.Q8_0, quantizeQ8_0(x)],
      [GGML.Q4_1, quantizeQ4_1(x)],
      [GGML.Q4_0, q40],
    ] as const) {
      const w = ggufBlocksToNBits(type, bytes, n, k)!;
      expect(Array.from(effective(w))).toEqual(Array.from(dequantize(type, bytes, n * k)));
    }
  });

  it('un-permutes q/k rows like the f32 loader', () => {
    const [n, k] = [cfg.num_attention_heads * cfg.head_dim, 64];
    const bytes = quantizeQ4_1(randomWeight(n, k, 3));
    const fromFile = { shape: [n, k], data: dequantize(GGML.Q4_1, bytes, n * k) };
    const want = permuteQk(fromFile, cfg.num_attention_heads, 'toHf').data;
    const got = effective(unpermuteRows(ggufBlocksToNBits(GGML.Q4_1, bytes, n, k)!, cfg.num_attention_heads));
    expect(Array.from(got)).toEqual(Array.from(want));
  });
});

describe('q4 runtime on the file blocks (tiny model)', () => {
  let f32Weights: WeightMap;
  let gguf: Map<string, GgufNBits>;

  beforeAll(async () => {
    // A Q4_1 "file" of the tiny model (q/k rows in llama.cpp's order) with a Q8_0 embedding, as llama.cpp
    // writes SmolLM2, and the f32 weights the loader would dequantise from it.
    const src = await tinyWeights();
    f32Weights = new Map();
    gguf = new Map();
    for (const [name, t] of src) {
      if (t.shape.length !== 2) {
        f32Weights.set(name, t);
        continue;
      }
      const heads = name.endsWith('q_proj.weight')
        ? cfg.num_attention_heads
        : name.endsWith('k_proj.weight')
          ? cfg.num_key_value_heads
          : 0;
      const stored: F32Tensor = heads ? permuteQk(t, heads, 'toGguf') : t;
      const type = name === 'model.embed_tokens.weight' ? GGML.Q8_0 : GGML.Q4_1;
      const bytes = type === GGML.Q8_0 ? quantizeQ8_0(stored.data) : quantizeQ4_1(stored.data);
      const [n, k] = t.shape as [number, number];
      const deq = { shape: [n, k], data: dequantize(type, bytes, n * k) };
      f32Weights.set(name, heads ? permuteQk(deq, heads, 'toHf') : deq);
      const w = ggufBlocksToNBits(type, bytes, n, k)!;
      gguf.set(name, heads ? unpermuteRows(w, heads) : w);
    }
  });

  it('gives the f32 logits of the same dequantised weights, with and without an adapter', async () => {
    const tok = await loadTokenizer(`${REF}/model`);
    const exact = await createRuntime(cfg, f32Weights, tok, { threads: 1 });
    const q4 = await createRuntime(cfg, f32Weights, tok, { threads: 1, quant: 'q4', accuracyLevel: 1 }, gguf);
    const adapter = await loadAdapter(`${REF}/adapter`);
    for (const a of [null, adapter]) {
      for (const run of oracle.base) {
        const [want] = await new KvCache(exact, 1, exact.loraFeeds(a)).step([run.ids]);
        const [got] = await new KvCache(q4, 1, q4.loraFeeds(a)).step([run.ids]);
        let worst = 0;
        for (let i = 0; i < want!.length; i++) worst = Math.max(worst, Math.abs(got![i]! - want![i]!));
        expect(worst).toBeLessThan(1e-4);
      }
    }
    const prompt = oracle.base[2]!.ids;
    const greedy = async (rt: typeof exact): Promise<number[]> =>
      (await decode(rt, prompt, { maxTokens: 8, stopTokens: [] })).tokens.map((t) => t.id);
    expect(await greedy(q4)).toEqual(await greedy(exact));
    await exact.release();
    await q4.release();
  });
});
