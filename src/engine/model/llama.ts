/**
 * The Llama architecture, once, in graph-builder ops and driven by `LlamaConfig` (models are data: SmolLM2
 * 135M/360M/1.7B are configs, not code paths). Math follows HF `modeling_llama.py`:
 * RMSNorm → q/k/v → rotate-half RoPE → grouped-query causal attention → o_proj → residual → RMSNorm → SwiGLU
 * MLP → residual; final norm; LM head tied to the embedding unless `lm_head.weight` exists.
 *
 * LoRA (Hu et al. 2021) hooks any subset of the seven projections with graph inputs A [r, in] and B [out, r]
 * named as the adapter tensors, y = x·Wᵀ + scale·(x·Aᵀ)·Bᵀ, so one session serves many adapters and the
 * training graph differentiates with respect to exactly those inputs.
 *
 * Base weights are initializers that reference the WeightMap's Float32Arrays (no copy); Linear weights stay
 * in PyTorch's [out, in] layout behind a Transpose that ORT folds into the constant at session creation.
 */
import { Graph, type Value } from './graph/builder.js';
import type { F32Tensor, LlamaConfig, LoraTarget, WeightMap } from './types.js';
import { SmolmapError } from '../errors.js';

/** One LoRA-adapted projection: graph input names of A [r, in] and B [out, r] (lora.ts `LoraModule` fits). */
export interface LoraHook {
  layer: number;
  target: LoraTarget;
  a: string;
  b: string;
}

/**
 * How frozen Linear weights W₁…Wₙ [out_i, in] (HF names) sharing the input x [..., in] are applied as ONE
 * product: y = x·[W₁; …; Wₙ]ᵀ [..., Σout_i] (n = 1 for a plain projection). The default is an f32 MatMul on the
 * (row-concatenated) initializer; model/quant.ts supplies MatMulNBits for weight-quantised inference.
 */
export type Projector = (g: Graph, x: Value, weights: readonly string[]) => Value;

export interface LlamaForwardOptions {
  /**
   * Fuse the projections that share an input — q|k|v into one [in → (nH + 2·nKV)·D] product and gate|up into
   * one [in → 2·I] — each followed by a Split (a standard op with a VJP, so training can differentiate it).
   * Bigger GEMMs, fewer nodes. LoRA stays per projection, added to each piece. Default off.
   */
  fuseProjections?: boolean;
}

/** Initializer name of the row-concatenation of several weights (one fused projection). */
export const fusedWeightName = (names: readonly string[]): string =>
  names.length === 1 ? names[0]! : `fused(${names.join('|')})`;

/** [W₁; …; Wₙ] for weights of one input width: a fresh [Σout, in] tensor (n = 1: the weight itself). */
export function concatRows(weights: WeightMap, names: readonly string[]): F32Tensor {
  const ts = names.map((n) => weights.get(n) ?? missing(n));
  if (ts.length === 1) return ts[0]!;
  const inp = ts[0]!.shape[1]!;
  if (ts.some((t) => t.shape.length !== 2 || t.shape[1] !== inp)) {
    throw new SmolmapError('internal', `internal: cannot fuse ${names.join(', ')} (input widths differ)`);
  }
  const rows = ts.reduce((s, t) => s + t.shape[0]!, 0);
  const data = new Float32Array(rows * inp);
  let off = 0;
  for (const t of ts) {
    data.set(t.data, off);
    off += t.data.length;
  }
  return { shape: [rows, inp], data };
}

export interface LlamaLora {
  /** alpha / r (or alpha / √r for rsLoRA). */
  scale: number;
  modules: readonly LoraHook[];
}

export interface LlamaInputs {
  inputIds: Value; // int64 [batch, seq]
  positionIds: Value; // int64 [batch, seq]
  /** int64 [batch, past + seq], 1 = attend; null for a plain causal mask (training on unpadded rows). */
  attentionMask: Value | null;
  /** Per layer [batch, kv_heads, past, head_dim] key and value, or null without a cache. */
  past: { key: Value; value: Value }[] | null;
}

export interface LlamaOutputs {
  /** Final-normed hidden states [batch, seq, hidden]: apply `lmHead` where logits are needed. */
  hidden: Value;
  /** Per layer [batch, kv_heads, past + seq, head_dim]. */
  present: { key: Value; value: Value }[];
  /** LoRA graph inputs by name. */
  lora: Map<string, Value>;
}

const ATTN: ReadonlySet<LoraTarget> = new Set(['q_proj', 'k_proj', 'v_proj', 'o_proj']);

