/**
 * The fast inference emission of the one Llama definition (llama.ts): the same math in onnxruntime's fused CPU
 * contrib ops, so a decode step runs ~10 nodes per layer plus 12 for grouped LoRA instead
 * of ~40. Per layer:
 *   SkipSimplifiedLayerNormalization (residual add + input RMSNorm) → one q|k|v product (+ grouped LoRA)
 *   → GroupQueryAttention (rotate-half RoPE with cos/sin caches, causal GQA, BNSH past/present)
 *   → o_proj (+ LoRA) → SkipSimplifiedLayerNormalization (residual + post-attention RMSNorm)
 *   → one gate|up product (+ LoRA) → SiLU(gate)·up → down_proj (+ LoRA).
 * The session I/O is the standard graph's (input_ids, attention_mask, position_ids, past_key_values.N.*,
 * num_logits_to_keep → logits, present.N.*); only the LoRA inputs differ (grouped, lora-groups.ts).
 * GroupQueryAttention's seqlens_k (total − 1 for every row) and total_sequence_length are derived once from
 * attention_mask, and padding is masked through its attention_bias input. RoPE is applied by cache slot (the
 * kernel's own positions: its position_ids input is read only per first element on a first prompt, which
 * cannot express left padding). RoPE attention scores depend on position differences only (Su et al. 2021),
 * so this equals the standard graph whenever a row's position_ids are its slot indices minus a constant — no
 * padding, or left padding (batch.ts, KvCache). Padding in the middle of a row that keeps decoding is not
 * supported (batch.ts pads only rows that have finished). Inference only (no VJPs): training and the ONNX
 * export keep the standard emission.
 */
import { Graph, Value } from './graph/builder.js';
import { Op } from './graph/ops.js';
import { Weights, logitRows, projWeight, ropeCaches, lmHead, type Projector } from './llama.js';
import { LORA_GROUPS, groupDims, groupInputName, type LoraGroup } from './lora-groups.js';
import type { LlamaConfig, WeightMap } from './types.js';
import { SmolmapError } from '../errors.js';

export interface FastGraphOptions {
  /** Frozen projections and LM head (default f32 MatMul); quant.ts supplies MatMulNBits. */
  project?: Projector;
  /** Grouped LoRA inputs on every projection of every layer (rank dims dynamic). Default true. */
  lora?: boolean;
  logits?: 'last' | 'all' | 'keep';
  /**
   * 'logits' (default): the LM head's output. 'hidden': the final-normed hidden rows of the same positions
   * (output `hidden`, [B, K, H]) and no head, for logits made on demand (infer/head.ts).
   */
  output?: 'logits' | 'hidden';
}

/** An omitted optional input or output of a contrib node (ONNX: the empty name). */
const absent = (): Value => new Value(-1, 'float32', [], 'input', '');

interface Ctx {
  g: Graph;
  cfg: LlamaConfig;
  w: Weights;
  project: Projector;
  lora: boolean;
}

/** x·[W_targets]ᵀ (+ x·A·B of the group's LoRA): [B, S, in] → [B, S, Σout]. */
function groupProjection(c: Ctx, x: Value, layer: number, group: LoraGroup): Value {
  const { g } = c;
  const base = c.project(
    g,
    x,
    group.targets.map((t) => projWeight(layer, t)),
  );
  if (!c.lora) return base;
  const [inF, outF] = groupDims(c.cfg, group);
  // One symbolic dim per layer and group: adapters may cover some layers only (rank 0 elsewhere), and ORT plans
  // buffer reuse assuming equally named dims are equal (a shared name crashed with "re-use buffer {1,T,0} != {1,T,48}").
  const rank = `lora_rank_${layer}_${group.name}`;
  const a = g.input(groupInputName(layer, group.name, 'A'), 'float32', [inF, rank]);
  const b = g.input(groupInputName(layer, group.name, 'B'), 'float32', [rank, outF]);
  return g.add(base, g.matmul(g.matmul(x, a), b));
}

/** y = γ ⊙ RMSNorm(x + skip) and the sum x + skip (the residual stream). */
function skipNorm(c: Ctx, x: Value, skip: Value, weight: string): { y: Value; sum: Value } {
  const [y, mean, inv, sum] = c.g.node(
    Op.SkipRMSNorm,
    [x, skip, c.w.get(weight)],
    { epsilon: c.cfg.rms_norm_eps },
    [
      [x.dtype, x.shape],
      ['float32', []],
      ['float32', []],
      [x.dtype, x.shape],
    ],
  );
  mean!.name = '';
  inv!.name = '';
  return { y: y!, sum: sum! };
}

