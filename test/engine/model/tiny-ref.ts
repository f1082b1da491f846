/** Loaders for the tiny reference Llama, its PEFT adapter and the transformers/PEFT oracle (shared by tests). */
import { readFileSync } from 'node:fs';

import type { LlamaLora } from '../../../src/engine/model/llama.js';
import { LORA_TARGETS, type LlamaConfig, type WeightMap } from '../../../src/engine/model/types.js';
import { readSafetensors } from '../../../src/engine/model/weights/safetensors.js';
import { f32, type HostTensor } from '../../../src/engine/infer/ort.js';

import { TINY_LLAMA } from '../../fixtures/paths.js';

/** The tiny reference Llama's folder (test/fixtures/reference/tiny-llama). */
export const REF = TINY_LLAMA;

export interface OracleRun {
  ids: number[];
  argmax: number[];
  lastTop5: { ids: number[]; logits: number[] };
  first8OfLastRow: number[];
  rowSums: number[];
}
export interface OracleGrad {
  shape: number[];
  sum: number;
  sumAbs: number;
  first4: number[];
}
export interface Oracle {
  base: OracleRun[];
  withAdapter: OracleRun[];
  trainStep: { inputIds: number[]; labels: number[]; loss: number; loraGrads: Record<string, OracleGrad> };
}
export const oracle = JSON.parse(readFileSync(`${REF}/oracle.json`, 'utf8')) as Oracle;

export function tinyConfig(): LlamaConfig {
  const j = JSON.parse(readFileSync(`${REF}/model/config.json`, 'utf8')) as Record<string, unknown> & {
    rope_parameters: { rope_theta: number };
  };
  const n = (k: string): number => j[k] as number;
  return {
    hidden_size: n('hidden_size'),
    intermediate_size: n('intermediate_size'),
    num_hidden_layers: n('num_hidden_layers'),
    num_attention_heads: n('num_attention_heads'),
    num_key_value_heads: n('num_key_value_heads'),
    head_dim: n('head_dim'),
    vocab_size: n('vocab_size'),
    rope_theta: j.rope_parameters.rope_theta,
    rms_norm_eps: n('rms_norm_eps'),
    tie_word_embeddings: j.tie_word_embeddings as boolean,
    max_position_embeddings: n('max_position_embeddings'),
    bos_token_id: n('bos_token_id'),
    eos_token_id: n('eos_token_id'),
    pad_token_id: n('pad_token_id'),
  };
}

export function tinyWeights(): Promise<WeightMap> {
  return readSafetensors(`${REF}/model/model.safetensors`);
}

/** The PEFT adapter as graph feeds (the saved file's `base_model.model.` prefix dropped) and its hooks. */
export async function tinyAdapter(
  cfg: LlamaConfig,
): Promise<{ feeds: Map<string, HostTensor>; lora: LlamaLora }> {
  const raw = await readSafetensors(`${REF}/adapter/adapter_model.safetensors`);
  const feeds = new Map<string, HostTensor>();
  for (const [k, t] of raw) feeds.set(k.replace(/^base_model\.model\./, ''), f32(t.data, t.shape));
  const modules = [];
  for (let layer = 0; layer < cfg.num_hidden_layers; layer++) {
    for (const target of LORA_TARGETS) {
      const part = ['q_proj', 'k_proj', 'v_proj', 'o_proj'].includes(target) ? 'self_attn' : 'mlp';
      const base = `model.layers.${layer}.${part}.${target}`;
      modules.push({ layer, target, a: `${base}.lora_A.weight`, b: `${base}.lora_B.weight` });
    }
  }
  return { feeds, lora: { scale: 8 / 4, modules } }; // lora_alpha / r from adapter_config.json
}
