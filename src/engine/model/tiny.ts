import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { internal } from '../errors.js';
import {
  SMOLLM2_CHAT_TEMPLATE,
  TINY_SPECIAL_TOKENS,
  tinyTokenizerConfig,
  tinyTokenizerJson,
  trainTinyBpe,
  type TinyVocab,
} from './tiny-bpe.js';
import type { F32Tensor, LlamaConfig, WeightMap } from './types.js';
import { GGML } from './weights/ggml-types.js';
import { writeGguf, type GgufEntry, type GgufTensorOut } from './weights/gguf-write.js';
import { hfToGgufName, permuteQk } from './weights/names.js';
import { quantizeQ4_1, quantizeQ8_0 } from './weights/quantize.js';
import { writeSafetensors } from './weights/safetensors-write.js';

/**
 * A seeded, deterministic tiny Llama (2 layers, hidden 64, 4 heads, 2 kv heads, intermediate 128, ~512-token
 * byte-level BPE) written as a Hugging Face folder or as a GGUF v3 file, so tests need no download.
 * Both layouts hold the same weights; GGUF gets llama.cpp's q/k permutation and optional q8_0/q4_1 blocks.
 */

export type TinyQuant = 'f32' | 'q8_0' | 'q4_1';
export interface TinyModelOptions {
  seed: number;
  layout: 'hf' | 'gguf';
  /** GGUF only: storage of the 2-D weights (norms stay f32, as llama.cpp keeps them). Default q8_0. */
  quant?: TinyQuant;
}

/** 253 merges bring the vocabulary to 3 + 256 + 253 = 512 tokens when the corpus allows it. */
const TINY_MERGES = 253;
let vocabCache: TinyVocab | undefined;
export function tinyVocab(): TinyVocab {
  vocabCache ??= trainTinyBpe(TINY_MERGES);
  return vocabCache;
}

export function tinyConfig(): LlamaConfig {
  return {
    hidden_size: 64,
    intermediate_size: 128,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 16,
    vocab_size: tinyVocab().tokens.length,
    rope_theta: 10000,
    rms_norm_eps: 1e-5,
    tie_word_embeddings: true,
    max_position_embeddings: 512,
    bos_token_id: 1,
    eos_token_id: 2,
    pad_token_id: 2,
  };
}

/** mulberry32 (a small, well-mixed 32-bit PRNG) with Box–Muller normals. */
function normalSource(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/**
 * The tiny model's f32 weights (HF names and shapes). Linear weights ~ N(0, 1/in) keep activations O(1) so
 * logits have a clear argmax; norm weights are 1 ± 0.2 so a swapped norm is visible in tests.
 */
export function tinyWeights(seed: number): WeightMap {
  const c = tinyConfig();
  const normal = normalSource(seed);
  const dense = (shape: number[], std: number, mean = 0): F32Tensor => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = mean + std * normal();
    return { shape, data };
  };
  const H = c.hidden_size;
  const q = c.num_attention_heads * c.head_dim;
  const kv = c.num_key_value_heads * c.head_dim;
  const I = c.intermediate_size;
  const w: WeightMap = new Map([['model.embed_tokens.weight', dense([c.vocab_size, H], 1)]]);
  for (let n = 0; n < c.num_hidden_layers; n++) {
    const p = `model.layers.${n}.`;
    w.set(`${p}input_layernorm.weight`, dense([H], 0.2, 1));
    w.set(`${p}self_attn.q_proj.weight`, dense([q, H], 1 / Math.sqrt(H)));
    w.set(`${p}self_attn.k_proj.weight`, dense([kv, H], 1 / Math.sqrt(H)));
    w.set(`${p}self_attn.v_proj.weight`, dense([kv, H], 1 / Math.sqrt(H)));
    w.set(`${p}self_attn.o_proj.weight`, dense([H, q], 1 / Math.sqrt(q)));
    w.set(`${p}post_attention_layernorm.weight`, dense([H], 0.2, 1));
    w.set(`${p}mlp.gate_proj.weight`, dense([I, H], 1 / Math.sqrt(H)));
    w.set(`${p}mlp.up_proj.weight`, dense([I, H], 1 / Math.sqrt(H)));
    w.set(`${p}mlp.down_proj.weight`, dense([H, I], 1 / Math.sqrt(I)));
  }
  w.set('model.norm.weight', dense([H], 0.2, 1));
  return w;
}

async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
}

async function writeHf(dir: string, seed: number): Promise<string> {
  const c = tinyConfig();
  const { head_dim: _hd, ...rest } = c;
  // Hub SmolLM2 style (transformers 4.x): top-level rope_theta, no head_dim
  await writeJson(path.join(dir, 'config.json'), {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_act: 'silu',
    attention_bias: false,
    mlp_bias: false,
    rope_scaling: null,
    torch_dtype: 'float32',
    ...rest,
  });
  await writeJson(path.join(dir, 'generation_config.json'), {
    bos_token_id: 1,
    eos_token_id: 2,
    pad_token_id: 2,
  });
  await writeSafetensors(path.join(dir, 'model.safetensors'), tinyWeights(seed), { format: 'pt' });
  await writeJson(path.join(dir, 'tokenizer.json'), tinyTokenizerJson(tinyVocab()));
  await writeJson(path.join(dir, 'tokenizer_config.json'), tinyTokenizerConfig());
  return dir;
}

