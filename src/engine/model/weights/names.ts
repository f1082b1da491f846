import type { F32Tensor } from '../types.js';

/**
 * GGUF ↔ Hugging Face tensor names for the llama architecture (gguf-py `TENSOR_NAMES`)
 * and llama.cpp's q/k row permutation (convert_hf_to_gguf.py `LlamaModel.permute`, §2.4).
 */

const GLOBAL: Readonly<Record<string, string>> = {
  'token_embd.weight': 'model.embed_tokens.weight',
  'output_norm.weight': 'model.norm.weight',
  'output.weight': 'lm_head.weight',
};

const LAYER: Readonly<Record<string, string>> = {
  'attn_norm.weight': 'input_layernorm.weight',
  'attn_q.weight': 'self_attn.q_proj.weight',
  'attn_k.weight': 'self_attn.k_proj.weight',
  'attn_v.weight': 'self_attn.v_proj.weight',
  'attn_output.weight': 'self_attn.o_proj.weight',
  'ffn_norm.weight': 'post_attention_layernorm.weight',
  'ffn_gate.weight': 'mlp.gate_proj.weight',
  'ffn_up.weight': 'mlp.up_proj.weight',
  'ffn_down.weight': 'mlp.down_proj.weight',
};

const HF_GLOBAL = new Map(Object.entries(GLOBAL).map(([g, h]) => [h, g]));
const HF_LAYER = new Map(Object.entries(LAYER).map(([g, h]) => [h, g]));

/** HF name for a GGUF tensor name, or undefined for tensors smolmap does not use (e.g. `rope_freqs.weight`). */
export function ggufToHfName(name: string): string | undefined {
  const g = GLOBAL[name];
  if (g) return g;
  const m = /^blk\.(\d+)\.(.+)$/.exec(name);
  const suffix = m && LAYER[m[2]!];
  return suffix ? `model.layers.${m[1]}.${suffix}` : undefined;
}

export function hfToGgufName(name: string): string | undefined {
  const g = HF_GLOBAL.get(name);
  if (g) return g;
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(name);
  const suffix = m && HF_LAYER.get(m[2]!);
  return suffix ? `blk.${m[1]}.${suffix}` : undefined;
}

/**
 * llama.cpp stores q/k rows interleaved for its pairwise RoPE: within each head, GGUF row 2j + i holds HF row
 * i·D/2 + j (i ∈ {0,1}, j < D/2). `toGguf` applies that permutation; the inverse restores HF's rotate-half
 * layout. `heads` is num_attention_heads for q and num_key_value_heads for k.
 */
export function permuteQk(t: F32Tensor, heads: number, direction: 'toGguf' | 'toHf'): F32Tensor {
  const [rows, cols] = t.shape as [number, number];
  const d = rows / heads;
  const half = d / 2;
  const out = new Float32Array(t.data.length);
  for (let h = 0; h < heads; h++) {
    for (let j = 0; j < half; j++) {
      for (let i = 0; i < 2; i++) {
        const gguf = h * d + 2 * j + i;
        const hf = h * d + i * half + j;
        const [from, to] = direction === 'toHf' ? [gguf, hf] : [hf, gguf];
        out.set(t.data.subarray(from * cols, from * cols + cols), to * cols);
      }
    }
  }
  return { shape: [rows, cols], data: out };
}
