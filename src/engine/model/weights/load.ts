import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { SmolmapError } from '../../errors.js';
import type { LlamaConfig, WeightMap } from '../types.js';
import { configFromGguf, parseHfConfig } from './config.js';
import { dequantize } from './dequant.js';
import { openModelFile, readGgufHeaderFrom, readGgufTensorRawFrom } from './gguf.js';
import { ggufToHfName, permuteQk } from './names.js';
import { readSafetensors } from './safetensors.js';

export interface LoadedWeights {
  config: LlamaConfig;
  weights: WeightMap;
}

/** The tensors a LlamaForCausalLM needs, with their PyTorch shapes. */
export function expectedShapes(c: LlamaConfig): Map<string, number[]> {
  const q = c.num_attention_heads * c.head_dim;
  const kv = c.num_key_value_heads * c.head_dim;
  const m = new Map<string, number[]>([
    ['model.embed_tokens.weight', [c.vocab_size, c.hidden_size]],
    ['model.norm.weight', [c.hidden_size]],
  ]);
  if (!c.tie_word_embeddings) m.set('lm_head.weight', [c.vocab_size, c.hidden_size]);
  for (let n = 0; n < c.num_hidden_layers; n++) {
    const p = `model.layers.${n}.`;
    m.set(`${p}input_layernorm.weight`, [c.hidden_size]);
    m.set(`${p}post_attention_layernorm.weight`, [c.hidden_size]);
    m.set(`${p}self_attn.q_proj.weight`, [q, c.hidden_size]);
    m.set(`${p}self_attn.k_proj.weight`, [kv, c.hidden_size]);
    m.set(`${p}self_attn.v_proj.weight`, [kv, c.hidden_size]);
    m.set(`${p}self_attn.o_proj.weight`, [c.hidden_size, q]);
    m.set(`${p}mlp.gate_proj.weight`, [c.intermediate_size, c.hidden_size]);
    m.set(`${p}mlp.up_proj.weight`, [c.intermediate_size, c.hidden_size]);
    m.set(`${p}mlp.down_proj.weight`, [c.hidden_size, c.intermediate_size]);
  }
  return m;
}

/** Checks that every tensor the config implies is present with the right shape (extra tensors are ignored). */
export function validateShapes(
  config: LlamaConfig,
  shapes: ReadonlyMap<string, readonly number[]>,
  source: string,
) {
  for (const [name, shape] of expectedShapes(config)) {
    const got = shapes.get(name);
    const problem = !got
      ? 'is missing'
      : got.join(',') !== shape.join(',')
        ? `has shape [${got.join(', ')}], expected [${shape.join(', ')}]`
        : undefined;
    if (problem) {
      throw new SmolmapError(
        'model_weights_mismatch',
        `${source}: tensor ${name} ${problem} for the model's config; the weights and config.json/metadata do not belong together.`,
        { details: { source, tensor: name } },
      );
    }
  }
}

export function validateWeights(config: LlamaConfig, weights: WeightMap, source: string): void {
  validateShapes(config, new Map([...weights].map(([n, t]) => [n, t.shape])), source);
}

/** Ties embeddings when the checkpoint has no lm_head, and drops a redundant lm_head when the config ties. */
function settleTying(config: LlamaConfig, weights: WeightMap): LlamaConfig {
  if (!weights.has('lm_head.weight')) return { ...config, tie_word_embeddings: true };
  if (config.tie_word_embeddings) weights.delete('lm_head.weight');
  return config;
}

export async function loadGgufWeights(file: string): Promise<LoadedWeights> {
  const fh = await openModelFile(file);
  try {
    const header = await readGgufHeaderFrom(fh, file);
    const config = configFromGguf(
      header.metadata,
      header.tensors.map((t) => t.name),
      file,
    );
    const weights: WeightMap = new Map();
    for (const info of header.tensors) {
      const hf = ggufToHfName(info.name);
      if (!hf) continue;
      const raw = await readGgufTensorRawFrom(fh, header, info.name, file);
      const elements = info.dims.reduce((a, b) => a * b, 1);
      // ggml dims are reversed PyTorch dims; the bytes are the same row-major data
      let t = { shape: [...info.dims].reverse(), data: dequantize(info.type, raw.data, elements, info.name) };
      if (hf.endsWith('q_proj.weight')) t = permuteQk(t, config.num_attention_heads, 'toHf');
      else if (hf.endsWith('k_proj.weight')) t = permuteQk(t, config.num_key_value_heads, 'toHf');
      weights.set(hf, t);
    }
    const settled = settleTying(config, weights);
    validateWeights(settled, weights, file);
    return { config: settled, weights };
  } finally {
    await fh.close();
  }
}

export async function loadHfWeights(dir: string): Promise<LoadedWeights> {
  const configFile = path.join(dir, 'config.json');
  let json: unknown;
  try {
    json = JSON.parse(await readFile(configFile, 'utf8'));
  } catch (e) {
    throw new SmolmapError(
      'model_config_invalid',
      `cannot read ${configFile}; a Hugging Face model folder needs it.`,
      {
        cause: e,
        details: { source: configFile },
      },
    );
  }
  const weights = await readSafetensors(dir);
  const config = settleTying(parseHfConfig(json, configFile), weights);
  validateWeights(config, weights, dir);
  return { config, weights };
}

/** What a path holds: a GGUF file, or an HF folder (config.json), or a folder with exactly one .gguf. */
export async function resolveModelSource(source: string): Promise<{ kind: 'gguf' | 'hf'; path: string }> {
  const st = await stat(source).catch((e: unknown) => {
    throw new SmolmapError(
      'model_file_not_found',
      `cannot find ${source}; pass a .gguf file or a model folder.`,
      {
        cause: e,
      },
    );
  });
  if (st.isFile() && source.endsWith('.safetensors')) {
    throw new SmolmapError(
      'model_file_not_found',
      `${source} is a bare safetensors file; pass the folder that holds it with config.json and tokenizer.json.`,
    );
  }
  if (st.isFile()) return { kind: 'gguf', path: source };
  const files = await readdir(source);
  if (files.includes('config.json')) return { kind: 'hf', path: source };
  const ggufs = files.filter((f) => f.endsWith('.gguf'));
  if (ggufs.length === 1) return { kind: 'gguf', path: path.join(source, ggufs[0]!) };
  throw new SmolmapError(
    'model_file_not_found',
    `${source} holds neither config.json nor a single .gguf file; pass a Hugging Face model folder or a .gguf file.`,
    { details: { source, ggufFiles: ggufs } },
  );
}

/** Loads f32 weights (HF names, PyTorch shapes, rotate-half q/k layout) and the config from either format. */
export async function loadWeights(source: string): Promise<LoadedWeights> {
  const r = await resolveModelSource(source);
  return r.kind === 'gguf' ? loadGgufWeights(r.path) : loadHfWeights(r.path);
}
