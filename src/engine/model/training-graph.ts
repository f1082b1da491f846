/**
 * The LoRA training graph: the one Llama definition (llama.ts) plus a cross-entropy loss and its gradients with
 * respect to the LoRA inputs, so a training step is one `session.run`. Base weights stay frozen initializers;
 * `grad` only walks paths that reach a LoRA tensor, so layers below the lowest adapted one get no backward pass.
 *
 * LoRA enters through llama.ts's `Projector` hook rather than its built-in per-projection LoRA, so that training
 * can (1) run the projections sharing an input as one product — q|k|v [H → (nH + 2·nKV)·D] and gate|up
 * [H → 2·I], frozen weights and LoRA A's alike (bigger GEMMs, one activation-gradient product instead of three
 * plus adds) — and (2) apply PEFT's LoRA dropout, which acts on the LoRA branch input only:
 * y = x·Wᵀ + scale·B(A(dropout(x))) (peft/tuners/lora/layer.py `Linear.forward`).
 *
 * The LM head and the loss run only on label positions: the caller passes the flat indices of the
 * hidden states that predict a label (HF's shift: position t predicts labels[t + 1]) split into `headChunks` rows,
 * so the backward pass of the [n, vocab] softmax is taken one chunk at a time (at n = 1016 on SmolLM2's
 * 49152-token vocabulary every [n, V] temporary is ~200 MB). `trainingFeeds` derives them from HF-style labels.
 * Rows are right-padded, so the causal mask alone keeps padding out of every real position.
 */
import { grad } from './graph/autodiff.js';
import { Graph, type Value } from './graph/builder.js';
import {
  Weights,
  lmHead,
  llamaForward,
  projWeight,
  type LlamaLora,
  type LoraHook,
  type Projector,
} from './llama.js';
import type { LlamaConfig, WeightMap } from './types.js';
import { f32, i64, type HostTensor } from '../infer/ort.js';
import { SmolmapError, internal } from '../errors.js';

export const IGNORE_INDEX = -100;

/** Graph output name of the gradient of LoRA input `name`. */
export const gradName = (name: string): string => `grad.${name}`;

/** Graph input (bool [batch, seq, in]) holding the dropout keep-mask of one LoRA module's input. */
export const dropoutMaskName = (hook: Pick<LoraHook, 'a'>): string => `dropout_mask.${hook.a}`;

/** Graph input (float32 scalar): 1/(1 − p) while training with dropout, 1 for evaluation. */
export const DROPOUT_SCALE = 'dropout_scale';

/** Default number of LM-head chunks. */
export const HEAD_CHUNKS = 4;

export interface TrainingGraphOptions {
  /** One product per group of projections sharing an input (q|k|v, gate|up), LoRA A's included. Default off. */
  fuse?: boolean;
  /** The LoRA rank, so the A's of a group can be concatenated; without it each A is its own product. */
  rank?: number;
  /** Adds the dropout inputs (`dropout_mask.<A name>` per module and `dropout_scale`). Default off. */
  dropout?: boolean;
  /** Label rows per LM-head chunk = ⌈n / headChunks⌉. Default HEAD_CHUNKS. */
  headChunks?: number;
}

/**
 * Inputs: `input_ids` int64 [batch, seq]; `label_positions` and `label_targets` int64 [chunks, m] and
 * `label_weights` float32 [chunks, m] (1/n on real rows, 0 on padding); every LoRA A/B tensor; with dropout the
 * masks and the scale. Outputs: `loss` (mean cross-entropy over the n label positions) and `grad.<lora name>`.
 */
