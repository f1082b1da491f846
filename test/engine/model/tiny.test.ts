import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyConfig, writeTinyModel } from '../../../src/engine/model/tiny.js';
import { loadTokenizer, loadTokenizerFromGguf } from '../../../src/engine/model/tokenizer/index.js';
import type { WeightMap } from '../../../src/engine/model/types.js';
import { readGgufHeader } from '../../../src/engine/model/weights/gguf.js';
import { loadWeights } from '../../../src/engine/model/weights/load.js';
import { quantErrorBound } from '../../../src/engine/model/weights/quantize.js';
import { argmax, referenceLogits } from './reference-forward.js';

let dir: string;
let hfDir: string;
const gguf: Record<'f32' | 'q8_0' | 'q4_1', string> = { f32: '', q8_0: '', q4_1: '' };
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'smolmap-tiny-'));
  hfDir = await writeTinyModel(path.join(dir, 'hf'), { seed: 7, layout: 'hf' });
  for (const q of ['f32', 'q8_0', 'q4_1'] as const) {
    gguf[q] = await writeTinyModel(path.join(dir, 'gguf'), { seed: 7, layout: 'gguf', quant: q });
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const bytesEqual = (a: Float32Array, b: Float32Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** Largest |a − b| minus the per-32-block quantisation bound (≤ 0 means every value is within bound). */
function worstExcess(hf: WeightMap, other: WeightMap, quant: 'q8_0' | 'q4_1'): number {
  let worst = -Infinity;
  for (const [name, t] of hf) {
    const o = other.get(name)!;
    expect(o.shape).toEqual(t.shape);
    if (t.shape.length === 1) {
      expect(bytesEqual(o.data, t.data)).toBe(true); // norms stay f32
      continue;
    }
    for (let b = 0; b < t.data.length; b += 32) {
      const block = t.data.subarray(b, b + 32);
      const bound = quantErrorBound(quant, Math.min(...block), Math.max(...block));
      for (let i = 0; i < 32; i++) worst = Math.max(worst, Math.abs(o.data[b + i]! - block[i]!) - bound);
    }
  }
  return worst;
}

describe('writeTinyModel', () => {
  it('is deterministic per seed', async () => {
    const again = await writeTinyModel(path.join(dir, 'again'), { seed: 7, layout: 'hf' });
    const other = await writeTinyModel(path.join(dir, 'other'), { seed: 8, layout: 'hf' });
    const st = (d: string) => readFile(path.join(d, 'model.safetensors'));
    expect((await st(again)).equals(await st(hfDir))).toBe(true);
    expect((await st(other)).equals(await st(hfDir))).toBe(false);
    const g2 = await writeTinyModel(path.join(dir, 'again'), { seed: 7, layout: 'gguf', quant: 'q4_1' });
    expect((await readFile(g2)).equals(await readFile(gguf.q4_1))).toBe(true);
  });

  it('writes a GGUF v3 with q8_0/q4_1 2-D tensors, f32 norms and tokenizer metadata', async () => {
    const h = await readGgufHeader(gguf.q4_1);
    expect(h.version).toBe(3);
    const types = new Set(h.tensors.map((t) => `${t.dims.length}:${t.typeName}`));
    expect(types).toEqual(new Set(['1:F32', '2:Q4_1']));
    expect(h.metadata['tokenizer.ggml.pre']).toBe('smollm');
    expect((h.metadata['tokenizer.ggml.tokens'] as string[]).slice(0, 3)).toEqual([
      '<|endoftext|>',
      '<|im_start|>',
      '<|im_end|>',
    ]);
    expect(h.metadata['tokenizer.ggml.tokens']).toHaveLength(512);
    expect(
      (await readGgufHeader(gguf.q8_0)).tensors.find((t) => t.name === 'blk.0.attn_q.weight')!.typeName,
    ).toBe('Q8_0');
  });

  it('HF and GGUF loaders return the same config and tensors (exact for f32, within the bound for q8_0/q4_1)', async () => {
    const hf = await loadWeights(hfDir);
    expect(hf.config).toEqual(tinyConfig());
    const f32 = await loadWeights(gguf.f32);
    expect(f32.config).toEqual(hf.config);
    for (const [name, t] of hf.weights) expect(bytesEqual(f32.weights.get(name)!.data, t.data)).toBe(true);
    for (const q of ['q8_0', 'q4_1'] as const) {
      const g = await loadWeights(gguf[q]);
      expect(g.config).toEqual(hf.config);
      expect(worstExcess(hf.weights, g.weights, q)).toBeLessThanOrEqual(0);
    }
  });

  it('the q8_0 GGUF forward stays close to the f32 HF forward', async () => {
    const hf = await loadWeights(hfDir);
    const q8 = await loadWeights(gguf.q8_0);
    const ids = [1, 300, 17, 400, 5, 450];
    const a = referenceLogits(hf.config, hf.weights, ids);
    const b = referenceLogits(q8.config, q8.weights, ids);
    let maxDiff = 0;
    let sq = 0;
    let ref = 0;
    a.forEach((row, t) =>
      row.forEach((v, i) => {
        const d = Math.abs(v - b[t]![i]!);
        maxDiff = Math.max(maxDiff, d);
        sq += d * d;
        ref += v * v;
      }),
    );
    // Q8_0 keeps ~8 bits per weight: measured rms error ≈ 1.3% and worst ≈ 8% of the logit rms (seed 7).
    const rms = Math.sqrt(ref / (a.length * a[0]!.length));
    expect(Math.sqrt(sq / (a.length * a[0]!.length))).toBeLessThan(0.03 * rms);
    expect(maxDiff).toBeLessThan(0.15 * rms);
    expect(new Set(a.map(argmax)).size).toBeGreaterThan(1); // a random model with a real signal
  });

  it('HF and GGUF tokenizers encode alike and render the SmolLM2 chat template', async () => {
    const fromHf = await loadTokenizer(hfDir);
    const fromGguf = await loadTokenizerFromGguf(gguf.q8_0);
    expect(fromHf.vocabSize).toBe(512);
    for (const text of [
      'Show me pet 42',
      'GET /pet/{petId}?status=sold&limit=10',
      '{"method": "GET", "query": {"status": "sold"}}',
      'naïve café — 12345 ✓',
      '  spaces\tand\nnewlines  ',
      'The capital of France is Paris.',
    ]) {
      const ids = fromHf.encode(text);
      expect(fromGguf.encode(text)).toEqual(ids);
      expect(fromHf.decode(ids)).toBe(text);
    }
    const sentence = 'The capital of France is Paris.';
    expect(fromHf.encode(sentence).length).toBeLessThan(sentence.length / 3); // merges learned from the corpus
    expect(fromHf.encode('<|im_start|>user')[0]).toBe(1);
    const prompt = fromHf.applyChatTemplate([{ role: 'user', content: 'Hi' }], { addGenerationPrompt: true });
    expect(prompt).toBe(
      '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' +
        '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(fromGguf.applyChatTemplate([{ role: 'user', content: 'Hi' }], { addGenerationPrompt: true })).toBe(
      prompt,
    );
  });
});
