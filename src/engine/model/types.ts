/**
 * A Llama-architecture configuration: SmolLM2 135M/360M/1.7B are three values of this, read from
 * `config.json` or from GGUF `llama.*` metadata.
 */
export interface LlamaConfig {
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim: number;
  vocab_size: number;
  rope_theta: number;
  rms_norm_eps: number;
  tie_word_embeddings: boolean;
  max_position_embeddings: number;
  bos_token_id: number | null;
  eos_token_id: number | number[] | null;
  pad_token_id: number | null;
}

/** A dense row-major f32 tensor with the PyTorch shape (e.g. a Linear weight is [out, in]). */
export interface F32Tensor {
  shape: number[];
  data: Float32Array;
}

/** Weights keyed by Hugging Face names (`model.layers.0.self_attn.q_proj.weight`, ...). */
export type WeightMap = Map<string, F32Tensor>;

/** The seven linear layers LoRA may target (PEFT names). */
export const LORA_TARGETS = [
  'q_proj',
  'k_proj',
  'v_proj',
  'o_proj',
  'gate_proj',
  'up_proj',
  'down_proj',
] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];
