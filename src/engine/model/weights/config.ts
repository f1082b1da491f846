import { z } from 'zod';
import { SmolmapError } from '../../errors.js';
import type { LlamaConfig } from '../types.js';
import type { GgufValue } from './gguf.js';

/**
 * LlamaConfig from a Hugging Face `config.json` or from GGUF `llama.*` metadata.
 * Models are data: SmolLM2 135M/360M/1.7B differ only in these numbers.
 */

const positiveInt = z.number().int().positive();
const tokenId = z.number().int().nonnegative().nullable();

const HfConfigSchema = z.object({
  model_type: z.string().optional(),
  architectures: z.array(z.string()).optional(),
  hidden_size: positiveInt,
  intermediate_size: positiveInt,
  num_hidden_layers: positiveInt,
  num_attention_heads: positiveInt,
  num_key_value_heads: positiveInt.optional(),
  head_dim: positiveInt.nullable().optional(),
  vocab_size: positiveInt,
  // transformers ≤ 4 writes top-level rope_theta; transformers 5 writes rope_parameters.rope_theta
  rope_theta: z.number().positive().optional(),
  rope_parameters: z
    .object({ rope_theta: z.number().positive().optional(), rope_type: z.string().optional() })
    .nullable()
    .optional(),
  rope_scaling: z.unknown().optional(),
  rms_norm_eps: z.number().positive().optional(),
  tie_word_embeddings: z.boolean().optional(),
  max_position_embeddings: positiveInt.optional(),
  hidden_act: z.string().optional(),
  attention_bias: z.boolean().optional(),
  mlp_bias: z.boolean().optional(),
  bos_token_id: tokenId.optional(),
  eos_token_id: z.union([tokenId, z.array(z.number().int().nonnegative())]).optional(),
  pad_token_id: tokenId.optional(),
});

function unsupported(what: string, source: string): SmolmapError {
  return new SmolmapError(
    'model_unsupported_config',
    `${source}: ${what}; smolmap runs plain Llama models (SmolLM2 and relatives) — pick a model without it.`,
    { details: { source } },
  );
}

function checkShape(c: LlamaConfig, source: string): LlamaConfig {
  if (c.num_attention_heads % c.num_key_value_heads !== 0) {
    throw unsupported(
      `${c.num_attention_heads} heads are not a multiple of ${c.num_key_value_heads} kv heads`,
      source,
    );
  }
  if (c.head_dim % 2 !== 0) throw unsupported(`head_dim ${c.head_dim} is odd (RoPE needs pairs)`, source);
  return c;
}

/** Parses a `config.json` object (already JSON-parsed). */
export function parseHfConfig(json: unknown, source = 'config.json'): LlamaConfig {
  const r = HfConfigSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new SmolmapError(
      'model_config_invalid',
      `${source} is not a usable Llama config: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}. ` +
        'Use the config.json that came with the model.',
      { details: { source } },
    );
  }
  const c = r.data;
  const arch = c.model_type ?? (c.architectures?.includes('LlamaForCausalLM') ? 'llama' : undefined);
  if (arch !== 'llama') throw unsupported(`model_type is ${String(c.model_type)}`, source);
  const ropeType = c.rope_parameters?.rope_type;
  if ((c.rope_scaling !== undefined && c.rope_scaling !== null) || (ropeType && ropeType !== 'default')) {
    throw unsupported('RoPE scaling is set', source);
  }
  if (c.hidden_act && c.hidden_act !== 'silu') throw unsupported(`hidden_act is ${c.hidden_act}`, source);
  if (c.attention_bias || c.mlp_bias) throw unsupported('linear layers have biases', source);
  return checkShape(
    {
      hidden_size: c.hidden_size,
      intermediate_size: c.intermediate_size,
      num_hidden_layers: c.num_hidden_layers,
      num_attention_heads: c.num_attention_heads,
      num_key_value_heads: c.num_key_value_heads ?? c.num_attention_heads,
      head_dim: c.head_dim ?? c.hidden_size / c.num_attention_heads,
      vocab_size: c.vocab_size,
      // LlamaConfig defaults (transformers configuration_llama.py)
      rope_theta: c.rope_parameters?.rope_theta ?? c.rope_theta ?? 10000,
      rms_norm_eps: c.rms_norm_eps ?? 1e-6,
      tie_word_embeddings: c.tie_word_embeddings ?? false,
      max_position_embeddings: c.max_position_embeddings ?? 2048,
      bos_token_id: c.bos_token_id ?? null,
      eos_token_id: c.eos_token_id ?? null,
      pad_token_id: c.pad_token_id ?? null,
    },
    source,
  );
}

/** The shortest decimal that rounds to the same f32 (GGUF stores eps/theta as f32: 9.99999975e-6 → 1e-5). */
export function shortestF32(x: number): number {
  for (let p = 1; p <= 9; p++) {
    const y = Number(x.toPrecision(p));
    if (Math.fround(y) === Math.fround(x)) return y;
  }
  return x;
}

/**
 * LlamaConfig from GGUF metadata. `tensorNames` decides tied embeddings: llama.cpp reuses `token_embd` when
 * there is no `output.weight`.
 */
export function configFromGguf(
  metadata: Readonly<Record<string, GgufValue>>,
  tensorNames?: readonly string[],
  source = 'GGUF file',
): LlamaConfig {
  const arch = metadata['general.architecture'];
  if (arch !== 'llama') throw unsupported(`general.architecture is ${JSON.stringify(String(arch))}`, source);
  const num = (key: string, required: boolean): number | undefined => {
    const v = metadata[key];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (v === undefined && !required) return undefined;
    throw new SmolmapError(
      'model_config_invalid',
      `${source}: metadata ${key} is ${v === undefined ? 'missing' : 'not a number'}; re-convert the model with llama.cpp.`,
      { details: { source, key } },
    );
  };
  const tokenId = (key: string): number | null => num(key, false) ?? null;
  const hidden = num('llama.embedding_length', true)!;
  const heads = num('llama.attention.head_count', true)!;
  const tokens = metadata['tokenizer.ggml.tokens'];
  const vocab = num('llama.vocab_size', false) ?? (Array.isArray(tokens) ? tokens.length : undefined);
  if (vocab === undefined) throw unsupported('no llama.vocab_size and no tokenizer.ggml.tokens', source);
  if (metadata['llama.rope.scaling.type'] !== undefined && metadata['llama.rope.scaling.type'] !== 'none') {
    throw unsupported('RoPE scaling is set', source);
  }
  return checkShape(
    {
      hidden_size: hidden,
      intermediate_size: num('llama.feed_forward_length', true)!,
      num_hidden_layers: num('llama.block_count', true)!,
      num_attention_heads: heads,
      num_key_value_heads: num('llama.attention.head_count_kv', false) ?? heads,
      head_dim: num('llama.attention.key_length', false) ?? hidden / heads,
      vocab_size: vocab,
      rope_theta: shortestF32(num('llama.rope.freq_base', false) ?? 10000),
      rms_norm_eps: shortestF32(num('llama.attention.layer_norm_rms_epsilon', false) ?? 1e-5),
      tie_word_embeddings: tensorNames ? !tensorNames.includes('output.weight') : true,
      max_position_embeddings: num('llama.context_length', false) ?? 2048,
      bos_token_id: tokenId('tokenizer.ggml.bos_token_id'),
      eos_token_id: tokenId('tokenizer.ggml.eos_token_id'),
      pad_token_id: tokenId('tokenizer.ggml.padding_token_id'),
    },
    source,
  );
}
