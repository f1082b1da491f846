/**
 * The LoRA training graph: the one Llama definition (llama.ts) plus a cross-entropy loss and its gradients with
 * respect to the LoRA inputs, so a training step is one `session.run`. Base weights stay frozen initializers;
 * `grad` only walks paths that reach a LoRA tensor, so layers below the lowest adapted one get no backward pass.
 *
 * The LM head and the loss run only on label positions (issue 6): the caller passes the flat indices of the
 * hidden states that predict a label (`label_positions`, HF's shift: position t predicts labels[t + 1]) and the
 * targets (`label_targets`); `trainingFeeds` derives both from HF-style `labels` (−100 = ignored).
 * Rows are right-padded, so the causal mask alone keeps padding out of every real position.
 */
import { grad } from './graph/autodiff.js';
import { Graph } from './graph/builder.js';
import { llamaForward, lmHead, type LlamaLora } from './llama.js';
import type { LlamaConfig, WeightMap } from './types.js';
import { i64, type HostTensor } from '../infer/ort.js';
import { SmolmapError } from '../errors.js';

export const IGNORE_INDEX = -100;

/** Graph output name of the gradient of LoRA input `name`. */
export const gradName = (name: string): string => `grad.${name}`;

/**
 * Inputs: `input_ids` int64 [batch, seq], `label_positions` int64 [n] (flat indices into batch·seq),
 * `label_targets` int64 [n], and every LoRA A/B tensor. Outputs: `loss` (mean cross-entropy over the n label
 * positions) and `grad.<lora name>` for each LoRA tensor.
 */
export function buildTrainingGraph(cfg: LlamaConfig, weights: WeightMap, lora: LlamaLora): Graph {
  if (lora.modules.length === 0) {
    throw new SmolmapError(
      'train_no_lora',
      'the training graph needs at least one LoRA target; pass some targets',
    );
  }
  const g = new Graph();
  const inputIds = g.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  const positions = g.input('label_positions', 'int64', ['n']);
  const targets = g.input('label_targets', 'int64', ['n']);
  // position_ids = 0..seq−1 on every row: a slice of a constant ramp, broadcast over the batch.
  const ramp = g.constant(
    BigInt64Array.from({ length: cfg.max_position_embeddings }, (_, i) => BigInt(i)),
    'int64',
    [1, cfg.max_position_embeddings],
  );
  const seqLen = g.slice(g.shapeOf(inputIds), [1], [2]);
  const positionIds = g.expand(g.sliceDyn(ramp, g.ints([0]), seqLen, [1]), g.shapeOf(inputIds));
  const out = llamaForward(g, cfg, weights, { inputIds, positionIds, attentionMask: null, past: null }, lora);
  const picked = g.gather(g.reshape(out.hidden, [-1, cfg.hidden_size]), positions, 0); // [n, H]
  // Fused cross-entropy: backward keeps only the logits [n, V], not log-probabilities plus their scatter/exp
  // intermediates (each [n, V] is ~200 MB at n = 1016 on SmolLM2's 49152-token vocabulary).
  const nll = g.crossEntropy(lmHead(g, cfg, weights, picked), targets); // [n]
  const loss = g.reduceMean(nll, [0], false);
  const names = [...out.lora.keys()];
  const grads = grad(
    g,
    loss,
    names.map((n) => out.lora.get(n)!),
  );
  g.output('loss', loss);
  names.forEach((n, i) => g.output(gradName(n), grads[i]!));
  return g;
}

/**
 * Feeds for one micro-batch from HF-style labels aligned with `input_ids` (both [batch·seq], row-major).
 * Throws when no position carries a label, since the mean loss would be undefined.
 */
export function trainingFeeds(
  inputIds: BigInt64Array,
  labels: BigInt64Array,
  batchSize: number,
  seqLen: number,
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
  if (pos.length === 0) {
    throw new SmolmapError(
      'train_no_labels',
      'this batch has no label tokens; check the loss mask of the examples',
    );
  }
  return {
    input_ids: i64(inputIds, [batchSize, seqLen]),
    label_positions: i64(pos, [pos.length]),
    label_targets: i64(BigInt64Array.from(tgt), [tgt.length]),
  };
}
