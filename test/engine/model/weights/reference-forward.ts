import type { LlamaConfig, WeightMap } from '../../../../src/engine/model/types.js';

/**
 * A deliberately naive f32 Llama forward (HF modeling_llama.py, model-facts.md §2.3) used only as a test
 * oracle for the loaders: if the weights come out right (names, shapes, dequantisation, q/k permutation),
 * its logits match the PyTorch/transformers reference numbers.
 */

function matVec(w: Float32Array, rows: number, cols: number, x: Float32Array): Float32Array {
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    const o = r * cols;
    for (let c = 0; c < cols; c++) s += w[o + c]! * x[c]!;
    y[r] = s;
  }
  return y;
}

function rmsNorm(x: Float32Array, w: Float32Array, eps: number): Float32Array {
  let ss = 0;
  for (const v of x) ss += v * v;
  const inv = 1 / Math.sqrt(ss / x.length + eps);
  return x.map((v, i) => v * inv * w[i]!);
}

/** rotate-half RoPE on each head of `x` at position `pos`. */
function rope(x: Float32Array, heads: number, d: number, pos: number, theta: number): void {
  const half = d / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      const ang = pos / theta ** ((2 * i) / d);
      const [c, s] = [Math.cos(ang), Math.sin(ang)];
      const a = x[h * d + i]!;
      const b = x[h * d + i + half]!;
      x[h * d + i] = a * c - b * s;
      x[h * d + i + half] = b * c + a * s;
    }
  }
}

export function referenceLogits(c: LlamaConfig, w: WeightMap, ids: number[]): Float32Array[] {
  const W = (n: string) => w.get(n)!.data;
  const H = c.hidden_size;
  const D = c.head_dim;
  const group = c.num_attention_heads / c.num_key_value_heads;
  const keys: Float32Array[][] = Array.from({ length: c.num_hidden_layers }, () => []);
  const vals: Float32Array[][] = Array.from({ length: c.num_hidden_layers }, () => []);
  const out: Float32Array[] = [];
  const embed = W('model.embed_tokens.weight');
  for (let pos = 0; pos < ids.length; pos++) {
    let x = embed.slice(ids[pos]! * H, ids[pos]! * H + H);
    for (let l = 0; l < c.num_hidden_layers; l++) {
      const p = `model.layers.${l}.`;
      const n = rmsNorm(x, W(`${p}input_layernorm.weight`), c.rms_norm_eps);
      const q = matVec(W(`${p}self_attn.q_proj.weight`), c.num_attention_heads * D, H, n);
      const k = matVec(W(`${p}self_attn.k_proj.weight`), c.num_key_value_heads * D, H, n);
      const v = matVec(W(`${p}self_attn.v_proj.weight`), c.num_key_value_heads * D, H, n);
      rope(q, c.num_attention_heads, D, pos, c.rope_theta);
      rope(k, c.num_key_value_heads, D, pos, c.rope_theta);
      keys[l]!.push(k);
      vals[l]!.push(v);
      const att = new Float32Array(c.num_attention_heads * D);
      for (let h = 0; h < c.num_attention_heads; h++) {
        const kvh = Math.floor(h / group);
        const scores = keys[l]!.map((kk) => {
          let s = 0;
          for (let i = 0; i < D; i++) s += q[h * D + i]! * kk[kvh * D + i]!;
          return s / Math.sqrt(D);
        });
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((a, b) => a + b, 0);
        e.forEach((p2, t) => {
          for (let i = 0; i < D; i++) att[h * D + i]! += (p2 / z) * vals[l]![t]![kvh * D + i]!;
        });
      }
      const o = matVec(W(`${p}self_attn.o_proj.weight`), H, c.num_attention_heads * D, att);
      x = x.map((xv, i) => xv + o[i]!);
      const n2 = rmsNorm(x, W(`${p}post_attention_layernorm.weight`), c.rms_norm_eps);
      const g = matVec(W(`${p}mlp.gate_proj.weight`), c.intermediate_size, H, n2);
      const u = matVec(W(`${p}mlp.up_proj.weight`), c.intermediate_size, H, n2);
      const act = g.map((gv, i) => (gv / (1 + Math.exp(-gv))) * u[i]!);
      const dn = matVec(W(`${p}mlp.down_proj.weight`), H, c.intermediate_size, act);
      x = x.map((xv, i) => xv + dn[i]!);
    }
    const head = c.tie_word_embeddings ? embed : W('lm_head.weight');
    out.push(matVec(head, c.vocab_size, H, rmsNorm(x, W('model.norm.weight'), c.rms_norm_eps)));
  }
  return out;
}

export function topK(row: Float32Array, k: number): { ids: number[]; logits: number[] } {
  const idx = [...row.keys()].sort((a, b) => row[b]! - row[a]!).slice(0, k);
  return { ids: idx, logits: idx.map((i) => row[i]!) };
}

export function argmax(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}
