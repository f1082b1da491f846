/**
 * A plain TypeScript Llama forward, naive loops in float64, written for clarity rather than speed: the oracle the
 * ORT graph is compared with. Follows HF `modeling_llama.py`: RMSNorm, q/k/v, rotate-half RoPE, causal GQA
 * (query head h uses kv head ⌊h / (nH/nKV)⌋), o_proj, residual, RMSNorm, SwiGLU, residual, final norm, head.
 */
import type { LlamaConfig, WeightMap } from '../../../src/engine/model/types.js';

type Vec = Float64Array;

function weight(w: WeightMap, name: string): { shape: number[]; data: Float32Array } {
  const t = w.get(name);
  if (!t) throw new Error(`reference forward: missing ${name}`);
  return t;
}

/** y = W x for W [out, in]. */
function linear(w: WeightMap, name: string, x: Vec): Vec {
  const { shape, data } = weight(w, name);
  const [out, inp] = shape as [number, number];
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = 0;
    for (let i = 0; i < inp; i++) s += data[o * inp + i]! * x[i]!;
    y[o] = s;
  }
  return y;
}

function rmsnorm(x: Vec, g: Float32Array, eps: number): Vec {
  let ms = 0;
  for (const v of x) ms += v * v;
  const r = 1 / Math.sqrt(ms / x.length + eps);
  return x.map((v, i) => v * r * g[i]!);
}

/** Rotate-half RoPE on each head of `x` [heads·D] at position p. */
function rope(x: Vec, heads: number, d: number, p: number, theta: number): Vec {
  const y = new Float64Array(x.length);
  const half = d / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      const a = p / theta ** ((2 * i) / d);
      const x1 = x[h * d + i]!;
      const x2 = x[h * d + i + half]!;
      y[h * d + i] = x1 * Math.cos(a) - x2 * Math.sin(a);
      y[h * d + i + half] = x2 * Math.cos(a) + x1 * Math.sin(a);
    }
  }
  return y;
}

/** Logits [vocab] at every position of `ids`. */
export function referenceForward(cfg: LlamaConfig, w: WeightMap, ids: readonly number[]): Float64Array[] {
  const H = cfg.hidden_size;
  const nH = cfg.num_attention_heads;
  const nKV = cfg.num_key_value_heads;
  const d = cfg.head_dim;
  const emb = weight(w, 'model.embed_tokens.weight').data;
  let xs: Vec[] = ids.map((id) => Float64Array.from(emb.subarray(id * H, (id + 1) * H)));
  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    const normed = xs.map((x) => rmsnorm(x, weight(w, `${p}.input_layernorm.weight`).data, cfg.rms_norm_eps));
    const q = normed.map((x, t) =>
      rope(linear(w, `${p}.self_attn.q_proj.weight`, x), nH, d, t, cfg.rope_theta),
    );
    const k = normed.map((x, t) =>
      rope(linear(w, `${p}.self_attn.k_proj.weight`, x), nKV, d, t, cfg.rope_theta),
    );
    const v = normed.map((x) => linear(w, `${p}.self_attn.v_proj.weight`, x));
    xs = xs.map((x, t) => {
      const ctx = new Float64Array(nH * d);
      for (let h = 0; h < nH; h++) {
        const kvh = Math.floor(h / (nH / nKV));
        const scores = Array.from({ length: t + 1 }, (_, j) => {
          let s = 0;
          for (let i = 0; i < d; i++) s += q[t]![h * d + i]! * k[j]![kvh * d + i]!;
          return s / Math.sqrt(d);
        });
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j <= t; j++) {
          for (let i = 0; i < d; i++) ctx[h * d + i]! += (e[j]! / z) * v[j]![kvh * d + i]!;
        }
      }
      const attn = linear(w, `${p}.self_attn.o_proj.weight`, ctx);
      const h1 = x.map((xi, i) => xi + attn[i]!);
      const n2 = rmsnorm(h1, weight(w, `${p}.post_attention_layernorm.weight`).data, cfg.rms_norm_eps);
      const gate = linear(w, `${p}.mlp.gate_proj.weight`, n2);
      const up = linear(w, `${p}.mlp.up_proj.weight`, n2);
      const act = gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]!);
      const down = linear(w, `${p}.mlp.down_proj.weight`, act);
      return h1.map((hi, i) => hi + down[i]!);
    });
  }
  const head =
    w.has('lm_head.weight') && !cfg.tie_word_embeddings ? 'lm_head.weight' : 'model.embed_tokens.weight';
  return xs.map((x) => linear(w, head, rmsnorm(x, weight(w, 'model.norm.weight').data, cfg.rms_norm_eps)));
}

/** `referenceForward` rounded to float32 rows (what an ORT graph returns). */
export function referenceLogits(cfg: LlamaConfig, w: WeightMap, ids: readonly number[]): Float32Array[] {
  return referenceForward(cfg, w, ids).map((row) => Float32Array.from(row));
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