function ggufMetadata(quant: TinyQuant): GgufEntry[] {
  const c = tinyConfig();
  const v = tinyVocab();
  const fileType = { f32: 0, q8_0: 7, q4_1: 3 }[quant]; // llama_ftype ALL_F32 / MOSTLY_Q8_0 / MOSTLY_Q4_1
  const e: GgufEntry[] = [
    { key: 'general.architecture', type: 'string', value: 'llama' },
    { key: 'general.name', type: 'string', value: 'smolmap tiny llama' },
    { key: 'general.alignment', type: 'u32', value: 32 },
    { key: 'general.file_type', type: 'u32', value: fileType },
    { key: 'llama.block_count', type: 'u32', value: c.num_hidden_layers },
    { key: 'llama.context_length', type: 'u32', value: c.max_position_embeddings },
    { key: 'llama.embedding_length', type: 'u32', value: c.hidden_size },
    { key: 'llama.feed_forward_length', type: 'u32', value: c.intermediate_size },
    { key: 'llama.attention.head_count', type: 'u32', value: c.num_attention_heads },
    { key: 'llama.attention.head_count_kv', type: 'u32', value: c.num_key_value_heads },
    { key: 'llama.rope.freq_base', type: 'f32', value: c.rope_theta },
    { key: 'llama.attention.layer_norm_rms_epsilon', type: 'f32', value: c.rms_norm_eps },
    { key: 'llama.vocab_size', type: 'u32', value: c.vocab_size },
    { key: 'llama.rope.dimension_count', type: 'u32', value: c.head_dim },
    { key: 'tokenizer.ggml.model', type: 'string', value: 'gpt2' },
    { key: 'tokenizer.ggml.pre', type: 'string', value: 'smollm' },
    { key: 'tokenizer.ggml.tokens', type: 'array', itemType: 'string', value: v.tokens },
    {
      key: 'tokenizer.ggml.token_type',
      type: 'array',
      itemType: 'i32',
      value: v.tokens.map((_, i) => (i < TINY_SPECIAL_TOKENS.length ? 3 : 1)), // 3 control, 1 normal
    },
    {
      key: 'tokenizer.ggml.merges',
      type: 'array',
      itemType: 'string',
      value: v.merges.map((m) => m.join(' ')),
    },
    { key: 'tokenizer.ggml.bos_token_id', type: 'u32', value: 1 },
    { key: 'tokenizer.ggml.eos_token_id', type: 'u32', value: 2 },
    { key: 'tokenizer.ggml.unknown_token_id', type: 'u32', value: 0 },
    { key: 'tokenizer.ggml.padding_token_id', type: 'u32', value: 2 },
    { key: 'tokenizer.ggml.add_bos_token', type: 'bool', value: false },
    { key: 'tokenizer.ggml.add_space_prefix', type: 'bool', value: false },
    { key: 'tokenizer.chat_template', type: 'string', value: SMOLLM2_CHAT_TEMPLATE },
  ];
  if (quant !== 'f32') e.push({ key: 'general.quantization_version', type: 'u32', value: 2 });
  return e;
}

function ggufTensor(name: string, t: F32Tensor, quant: TinyQuant): GgufTensorOut {
  const gguf = hfToGgufName(name);
  if (!gguf) throw internal(`tiny model tensor ${name} has no GGUF name`);
  const dims = [...t.shape].reverse();
  if (t.shape.length === 1 || quant === 'f32') {
    return {
      name: gguf,
      dims,
      type: GGML.F32,
      data: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
    };
  }
  const data = quant === 'q8_0' ? quantizeQ8_0(t.data) : quantizeQ4_1(t.data);
  return { name: gguf, dims, type: quant === 'q8_0' ? GGML.Q8_0 : GGML.Q4_1, data };
}

async function writeGgufLayout(file: string, seed: number, quant: TinyQuant): Promise<string> {
  const c = tinyConfig();
  const tensors: GgufTensorOut[] = [];
  for (const [name, t] of tinyWeights(seed)) {
    // convert_hf_to_gguf.py LlamaModel.modify_tensors: q with n_head, k with n_head_kv
    const stored = name.endsWith('q_proj.weight')
      ? permuteQk(t, c.num_attention_heads, 'toGguf')
      : name.endsWith('k_proj.weight')
        ? permuteQk(t, c.num_key_value_heads, 'toGguf')
        : t;
    tensors.push(ggufTensor(name, stored, quant));
  }
  await writeGguf(file, ggufMetadata(quant), tensors);
  return file;
}

/**
 * Writes the tiny model into `dir` and returns what to load: the folder itself for `hf`, or
 * `<dir>/tiny-<quant>.gguf` for `gguf`.
 */
export async function writeTinyModel(dir: string, options: TinyModelOptions): Promise<string> {
  await mkdir(dir, { recursive: true });
  if (options.layout === 'hf') return writeHf(dir, options.seed);
  const quant = options.quant ?? 'q8_0';
  return writeGgufLayout(path.join(dir, `tiny-${quant}.gguf`), options.seed, quant);
}