export function buildTrainingGraph(
  cfg: LlamaConfig,
  weights: WeightMap,
  lora: LlamaLora,
  opts: TrainingGraphOptions = {},
): Graph {
  if (lora.modules.length === 0) {
    throw new SmolmapError(
      'train_no_lora',
      'the training graph needs at least one LoRA target; pass some targets',
    );
  }
  const fuse = opts.fuse ?? false;
  const chunks = opts.headChunks ?? HEAD_CHUNKS;
  const g = new Graph();
  const inputIds = g.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  const positions = g.input('label_positions', 'int64', [chunks, 'm']);
  const targets = g.input('label_targets', 'int64', [chunks, 'm']);
  const rowWeights = g.input('label_weights', 'float32', [chunks, 'm']);
  // position_ids = 0..seq−1 on every row: a slice of a constant ramp, broadcast over the batch.
  const ramp = g.constant(
    BigInt64Array.from({ length: cfg.max_position_embeddings }, (_, i) => BigInt(i)),
    'int64',
    [1, cfg.max_position_embeddings],
  );
  const seqLen = g.slice(g.shapeOf(inputIds), [1], [2]);
  const positionIds = g.expand(g.sliceDyn(ramp, g.ints([0]), seqLen, [1]), g.shapeOf(inputIds));
  const adapters = new LoraInputs(g, lora, opts.rank ?? null, opts.dropout ?? false);
  const frozen = new Weights(g, weights);
  const project = loraProjector(frozen, lora.scale, adapters);
  const out = llamaForward(
    g,
    cfg,
    weights,
    { inputIds, positionIds, attentionMask: null, past: null },
    undefined,
    project,
    { fuseProjections: fuse },
  );
  const flat = g.reshape(out.hidden, [-1, cfg.hidden_size]); // [B·S, H]
  const head = headProjector(frozen);
  let loss: Value | null = null;
  for (let k = 0; k < chunks; k++) {
    const row = (v: Value): Value => g.reshape(g.slice(v, [k], [k + 1], [0]), [-1]); // [m]
    const logits = lmHead(g, cfg, weights, g.gather(flat, row(positions), 0), head); // [m, V]
    // Fused cross-entropy: backward keeps only the logits, not log-probabilities and their intermediates.
    const nll = g.crossEntropy(logits, row(targets)); // [m]
    const part = g.reduceSum(g.mul(nll, row(rowWeights)), [0], false);
    loss = loss ? g.add(loss, part) : part;
  }
  const names = [...adapters.values.keys()];
  if (names.length !== 2 * lora.modules.length)
    throw internal('a LoRA module was never reached by the projector');
  const grads = grad(
    g,
    loss!,
    names.map((n) => adapters.values.get(n)!),
  );
  g.output('loss', loss!);
  names.forEach((n, i) => g.output(gradName(n), grads[i]!));
  return g;
}

/** The LoRA graph inputs, created on first use (A [r, in], B [out, r], dropout masks). */
class LoraInputs {
  readonly values = new Map<string, Value>();
  readonly byWeight: Map<string, LoraHook>;
  private scaleInput: Value | null = null;
  constructor(
    private g: Graph,
    lora: LlamaLora,
    readonly rank: number | null,
    readonly dropout: boolean,
  ) {
    this.byWeight = new Map(lora.modules.map((m) => [projWeight(m.layer, m.target), m]));
  }
  private input(name: string, shape: (number | string)[]): Value {
    let v = this.values.get(name);
    if (!v) {
      v = this.g.input(name, 'float32', shape);
      this.values.set(name, v);
    }
    return v;
  }
  a(h: LoraHook, inp: number): Value {
    return this.input(h.a, [this.rank ?? 'r', inp]);
  }
  b(h: LoraHook, out: number): Value {
    return this.input(h.b, [out, this.rank ?? 'r']);
  }
  /** PEFT's `lora_dropout(x)`: x·scale where the module's mask keeps it, else 0 (the mask is the only state). */
  dropped(x: Value, h: LoraHook): Value {
    if (!this.dropout) return x;
    this.scaleInput ??= this.g.input(DROPOUT_SCALE, 'float32', []);
    const mask = this.g.input(dropoutMaskName(h), 'bool', x.shape);
    return this.g.where(mask, this.g.mul(x, this.scaleInput), this.g.scalar(0));
  }
}

/**
 * Frozen product of the projections `names` (sharing x [B, S, in]) plus each adapted one's
 * scale·B(A(dropout(x))), concatenated like the fused output [B, S, Σout]. Each piece gets its own delta; the
 * concatenation is only what linear() splits again (builder.split hands back the pieces), so no [B, S, Σout]
 * sum or copy is made. The scale multiplies B [out, r], not the [B, S, out] product, so neither pass spends
 * an element-wise op on it.
 */
