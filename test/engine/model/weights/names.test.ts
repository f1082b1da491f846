import { describe, expect, it } from 'vitest';
import { ggufToHfName, hfToGgufName, permuteQk } from '../../../../src/engine/model/weights/names.js';

describe('GGUF ↔ HF names', () => {
  it.each([
    ['token_embd.weight', 'model.embed_tokens.weight'],
    ['output_norm.weight', 'model.norm.weight'],
    ['output.weight', 'lm_head.weight'],
    ['blk.0.attn_norm.weight', 'model.layers.0.input_layernorm.weight'],
    ['blk.12.attn_q.weight', 'model.layers.12.self_attn.q_proj.weight'],
    ['blk.3.attn_k.weight', 'model.layers.3.self_attn.k_proj.weight'],
    ['blk.3.attn_v.weight', 'model.layers.3.self_attn.v_proj.weight'],
    ['blk.3.attn_output.weight', 'model.layers.3.self_attn.o_proj.weight'],
    ['blk.29.ffn_norm.weight', 'model.layers.29.post_attention_layernorm.weight'],
    ['blk.1.ffn_gate.weight', 'model.layers.1.mlp.gate_proj.weight'],
    ['blk.1.ffn_up.weight', 'model.layers.1.mlp.up_proj.weight'],
    ['blk.1.ffn_down.weight', 'model.layers.1.mlp.down_proj.weight'],
  ])('%s ↔ %s', (gguf, hf) => {
    expect(ggufToHfName(gguf)).toBe(hf);
    expect(hfToGgufName(hf)).toBe(gguf);
  });

  it('skips tensors smolmap does not use', () => {
    expect(ggufToHfName('rope_freqs.weight')).toBeUndefined();
    expect(ggufToHfName('blk.0.attn_q.bias')).toBeUndefined();
  });
});

describe('q/k permutation', () => {
  it('matches llama.cpp permute() on one head of D = 8 (rows 0..7 → 0,4,1,5,2,6,3,7)', () => {
    // reshape(n_head, 2, D/2, cols).swapaxes(1, 2): GGUF row 2j+i = HF row i·4 + j
    const hf = { shape: [8, 1], data: Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]) };
    const gguf = permuteQk(hf, 1, 'toGguf');
    expect([...gguf.data]).toEqual([0, 4, 1, 5, 2, 6, 3, 7]);
    expect([...permuteQk(gguf, 1, 'toHf').data]).toEqual([...hf.data]);
  });

  it('permutes per head and keeps whole rows', () => {
    const rows = 8;
    const cols = 3;
    const hf = { shape: [rows, cols], data: Float32Array.from({ length: rows * cols }, (_, i) => i) };
    const gguf = permuteQk(hf, 2, 'toGguf'); // two heads of D = 4: rows 0,2,1,3 | 4,6,5,7
    const rowOf = (t: { data: Float32Array }, r: number) => t.data[r * cols]! / cols;
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((r) => rowOf(gguf, r))).toEqual([0, 2, 1, 3, 4, 6, 5, 7]);
    expect([...gguf.data.subarray(3, 6)]).toEqual([6, 7, 8]);
    expect([...permuteQk(gguf, 2, 'toHf').data]).toEqual([...hf.data]);
  });
});