/** Once per run: GQA's int32 seqlens_k [B] (= total − 1: padding is masked by the bias) and total length. */
function attentionLengths(g: Graph, ids: Value, mask: Value): { seqlensK: Value; total: Value; bias: Value } {
  const shape = g.shapeOf(mask); // [B, T]
  const t = g.slice(shape, [1], [2]); // [1]
  const total = g.cast(g.reshape(t, []), 'int32');
  const seqlensK = g.cast(g.expand(g.sub(t, g.ints([1])), g.slice(shape, [0], [1])), 'int32'); // [B]
  // Additive padding bias [B, 1, 1, T]: 0 for real keys, −1e9 for padding (finite: fully padded rows stay NaN-free).
  const seq = g.slice(g.shapeOf(ids), [1], [2]);
  const padding = g.mul(g.sub(g.unsqueeze(g.cast(mask, 'float32'), [1, 2]), 1), 1e9); // [B, 1, 1, T]
  const bias = g.expand(padding, g.concat([g.ints([1, 1]), seq, g.ints([1])], 0)); // [B, 1, S, T] as GQA wants
  return { seqlensK, total, bias };
}

/** The fast inference graph: same I/O as llama.ts `inferenceGraph` except the grouped LoRA inputs. */
export function fastInferenceGraph(cfg: LlamaConfig, weights: WeightMap, opts: FastGraphOptions = {}): Graph {
  if (cfg.num_attention_heads % cfg.num_key_value_heads !== 0) {
    throw new SmolmapError(
      'model_config_invalid',
      'num_attention_heads must be a multiple of num_key_value_heads',
    );
  }
  const g = new Graph();
  const w = new Weights(g, weights);
  const c: Ctx = {
    g,
    cfg,
    w,
    project: opts.project ?? ((gg, x, names) => gg.matmul(x, gg.transpose(w.get(names), [1, 0]))),
    lora: opts.lora ?? true,
  };
  const inputIds = g.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  const mask = g.input('attention_mask', 'int64', ['batch_size', 'total_sequence_length']);
  // Kept for the standard I/O (KvCache feeds it); RoPE goes by cache slot, see the file comment.
  g.input('position_ids', 'int64', ['batch_size', 'sequence_length']);
  const kvShape = ['batch_size', cfg.num_key_value_heads, 'past_sequence_length', cfg.head_dim];
  const nH = cfg.num_attention_heads;
  const nKV = cfg.num_key_value_heads;
  const inter = cfg.intermediate_size;
  const half = cfg.head_dim / 2;
  const caches = ropeCaches(cfg);
  const cos = g.constant(caches.cos, 'float32', [cfg.max_position_embeddings, half]);
  const sin = g.constant(caches.sin, 'float32', [cfg.max_position_embeddings, half]);
  const lens = attentionLengths(g, inputIds, mask);
  const [qkvG, oG, guG, downG] = LORA_GROUPS as [LoraGroup, LoraGroup, LoraGroup, LoraGroup];

  let h = g.gather(w.get('model.embed_tokens.weight'), inputIds, 0); // [B, S, H]
  let x = g.rmsnorm(h, w.get('model.layers.0.input_layernorm.weight'), cfg.rms_norm_eps);
  let mlpOut: Value | null = null;
  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    if (mlpOut) ({ y: x, sum: h } = skipNorm(c, h, mlpOut, `${p}.input_layernorm.weight`));
    const qkv = groupProjection(c, x, l, qkvG); // [B, S, (nH + 2·nKV)·D]
    const pastK = g.input(`past_key_values.${l}.key`, 'float32', kvShape);
    const pastV = g.input(`past_key_values.${l}.value`, 'float32', kvShape);
    const presentShape = ['batch_size', nKV, 'total_sequence_length', cfg.head_dim];
    const ins = [
      qkv,
      absent(),
      absent(),
      pastK,
      pastV,
      lens.seqlensK,
      lens.total,
      cos,
      sin,
      absent(),
      lens.bias,
    ];
    const [attn, presentK, presentV] = g.node(
      Op.GroupQueryAttention,
      ins,
      { numHeads: nH, kvNumHeads: nKV, doRotary: true },
      [
        ['float32', ['batch_size', 'sequence_length', nH * cfg.head_dim]],
        ['float32', presentShape],
        ['float32', presentShape],
      ],
    );
    g.output(`present.${l}.key`, presentK!);
    g.output(`present.${l}.value`, presentV!);
    const o = groupProjection(c, attn!, l, oG);
    const post = skipNorm(c, h, o, `${p}.post_attention_layernorm.weight`);
    h = post.sum;
    const gu = groupProjection(c, post.y, l, guG); // [B, S, 2·I]
    const act = g.mul(g.silu(g.slice(gu, [0], [inter], [-1])), g.slice(gu, [inter], [2 * inter], [-1]));
    mlpOut = groupProjection(c, act, l, downG);
  }
  const final = mlpOut
    ? skipNorm(c, h, mlpOut, 'model.norm.weight').y
    : g.rmsnorm(h, w.get('model.norm.weight'), cfg.rms_norm_eps);
  const rows = logitRows(g, final, opts.logits ?? 'last');
  if (opts.output === 'hidden') g.output('hidden', rows);
  else g.output('logits', lmHead(g, cfg, weights, rows, c.project));
  return g;
}