function loraProjector(w: Weights, scale: number, lora: LoraInputs): Projector {
  return (gg, x, names) => {
    const base = gg.matmul(x, gg.transpose(w.get(names), [1, 0])); // [B, S, Σout]
    const hooks = names.map((n) => lora.byWeight.get(n));
    if (hooks.every((h) => h === undefined)) return base;
    const [outs, inp] = [names.map((n) => w.shape(n)[0]!), w.shape(names[0]!)[1]!];
    const xa = loraDown(gg, x, hooks, inp, lora); // x·Aᵀ [B, S, r] per adapted projection
    const pieces = outs.length === 1 ? [base] : gg.split(base, outs, -1);
    const sum = pieces.map((p, i) => {
      const h = hooks[i];
      if (!h) return p;
      const b = lora.b(h, outs[i]!); // [out, r]; a scale of 1 means the caller folded alpha/r into B
      return gg.add(p, gg.matmul(xa[i]!, gg.transpose(scale === 1 ? b : gg.mul(b, scale), [1, 0])));
    });
    return sum.length === 1 ? sum[0]! : gg.concat(sum, -1);
  };
}

/** x·Aᵀ per adapted projection: one product over the concatenated A's when there is no dropout. */
function loraDown(
  gg: Graph,
  x: Value,
  hooks: readonly (LoraHook | undefined)[],
  inp: number,
  lora: LoraInputs,
): (Value | null)[] {
  const r = lora.rank;
  if (!lora.dropout && r !== null && hooks.length > 1 && hooks.every((h) => h !== undefined)) {
    const a = gg.concat(
      hooks.map((h) => lora.a(h!, inp)),
      0,
    ); // [n·r, in]
    const y = gg.matmul(x, gg.transpose(a, [1, 0])); // [B, S, n·r]
    return gg.split(
      y,
      hooks.map(() => r),
      -1,
    );
  }
  return hooks.map((h) => (h ? gg.matmul(lora.dropped(x, h), gg.transpose(lora.a(h, inp), [1, 0])) : null));
}

/**
 * The LM head with its weight transposed once for all chunks (one folded constant, not one per chunk). The tied
 * embedding is already an initializer (llama.ts made it for the Gather); an untied head comes from `w`.
 */
function headProjector(w: Weights): Projector {
  let wt: Value | null = null;
  return (g, x, names) => {
    const name = names[0]!;
    wt ??= g.transpose(g.consts.find((v) => v.name === name) ?? w.get(name), [1, 0]);
    return g.matmul(x, wt);
  };
}

/**
 * Feeds for one micro-batch from HF-style labels aligned with `input_ids` (both [batch·seq], row-major): label
 * rows split into `chunks` equal rows, padded with weight-0 copies of position 0.
 * Throws when no position carries a label, since the mean loss would be undefined.
 */
export function trainingFeeds(
  inputIds: BigInt64Array,
  labels: BigInt64Array,
  batchSize: number,
  seqLen: number,
  chunks = HEAD_CHUNKS,
): Record<string, HostTensor> {
  const pos: number[] = [];
  const tgt: bigint[] = [];
  for (let b = 0; b < batchSize; b++) {
    for (let t = 0; t + 1 < seqLen; t++) {
      const y = labels[b * seqLen + t + 1]!;
      if (y === BigInt(IGNORE_INDEX)) continue;
      pos.push(b * seqLen + t);
      tgt.push(y);
    }
  }
  const n = pos.length;
  if (n === 0) {
    throw new SmolmapError(
      'train_no_labels',
      'this batch has no label tokens; check the loss mask of the examples',
    );
  }
  const m = Math.ceil(n / chunks);
  const positions = new BigInt64Array(chunks * m);
  const targets = new BigInt64Array(chunks * m);
  const weights = new Float32Array(chunks * m);
  for (let i = 0; i < n; i++) {
    positions[i] = BigInt(pos[i]!);
    targets[i] = tgt[i]!;
    weights[i] = 1 / n;
  }
  return {
    input_ids: i64(inputIds, [batchSize, seqLen]),
    label_positions: i64(positions, [chunks, m]),
    label_targets: i64(targets, [chunks, m]),
    label_weights: f32(weights, [chunks, m]),
  };
}
