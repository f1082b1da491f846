import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  createAdapter,
  loadAdapter,
  loraConfigSchema,
  loraModules,
  loraScale,
  loraTensorName,
  mergeAdapter,
  saveAdapter,
} from '../../../src/engine/model/lora.js';
import { readSafetensorsHeader } from '../../../src/engine/model/weights/safetensors.js';
import type { LlamaConfig, WeightMap } from '../../../src/engine/model/types.js';
import { Rng } from '../../../src/engine/rng.js';
import { TINY_LLAMA } from '../../fixtures/paths.js';

const PEFT_DIR = path.join(TINY_LLAMA, 'adapter');

/** The reference tiny Llama's shape (reference/README.md). */
const TINY: LlamaConfig = {
  hidden_size: 64,
  intermediate_size: 160,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 16,
  vocab_size: 49152,
  rope_theta: 10000,
  rms_norm_eps: 1e-5,
  tie_word_embeddings: true,
  max_position_embeddings: 256,
  bos_token_id: 1,
  eos_token_id: 2,
  pad_token_id: 2,
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'smolmap-lora-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('LoRA config and init', () => {
  it('defaults to all seven targets and rejects unknown keys', () => {
    const c = loraConfigSchema.parse({});
    expect(c).toMatchObject({ r: 16, alpha: 32, dropout: 0, layers: null, rslora: false });
    expect(c.targets).toEqual(['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']);
    expect(() => loraConfigSchema.parse({ rank: 8 })).toThrow();
    expect(loraScale({ r: 16, alpha: 32, rslora: false })).toBe(2);
    expect(loraScale({ r: 16, alpha: 32, rslora: true })).toBe(8);
  });

  it('initialises A uniform in ±1/√in and B to zeros, reproducibly from the seed', () => {
    const cfg = loraConfigSchema.parse({ r: 4, targets: ['down_proj', 'q_proj'], seed: 7 });
    const a1 = createAdapter(TINY, cfg);
    const a2 = createAdapter(TINY, cfg);
    expect(a1.modules.map((m) => `${m.layer}.${m.target}`)).toEqual([
      '0.q_proj',
      '0.down_proj',
      '1.q_proj',
      '1.down_proj',
    ]);
    const down = a1.tensors.get(loraTensorName(0, 'down_proj', 'A'))!;
    expect(down.shape).toEqual([4, 160]);
    const bound = 1 / Math.sqrt(160);
    expect(Math.max(...down.data.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...down.data.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    expect(a1.tensors.get(loraTensorName(0, 'down_proj', 'B'))!.shape).toEqual([64, 4]);
    expect(a1.tensors.get(loraTensorName(1, 'q_proj', 'B'))!.data.every((x) => x === 0)).toBe(true);
    expect(a2.tensors.get(loraTensorName(0, 'down_proj', 'A'))!.data).toEqual(down.data);
    const other = createAdapter(TINY, { ...cfg, seed: 8 });
    expect(other.tensors.get(loraTensorName(0, 'down_proj', 'A'))!.data).not.toEqual(down.data);
  });

  it('rejects layers the model does not have', () => {
    expect(() => loraModules(TINY, loraConfigSchema.parse({ layers: [2] }))).toThrow(
      /layer 2 does not exist/,
    );
  });
});

describe('PEFT format', () => {
  it('round-trips exactly through saveAdapter / loadAdapter with PEFT names, shapes and config keys', async () => {
    const adapter = createAdapter(TINY, loraConfigSchema.parse({ r: 4, alpha: 8, seed: 3, layers: [1] }));
    const rng = new Rng(5);
    for (const t of adapter.tensors.values())
      for (let i = 0; i < t.data.length; i++) t.data[i] = rng.uniform(-1, 1);
    const out = path.join(dir, 'rt');
    await saveAdapter(out, adapter, { baseModel: 'HuggingFaceTB/SmolLM2-135M-Instruct' });

    const header = await readSafetensorsHeader(path.join(out, 'adapter_model.safetensors'));
    const names = header.tensors.map((t) => t.name);
    expect(names).toContain('base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight');
    expect(names).toContain('base_model.model.model.layers.1.mlp.down_proj.lora_B.weight');
    expect(names).toHaveLength(14);
    expect(header.metadata).toEqual({ format: 'pt' });
    const cfg = JSON.parse(await readFile(path.join(out, 'adapter_config.json'), 'utf8'));
    const peft = JSON.parse(await readFile(path.join(PEFT_DIR, 'adapter_config.json'), 'utf8'));
    for (const key of [
      'peft_type',
      'r',
      'lora_alpha',
      'target_modules',
      'task_type',
      'bias',
      'use_rslora',
      'use_dora',
    ])
      expect(cfg).toHaveProperty(key);
    const missing = Object.keys(cfg).filter((k) => !(k in peft));
    expect(missing).toEqual([]);
    expect(cfg).toMatchObject({ r: 4, lora_alpha: 8, task_type: 'CAUSAL_LM', layers_to_transform: [1] });
    expect(cfg.base_model_name_or_path).toBe('HuggingFaceTB/SmolLM2-135M-Instruct');

    const back = await loadAdapter(out);
    // The seed only matters for init; PEFT's file has no place for it.
    expect(back.config).toEqual({ ...adapter.config, seed: 0 });
    expect(back.modules).toEqual(adapter.modules);
    expect([...back.tensors.keys()].sort()).toEqual([...adapter.tensors.keys()].sort());
    for (const [k, t] of adapter.tensors) {
      expect(back.tensors.get(k)!.shape).toEqual(t.shape);
      expect(Buffer.from(back.tensors.get(k)!.data.buffer).equals(Buffer.from(t.data.buffer))).toBe(true);
    }
  });

  it('loads the adapter Python PEFT saved for the reference tiny Llama', async () => {
    const a = await loadAdapter(PEFT_DIR);
    expect(a.config).toMatchObject({ r: 4, alpha: 8, dropout: 0, rslora: false, layers: null });
    expect(a.config.targets).toHaveLength(7);
    expect(a.modules).toHaveLength(14);
    const gate = a.modules.find((m) => m.layer === 1 && m.target === 'gate_proj')!;
    expect([gate.inFeatures, gate.outFeatures]).toEqual([64, 160]);
    expect(a.tensors.get(gate.b)!.data.some((x) => x !== 0)).toBe(true);
  });

  it('refuses folders that are not LoRA adapters, with a coded error', async () => {
    await expect(loadAdapter(path.join(dir, 'nope'))).rejects.toMatchObject({ code: 'adapter_invalid' });
  });
});

describe('mergeAdapter', () => {
  it('gives x·(W + s·B·A)ᵀ = x·Wᵀ + s·(x·Aᵀ)·Bᵀ', () => {
    const cfg = loraConfigSchema.parse({ r: 2, alpha: 6, targets: ['k_proj'], layers: [0] });
    const adapter = createAdapter(TINY, cfg);
    const rng = new Rng(11);
    const b = adapter.tensors.get(loraTensorName(0, 'k_proj', 'B'))!;
    for (let i = 0; i < b.data.length; i++) b.data[i] = rng.uniform(-1, 1);
    const a = adapter.tensors.get(loraTensorName(0, 'k_proj', 'A'))!;
    const w = { shape: [32, 64], data: Float32Array.from({ length: 32 * 64 }, () => rng.uniform(-1, 1)) };
    const other = { shape: [64], data: new Float32Array(64) };
    const weights: WeightMap = new Map([
      ['model.layers.0.self_attn.k_proj.weight', w],
      ['model.norm.weight', other],
    ]);
    const merged = mergeAdapter(weights, adapter);
    expect(merged.get('model.norm.weight')).toBe(other);
    expect(weights.get('model.layers.0.self_attn.k_proj.weight')!.data).toBe(w.data);
    const wm = merged.get('model.layers.0.self_attn.k_proj.weight')!.data;
    const x = Float32Array.from({ length: 64 }, () => rng.uniform(-1, 1));
    const s = loraScale(cfg);
    for (let o = 0; o < 32; o++) {
      let yMerged = 0;
      let yBase = 0;
      for (let i = 0; i < 64; i++) {
        yMerged += x[i]! * wm[o * 64 + i]!;
        yBase += x[i]! * w.data[o * 64 + i]!;
      }
      let lora = 0;
      for (let k = 0; k < 2; k++) {
        let xa = 0;
        for (let i = 0; i < 64; i++) xa += x[i]! * a.data[k * 64 + i]!;
        lora += xa * b.data[o * 2 + k]!;
      }
      expect(yMerged).toBeCloseTo(yBase + s * lora, 4);
    }
  });

  it('names the mismatch when the base model does not fit', () => {
    const adapter = createAdapter(TINY, loraConfigSchema.parse({ r: 2, targets: ['q_proj'], layers: [0] }));
    expect(() => mergeAdapter(new Map(), adapter)).toThrow(
      expect.objectContaining({ code: 'adapter_base_mismatch' }),
    );
  });
});