/** The model's weights as graph initializers, created on first use (several names: their fused rows). */
export class Weights {
  private cache = new Map<string, Value>();
  constructor(
    private g: Graph,
    private w: WeightMap,
  ) {}
  get(names: string | readonly string[]): Value {
    const list = typeof names === 'string' ? [names] : names;
    const name = fusedWeightName(list);
    let v = this.cache.get(name);
    if (!v) {
      v = this.g.initializer(name, concatRows(this.w, list));
      this.cache.set(name, v);
    }
    return v;
  }
  has(name: string): boolean {
    return this.w.has(name);
  }
  shape(name: string): number[] {
    return this.w.get(name)?.shape ?? missing(name);
  }
}

/**
 * RoPE caches [maxPos, D/2] as HF computes them in float32 (`LlamaRotaryEmbedding`): inv_freq = 1/θ^(2i/D),
 * freqs = pos·inv_freq, cos/sin of that. Half-width is what com.microsoft RotaryEmbedding takes.
 */
export function ropeCaches(
  cfg: LlamaConfig,
  maxPos = cfg.max_position_embeddings,
): { cos: Float32Array; sin: Float32Array } {
  const d = cfg.head_dim;
  const half = d / 2;
  const f = Math.fround;
  const inv = Array.from({ length: half }, (_, i) => f(1 / f(cfg.rope_theta ** ((2 * i) / d))));
  const cos = new Float32Array(maxPos * half);
  const sin = new Float32Array(maxPos * half);
  for (let p = 0; p < maxPos; p++) {
    for (let i = 0; i < half; i++) {
      const a = f(p * inv[i]!);
      cos[p * half + i] = Math.cos(a);
      sin[p * half + i] = Math.sin(a);
    }
  }
  return { cos, sin };
}

const scaled = (xs: Float32Array, k: number): Float32Array => xs.map((v) => v * k);

interface Ctx {
  g: Graph;
  cfg: LlamaConfig;
  w: Weights;
  lora: Map<string, LoraHook>;
  loraInputs: Map<string, Value>;
  scale: number;
  cos: Value;
  sin: Value;
  /** The caches times 1/√head_dim, for q (see attention). */
  cosQ: Value;
  sinQ: Value;
  project: Projector;
  fuse: boolean;
  /** The attention bias, built once and shared by every layer (same ids, mask and lengths). */
  bias: Value | null;
}

/** HF name of a projection's weight. */
export const projWeight = (layer: number, target: LoraTarget): string =>
  `model.layers.${layer}.${ATTN.has(target) ? 'self_attn' : 'mlp'}.${target}.weight`;

/**
 * x·Wᵀ (+ scale·(x·Aᵀ)·Bᵀ when the projection is adapted) for projections sharing x: [batch, seq, in] → one
 * [batch, seq, out_i] per target. With `fuse`, the frozen products are one MatMul sliced per target.
 */
function linear(c: Ctx, x: Value, layer: number, targets: readonly LoraTarget[]): Value[] {
  const names = targets.map((t) => projWeight(layer, t));
  let bases: Value[];
  if (c.fuse && targets.length > 1) {
    // One Split, whose VJP concatenates the pieces' gradients: Slices would pad each back to [B, S, Σout]
    // from y's run-time shape, keeping y alive until the backward pass.
    const y = c.project(c.g, x, names); // [B, S, Σout]
    bases = c.g.split(
      y,
      names.map((n) => c.w.shape(n)[0]!),
      -1,
    );
  } else bases = names.map((n) => c.project(c.g, x, [n]));
  return targets.map((target, i) => {
    const base = bases[i]!;
    const hook = c.lora.get(`${layer}.${target}`);
    if (!hook) return base;
    const [out, inp] = c.w.shape(names[i]!) as [number, number];
    const a = loraInput(c, hook.a, ['r', inp]);
    const b = loraInput(c, hook.b, [out, 'r']);
    const delta = c.g.matmul(c.g.matmul(x, c.g.transpose(a, [1, 0])), c.g.transpose(b, [1, 0]));
    // A scale of 1 means the caller folded alpha/r into B (one session serving adapters of any scale).
    return c.g.add(base, c.scale === 1 ? delta : c.g.mul(delta, c.scale));
  });
}

function loraInput(c: Ctx, name: string, shape: (number | string)[]): Value {
  let v = c.loraInputs.get(name);
  if (!v) {
    v = c.g.input(name, 'float32', shape);
    c.loraInputs.set(name, v);
  }
  return v;
}

/**
 * Additive attention bias [batch, 1, 1, seq, total] (or [seq, total] without a padding mask): 0 where query i
 * (absolute position past + i) may see key j — j ≤ past + i and attention_mask[b, j] = 1 — else −1e9.
 * A finite bias keeps fully padded rows NaN-free.
 */
