/**
 * export --format gguf-lora, read back with our own GGUF reader: llama.cpp's adapter metadata, tensor names and
 * ne order, values (f32 exact; f16 / bf16 / q8_0 within their rounding), and the Q/K row permutation of lora_b,
 * checked both with our inverse (permuteQk 'toHf') and with the index formula of llama.cpp's q/k permutation.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { baseConfigOf, encodeGgufLora } from '../../../src/engine/infer/export-gguf.js';
import { exportAdapter } from '../../../src/engine/infer/export.js';
import { importModel, openEngine, type Engine, type LoraAdapter } from '../../../src/engine/index.js';
import type { F32Tensor, LlamaConfig } from '../../../src/engine/model/types.js';
import { dequantize } from '../../../src/engine/model/weights/dequant.js';
import { GGML } from '../../../src/engine/model/weights/ggml-types.js';
import {
  readGgufHeader,
  readGgufTensorRaw,
  type GgufHeader,
} from '../../../src/engine/model/weights/gguf.js';
import { permuteQk } from '../../../src/engine/model/weights/names.js';
import { writeTinyModel } from '../../../src/engine/model/tiny.js';
import { REF } from '../model/tiny-ref.js';
import { registerRandomAdapter } from './export-gguf-helpers.js';

let dir: string;
let engine: Engine;
let config: LlamaConfig;
let adapter: LoraAdapter;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'smolmap-export-gguf-'));
  engine = await openEngine({ dataDir: path.join(dir, 'data'), modelsDir: path.join(dir, 'models') });
  await importModel(engine, `${REF}/model`, { name: 'tiny' });
  config = (await baseConfigOf(`${REF}/model`)).config;
  adapter = await registerRandomAdapter(engine, 'tt-r', config, 'tiny', { r: 4, alpha: 8, bScale: 0.5 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readBack(
  file: string,
): Promise<{ header: GgufHeader; tensor: (n: string) => Promise<F32Tensor> }> {
  const header = await readGgufHeader(file);
  return {
    header,
    async tensor(name) {
      const raw = await readGgufTensorRaw(file, header, name);
      const n = raw.dims.reduce((a, b) => a * b, 1);
      return { shape: [...raw.dims].reverse(), data: dequantize(raw.type, raw.data, n, name) };
    },
  };
}

const ggufBase = (layer: number, target: string): string =>
  `blk.${layer}.${
    {
      q_proj: 'attn_q',
      k_proj: 'attn_k',
      v_proj: 'attn_v',
      o_proj: 'attn_output',
      gate_proj: 'ffn_gate',
      up_proj: 'ffn_up',
      down_proj: 'ffn_down',
    }[target]
  }.weight`;

const maxAbsDiff = (x: Float32Array, y: Float32Array): number =>
  x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!)), 0);

describe('export --format gguf-lora', () => {
  it('f32: llama.cpp adapter metadata, names, ne order, exact values, Q/K rows permuted', async () => {
    const out = path.join(dir, 'out', 'tt-r.gguf');
    const r = await exportAdapter(engine, { model: 'tt-r', format: 'gguf-lora', out });
    expect(r).toMatchObject({ format: 'gguf-lora', dir: path.dirname(out), files: ['tt-r.gguf'] });
    const { header, tensor } = await readBack(out);
    expect(header.metadata).toMatchObject({
      'general.type': 'adapter',
      'general.architecture': 'llama',
      'adapter.type': 'lora',
      'general.name': 'tt-r',
    });
    expect(header.metadata['adapter.lora.alpha']).toBe(8);
    expect(header.tensors).toHaveLength(2 * 7 * config.num_hidden_layers);

    const heads = { q_proj: config.num_attention_heads, k_proj: config.num_key_value_heads };
    for (const m of adapter.modules) {
      const name = ggufBase(m.layer, m.target);
      const a = header.tensors.find((t) => t.name === `${name}.lora_a`)!;
      const b = header.tensors.find((t) => t.name === `${name}.lora_b`)!;
      // llama-adapter.cpp: model.ne[0] == a.ne[0] (in), a.ne[1] == b.ne[0] (r), model.ne[1] == b.ne[1] (out)
      expect([a.dims, b.dims, a.type, b.type]).toEqual([
        [m.inFeatures, 4],
        [4, m.outFeatures],
        GGML.F32,
        GGML.F32,
      ]);
      const peftA = adapter.tensors.get(m.a)!;
      const peftB = adapter.tensors.get(m.b)!;
      expect((await tensor(a.name)).data).toEqual(peftA.data);
      const gotB = await tensor(b.name);
      const h = m.target === 'q_proj' || m.target === 'k_proj' ? heads[m.target] : 0;
      if (h === 0) {
        expect(gotB.data).toEqual(peftB.data);
        continue;
      }
      expect(gotB.data).not.toEqual(peftB.data); // the permutation is not a no-op
      expect(permuteQk(gotB, h, 'toHf').data).toEqual(peftB.data);
      // The same by the permutation's index algebra: GGUF row h·D + 2j + i holds HF row h·D + i·D/2 + j.
      const d = m.outFeatures / h;
      for (const [hh, j, i] of [
        [0, 0, 1],
        [h - 1, d / 2 - 1, 0],
        [1, 3, 1],
      ] as const) {
        const g = hh * d + 2 * j + i;
        const f = hh * d + i * (d / 2) + j;
        expect(gotB.data.subarray(g * 4, g * 4 + 4)).toEqual(peftB.data.subarray(f * 4, f * 4 + 4));
      }
    }
  });

  it('f16, bf16 and q8_0 within their rounding; q8_0 keeps lora_b (ne[0] = r) in f16 like the converter', async () => {
    const m = adapter.modules.find((x) => x.target === 'gate_proj')!;
    const name = ggufBase(m.layer, m.target);
    const peftA = adapter.tensors.get(m.a)!.data;
    const peftB = adapter.tensors.get(m.b)!.data;
    const cases = [
      { outtype: 'f16', a: GGML.F16, b: GGML.F16, tolA: 2 ** -11 * 0.2, tolB: 2 ** -11 * 0.5 },
      { outtype: 'bf16', a: GGML.BF16, b: GGML.BF16, tolA: 2 ** -8 * 0.2, tolB: 2 ** -8 * 0.5 },
      { outtype: 'q8_0', a: GGML.Q8_0, b: GGML.F16, tolA: 0.2 / 127, tolB: 2 ** -11 * 0.5 },
    ] as const;
    for (const c of cases) {
      const out = path.join(dir, `tt-r-${c.outtype}.gguf`);
      await exportAdapter(engine, { model: 'tt-r', format: 'gguf-lora', outtype: c.outtype, out });
      const { header, tensor } = await readBack(out);
      const types = [`${name}.lora_a`, `${name}.lora_b`].map(
        (n) => header.tensors.find((t) => t.name === n)!.type,
      );
      expect(types).toEqual([c.a, c.b]);
      const errA = maxAbsDiff((await tensor(`${name}.lora_a`)).data, peftA);
      const errB = maxAbsDiff((await tensor(`${name}.lora_b`)).data, peftB);
      expect(errA).toBeLessThanOrEqual(c.tolA);
      expect(errA).toBeGreaterThan(0); // really stored in the narrower type
      expect(errB).toBeLessThanOrEqual(c.tolB);
    }
  });

  it('a GGUF base: architecture and head counts come from its metadata', async () => {
    const gguf = await writeTinyModel(path.join(dir, 'tiny-gguf'), {
      seed: 5,
      layout: 'gguf',
      quant: 'q8_0',
    });
    await importModel(engine, gguf, { name: 'tiny-gguf' });
    const base = await baseConfigOf(gguf);
    expect(base.architecture).toBe('llama');
    const ad = await registerRandomAdapter(engine, 'tg', base.config, 'tiny-gguf', {
      r: 2,
      alpha: 4,
      bScale: 0.5,
      targets: ['k_proj'],
    });
    const out = path.join(dir, 'tg.gguf');
    await exportAdapter(engine, { model: 'tg', format: 'gguf-lora', out });
    const { header, tensor } = await readBack(out);
    expect(header.metadata['general.architecture']).toBe('llama');
    expect(header.tensors.map((t) => t.name)).toEqual(
      ad.modules.flatMap((m) => [
        `blk.${m.layer}.attn_k.weight.lora_a`,
        `blk.${m.layer}.attn_k.weight.lora_b`,
      ]),
    );
    const m = ad.modules[1]!;
    const got = await tensor(`blk.${m.layer}.attn_k.weight.lora_b`);
    expect(permuteQk(got, base.config.num_key_value_heads, 'toHf').data).toEqual(ad.tensors.get(m.b)!.data);
  });

  it('rsLoRA is written as the alpha that gives llama.cpp the same scale (alpha / r = rsLoRA alpha / √r)', async () => {
    const rs = await registerRandomAdapter(engine, 'tt-rs', config, 'tiny', {
      r: 4,
      alpha: 8,
      rslora: true,
      bScale: 0.1,
    });
    const out = path.join(dir, 'tt-rs.gguf');
    await exportAdapter(engine, { model: 'tt-rs', format: 'gguf-lora', out });
    const alpha = (await readGgufHeader(out)).metadata['adapter.lora.alpha'] as number;
    expect(alpha / rs.config.r).toBeCloseTo(8 / Math.sqrt(4), 6);
  });

  it('refuses bad options, an existing file, and a base the adapter does not fit', async () => {
    const out = path.join(dir, 'exists.gguf');
    await writeFile(out, 'x');
    await expect(exportAdapter(engine, { model: 'tt-r', format: 'gguf-lora', out })).rejects.toMatchObject({
      code: 'export_out_exists',
    });
    await expect(
      exportAdapter(engine, { model: 'tt-r', format: 'gguf-lora', outtype: 'q4_0' as 'f16', out: `${out}2` }),
    ).rejects.toMatchObject({ code: 'usage_bad_option' });
    await expect(
      exportAdapter(engine, { model: 'tt-r', format: 'peft', outtype: 'f16', out: path.join(dir, 'p') }),
    ).rejects.toMatchObject({ code: 'usage_bad_option' });
    const other = { ...config, num_key_value_heads: config.num_attention_heads };
    expect(() =>
      encodeGgufLora(adapter, { config: other, architecture: 'llama' }, { name: 'x', outtype: 'f32' }),
    ).toThrow(expect.objectContaining({ code: 'adapter_base_mismatch' }));
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
