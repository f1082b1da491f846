import { describe, expect, it } from 'vitest';
import { configFromGguf, parseHfConfig, shortestF32 } from '../../../../src/engine/model/weights/config.js';

// The Hub SmolLM2-135M-Instruct config.json, written by transformers 4.42
const HUB_135M = {
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  bos_token_id: 1,
  eos_token_id: 2,
  hidden_act: 'silu',
  hidden_size: 576,
  initializer_range: 0.041666666666666664,
  intermediate_size: 1536,
  max_position_embeddings: 8192,
  mlp_bias: false,
  model_type: 'llama',
  num_attention_heads: 9,
  num_hidden_layers: 30,
  num_key_value_heads: 3,
  pad_token_id: 2,
  pretraining_tp: 1,
  rms_norm_eps: 1e-5,
  rope_interleaved: false,
  rope_scaling: null,
  rope_theta: 100000,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  transformers_version: '4.42.3',
  use_cache: true,
  vocab_size: 49152,
};

describe('parseHfConfig', () => {
  it('reads a transformers-4 config (top-level rope_theta, head_dim = hidden / heads)', () => {
    expect(parseHfConfig(HUB_135M)).toEqual({
      hidden_size: 576,
      intermediate_size: 1536,
      num_hidden_layers: 30,
      num_attention_heads: 9,
      num_key_value_heads: 3,
      head_dim: 64,
      vocab_size: 49152,
      rope_theta: 100000,
      rms_norm_eps: 1e-5,
      tie_word_embeddings: true,
      max_position_embeddings: 8192,
      bos_token_id: 1,
      eos_token_id: 2,
      pad_token_id: 2,
    });
  });

  it('reads a transformers-5 config (rope_parameters.rope_theta, explicit head_dim)', () => {
    const { rope_theta: _drop, ...rest } = HUB_135M;
    const c = parseHfConfig({
      ...rest,
      head_dim: 32,
      rope_parameters: { rope_theta: 130000, rope_type: 'default' },
    });
    expect(c.rope_theta).toBe(130000);
    expect(c.head_dim).toBe(32);
  });

  it('applies LlamaConfig defaults', () => {
    const c = parseHfConfig({
      model_type: 'llama',
      hidden_size: 64,
      intermediate_size: 128,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      vocab_size: 300,
    });
    expect(c).toMatchObject({
      num_key_value_heads: 4,
      rope_theta: 10000,
      rms_norm_eps: 1e-6,
      tie_word_embeddings: false,
    });
    expect(c.bos_token_id).toBeNull();
  });

  it.each([
    [
      { ...HUB_135M, model_type: 'mistral', architectures: ['MistralForCausalLM'] },
      'model_unsupported_config',
    ],
    [{ ...HUB_135M, rope_scaling: { type: 'linear', factor: 2 } }, 'model_unsupported_config'],
    [{ ...HUB_135M, attention_bias: true }, 'model_unsupported_config'],
    [{ ...HUB_135M, num_key_value_heads: 2 }, 'model_unsupported_config'],
    [{ ...HUB_135M, hidden_size: '576' }, 'model_config_invalid'],
    [{ ...HUB_135M, num_hidden_layers: undefined }, 'model_config_invalid'],
    ['not an object', 'model_config_invalid'],
  ])('rejects bad config %# with %s', (json, code) => {
    expect(() => parseHfConfig(json)).toThrowError(expect.objectContaining({ code }) as Error);
  });
});

describe('configFromGguf', () => {
  // the llama.* keys of the real SmolLM2-135M-Instruct GGUF (f32 values as stored)
  const meta = {
    'general.architecture': 'llama',
    'llama.block_count': 30,
    'llama.context_length': 8192,
    'llama.embedding_length': 576,
    'llama.feed_forward_length': 1536,
    'llama.attention.head_count': 9,
    'llama.attention.head_count_kv': 3,
    'llama.rope.freq_base': 100000,
    'llama.attention.layer_norm_rms_epsilon': Math.fround(1e-5),
    'llama.vocab_size': 49152,
    'tokenizer.ggml.bos_token_id': 1,
    'tokenizer.ggml.eos_token_id': 2,
    'tokenizer.ggml.padding_token_id': 2,
  };

  it('maps llama.* keys and ties embeddings when output.weight is absent', () => {
    expect(configFromGguf(meta, ['token_embd.weight'])).toEqual(parseHfConfig(HUB_135M));
    expect(configFromGguf(meta, ['token_embd.weight', 'output.weight']).tie_word_embeddings).toBe(false);
  });

  it('falls back to the token list for the vocabulary and to head_count for kv heads', () => {
    const { 'llama.vocab_size': _v, 'llama.attention.head_count_kv': _k, ...rest } = meta;
    const c = configFromGguf({ ...rest, 'tokenizer.ggml.tokens': ['a', 'b', 'c'] });
    expect(c.vocab_size).toBe(3);
    expect(c.num_key_value_heads).toBe(9);
  });

  it('rejects other architectures and missing keys', () => {
    expect(() => configFromGguf({ ...meta, 'general.architecture': 'qwen2' })).toThrowError(
      expect.objectContaining({ code: 'model_unsupported_config' }) as Error,
    );
    const { 'llama.block_count': _b, ...noBlocks } = meta;
    expect(() => configFromGguf(noBlocks)).toThrowError(/llama\.block_count/);
  });

  it('shortestF32 gives the decimal a converter wrote', () => {
    expect(shortestF32(Math.fround(1e-5))).toBe(1e-5);
    expect(shortestF32(Math.fround(1e-6))).toBe(1e-6);
    expect(shortestF32(Math.fround(0.1))).toBe(0.1);
  });
});