function attentionBias(c: Ctx, ids: Value, keys: Value, mask: Value | null): Value {
  const { g } = c;
  const s = g.slice(g.shapeOf(ids), [1], [2]); // [1] = seq
  const t = g.slice(g.shapeOf(keys), [2], [3]); // [1] = past + seq
  const ones = g.expand(g.scalar(1), g.concat([s, t], 0)); // [seq, total]
  const causal = g.trilu(ones, false, g.reshape(g.sub(t, s), [])); // keep j ≤ i + past
  const allowed = mask ? g.mul(causal, g.unsqueeze(g.cast(mask, 'float32'), [1, 2, 3])) : causal;
  return g.mul(g.sub(allowed, 1), 1e9);
}

/** One decoder layer's self-attention; returns the o_proj output and the present key/value. */
function attention(
  c: Ctx,
  x: Value,
  layer: number,
  inputs: LlamaInputs,
): { out: Value; key: Value; value: Value } {
  const { g, cfg } = c;
  const nH = cfg.num_attention_heads;
  const nKV = cfg.num_key_value_heads;
  const d = cfg.head_dim;
  const groups = nH / nKV;
  const pos = inputs.positionIds;
  const [qp, kp, v] = linear(c, x, layer, ['q_proj', 'k_proj', 'v_proj']) as [Value, Value, Value];
  // RoPE is linear in its caches, so rotating q with caches scaled by 1/√D gives q/√D: the attention scale
  // costs no element-wise pass over the scores (nor over their gradient when training).
  const q = g.rotary(qp, pos, c.cosQ, c.sinQ, nH); // [B, S, nH·D], already scaled by 1/√D
  const k = g.rotary(kp, pos, c.cos, c.sin, nKV); // [B, S, nKV·D]
  const heads = (t: Value, n: number): Value => g.transpose(g.reshape(t, [0, 0, n, d]), [0, 2, 1, 3]); // [B, n, S, D]
  let kh = heads(k, nKV);
  let vh = heads(v, nKV);
  const past = inputs.past?.[layer];
  if (past) {
    kh = g.concat([past.key, kh], 2); // [B, nKV, past + S, D]
    vh = g.concat([past.value, vh], 2);
  }
  // GQA without repeating K/V (HF repeat_kv): q head j·g + i uses kv head j, so view q as [B, nKV, g, S, D].
  const q5 = g.reshape(heads(q, nH), [0, nKV, groups, -1, d]);
  const k5 = g.unsqueeze(kh, [2]); // [B, nKV, 1, T, D]
  const v5 = g.unsqueeze(vh, [2]);
  const scores = g.matmul(q5, g.transpose(k5, [0, 1, 2, 4, 3])); // [B, nKV, g, S, T], q·kᵀ/√D
  c.bias ??= attentionBias(c, inputs.inputIds, kh, inputs.attentionMask);
  const probs = g.softmax(g.add(scores, c.bias), -1);
  const ctx = g.reshape(g.matmul(probs, v5), [0, nH, -1, d]); // [B, nH, S, D]
  const merged = g.reshape(g.transpose(ctx, [0, 2, 1, 3]), [0, 0, nH * d]); // [B, S, nH·D]
  return { out: linear(c, merged, layer, ['o_proj'])[0]!, key: kh, value: vh };
}

/** The decoder stack on `inputs`, appended to `g`. */
export function llamaForward(
  g: Graph,
  cfg: LlamaConfig,
  weights: WeightMap,
  inputs: LlamaInputs,
  lora?: LlamaLora,
  project?: Projector,
  options: LlamaForwardOptions = {},
): LlamaOutputs {
  if (cfg.num_attention_heads % cfg.num_key_value_heads !== 0) {
    throw new SmolmapError(
      'model_config_invalid',
      'num_attention_heads must be a multiple of num_key_value_heads',
    );
  }
  const caches = ropeCaches(cfg);
  const half = cfg.head_dim / 2;
  const qScale = 1 / Math.sqrt(cfg.head_dim);
  const w = new Weights(g, weights);
  const c: Ctx = {
    g,
    cfg,
    w,
    lora: new Map((lora?.modules ?? []).map((m) => [`${m.layer}.${m.target}`, m])),
    loraInputs: new Map(),
    scale: lora?.scale ?? 0,
    cos: g.constant(caches.cos, 'float32', [cfg.max_position_embeddings, half]),
    sin: g.constant(caches.sin, 'float32', [cfg.max_position_embeddings, half]),
    cosQ: g.constant(scaled(caches.cos, qScale), 'float32', [cfg.max_position_embeddings, half]),
    sinQ: g.constant(scaled(caches.sin, qScale), 'float32', [cfg.max_position_embeddings, half]),
    project: project ?? ((gg, x, names) => gg.matmul(x, gg.transpose(w.get(names), [1, 0]))),
    fuse: options.fuseProjections ?? false,
    bias: null,
  };
  const eps = cfg.rms_norm_eps;
  let h = g.gather(c.w.get('model.embed_tokens.weight'), inputs.inputIds, 0); // [B, S, H]
  const present: { key: Value; value: Value }[] = [];
  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    const att = attention(c, g.rmsnorm(h, c.w.get(`${p}.input_layernorm.weight`), eps), l, inputs);
    present.push({ key: att.key, value: att.value });
    h = g.add(h, att.out);
    const n = g.rmsnorm(h, c.w.get(`${p}.post_attention_layernorm.weight`), eps);
    const [gate, up] = linear(c, n, l, ['gate_proj', 'up_proj']) as [Value, Value];
    h = g.add(h, linear(c, g.mul(g.silu(gate), up), l, ['down_proj'])[0]!);
  }
  return { hidden: g.rmsnorm(h, c.w.get('model.norm.weight'), eps), present, lora: c.loraInputs };
}

/** Logits [..., vocab] = hidden·headᵀ, head = lm_head.weight, else the tied embedding. */
export function lmHead(
  g: Graph,
  cfg: LlamaConfig,
  weights: WeightMap,
  hidden: Value,
  project?: Projector,
): Value {
  const name =
    !cfg.tie_word_embeddings && weights.has('lm_head.weight')
      ? 'lm_head.weight'
      : 'model.embed_tokens.weight';
  if (project) return project(g, hidden, [name]);
  const existing = g.consts.find((v) => v.name === name);
  const head = existing ?? g.initializer(name, weights.get(name) ?? missing(name));
  return g.matmul(hidden, g.transpose(head, [1, 0]));
}

function missing(name: string): never {
  throw new SmolmapError(
    'model_weight_missing',
    `the model has no tensor "${name}"; re-import the base model`,
  );
}

export interface InferenceGraphOptions {
  lora?: LlamaLora;
  /**
   * 'last' (default): logits of the last position only, [batch, 1, vocab], for decoding. 'all': every position.
   * 'keep': an int64 scalar input `num_logits_to_keep` (Transformers.js/HF name) K selects the last K positions,
   * [batch, K, vocab]; K = 0 keeps all, as in HF `logits_to_keep` (speculative decoding verifies several).
   */
  logits?: 'last' | 'all' | 'keep';
  /** Applies the frozen projections and the LM head (default: f32 MatMul). */
  project?: Projector;
  /** See `LlamaForwardOptions.fuseProjections`. */
  fuseProjections?: boolean;
  /** 'hidden': output the final-normed rows (`hidden`) instead of `logits` (llama-fast.ts, infer/head.ts). */
  output?: 'logits' | 'hidden';
}

/** The hidden rows [B, S', H] whose logits the graph returns (see `InferenceGraphOptions.logits`). */
export function logitRows(g: Graph, hidden: Value, mode: 'last' | 'all' | 'keep'): Value {
  if (mode === 'all') return hidden;
  if (mode === 'last') return g.slice(hidden, [-1], [Infinity], [1]); // [B, 1, H]
  const keep = g.input('num_logits_to_keep', 'int64', []);
  return g.sliceDyn(hidden, g.neg(g.reshape(keep, [1])), g.ints([2 ** 62]), [1]); // [B, K, H]
}

/**
 * The decoder-only inference graph with Transformers.js naming: inputs `input_ids`,
 * `attention_mask`, `position_ids`, `past_key_values.N.key/value` (+ LoRA A/B inputs); outputs `logits` and
 * `present.N.key/value`. Feed empty past tensors ([batch, kv_heads, 0, head_dim]) on the first call.
 */
export function inferenceGraph(
  cfg: LlamaConfig,
  weights: WeightMap,
  opts: InferenceGraphOptions = {},
): Graph {
  const g = new Graph();
  const inputIds = g.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  const attentionMask = g.input('attention_mask', 'int64', ['batch_size', 'total_sequence_length']);
  const positionIds = g.input('position_ids', 'int64', ['batch_size', 'sequence_length']);
  const kvShape = ['batch_size', cfg.num_key_value_heads, 'past_sequence_length', cfg.head_dim];
  const past = Array.from({ length: cfg.num_hidden_layers }, (_, l) => ({
    key: g.input(`past_key_values.${l}.key`, 'float32', kvShape),
    value: g.input(`past_key_values.${l}.value`, 'float32', kvShape),
  }));
  const out = llamaForward(
    g,
    cfg,
    weights,
    { inputIds, positionIds, attentionMask, past },
    opts.lora,
    opts.project,
    { fuseProjections: opts.fuseProjections ?? false },
  );
  const rows = logitRows(g, out.hidden, opts.logits ?? 'last');
  if (opts.output === 'hidden') g.output('hidden', rows);
  else g.output('logits', lmHead(g, cfg, weights, rows, opts.project));
  out.present.forEach((p, l) => {
    g.output(`present.${l}.key`, p.key);
    g.output(`present.${l}.value`, p.value);
  });
  return g;
}
