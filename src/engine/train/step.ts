/**
 * The real training step: one ORT session of `buildTrainingGraph`, shared by jobs and bench/train.ts. A
 * micro-batch runs as one or more `session.run`s of at most `tokensPerRun` padded tokens (rows split, gradients
 * and loss recombined by label count — the same sums, so the same step), which bounds activation memory.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

import { createSession, f32, type HostTensor, type SessionOptions } from '../infer/ort.js';
import { externalDataFiles, serialize } from '../model/graph/serialize.js';
import { createAdapter, loraScale, type LoraAdapter, type LoraConfig } from '../model/lora.js';
import { buildTrainingGraph, gradName, trainingFeeds } from '../model/training-graph.js';
import { loadWeights } from '../model/weights/load.js';
import type { LlamaConfig, WeightMap } from '../model/types.js';
import { IGNORE_INDEX, type Batch } from './batching.js';
import { dropoutFeeds, dropoutRng, keepAllFeeds } from './dropout.js';
import type { TrainDeps } from './loop.js';
import { accumulate, type Grads, type Tensors } from './optim.js';

export interface TrainingStep extends Pick<TrainDeps, 'step' | 'evalLoss'> {
  release(): Promise<void>;
}

export type TrainingSessionFlags = Pick<SessionOptions, 'memArena' | 'prepacking' | 'memPattern'>;

/**
 * Session settings for training, chosen by peak RSS on SmolLM2-135M, r 16, batch 8 × 128 (bench/train.ts,
 * README): without the arena, activation memory goes back to the C heap after each run instead of the arena
 * growing past 6 GB; without the memory pattern, later runs reuse the heap the first run freed instead of
 * adding a planned block on top (3.9 vs 5.6 GB at step 2). Pre-packing stays on: it added no weight copy.
 */
export const TRAINING_SESSION: Readonly<TrainingSessionFlags> = {
  memArena: false,
  prepacking: true,
  memPattern: false,
};

/** Padded tokens per session.run (4 rows of 128): bench/README's memory table shows why. */
export const TOKENS_PER_RUN = 512;

export interface TrainingStepOptions {
  /** ORT intra-op threads; 0 = one per core. */
  threads?: number;
  session?: TrainingSessionFlags;
  tokensPerRun?: number;
  /**
   * q|k|v and gate|up as single products (training-graph.ts). Default off: since the pieces come from a Split
   * (whose VJP is a Concat) the fused graph no longer keeps its fused outputs for backward, but the same-process
   * A/B in bench/README still showed no speed gain — the Split and Concat copies of [tokens, Σout] cost what
   * the fewer, bigger GEMMs and gradient Adds save — and the session holds ~0.4 GB more.
   */
  fuse?: boolean;
}

/** Initializers of at least this many bytes are passed to ORT as external data (see createTrainingStep). */
const EXTERNAL_THRESHOLD = 1 << 16;

export async function createTrainingStep(
  config: LlamaConfig,
  weights: WeightMap,
  adapter: LoraAdapter,
  opts: TrainingStepOptions = {},
): Promise<TrainingStep> {
  const p = adapter.config.dropout;
  const graph = buildTrainingGraph(
    config,
    weights,
    { scale: loraScale(adapter.config), modules: adapter.modules },
    { fuse: opts.fuse ?? false, rank: adapter.config.r, dropout: p > 0 },
  );
  // Weights travel as in-memory external data: the chunks are views of the WeightMap's arrays, so no second
  // serialised copy of the model exists while ORT builds the session (ORT copies them into its own tensors).
  const model = serialize(graph, { externalThreshold: EXTERNAL_THRESHOLD });
  const session = await createSession(model.model, {
    threads: opts.threads ?? 0,
    externalData: externalDataFiles(model),
    ...(opts.session ?? TRAINING_SESSION),
  });
  const tokensPerRun = opts.tokensPerRun ?? TOKENS_PER_RUN;
  const feeds = (b: Batch, lora: Tensors): Record<string, HostTensor> => {
    const f = trainingFeeds(b.inputIds, b.labels, b.batchSize, b.seqLen);
    for (const [k, t] of lora) f[k] = f32(t.data, t.shape);
    return f;
  };
  return {
    async step(batch, lora, ctx) {
      const rng = p > 0 ? dropoutRng(ctx.seed, ctx.step, ctx.microBatch) : null;
      return combine(batch, tokensPerRun, async (part) => {
        const masks = rng ? dropoutFeeds(adapter.modules, part.batchSize, part.seqLen, p, rng) : {};
        const out = await session.run({ ...feeds(part, lora), ...masks });
        const grads: Grads = new Map();
        for (const k of lora.keys()) grads.set(k, out[gradName(k)]!.data as Float32Array);
        return { loss: Number(out['loss']!.data[0]), grads };
      });
    },
    // The training session computes the gradients too; a forward-only session would hold a second copy of
    // the base weights, which costs more than the backward pass of the few validation batches.
    async evalLoss(batch, lora) {
      const r = await combine(batch, tokensPerRun, async (part) => {
        const masks = p > 0 ? keepAllFeeds(adapter.modules, part.batchSize, part.seqLen) : {};
        const out = await session.run({ ...feeds(part, lora), ...masks }, ['loss']);
        return { loss: Number(out['loss']!.data[0]), grads: new Map() };
      });
      return r.loss;
    },
    release: () => session.release(),
  };
}

/**
 * Runs `run` on row groups of at most `tokensPerRun` padded tokens (at least one row) and combines them as one
 * run over the batch would: loss and gradients are means over label positions, so each part counts by its share.
 */
async function combine(
  batch: Batch,
  tokensPerRun: number,
  run: (part: Batch) => Promise<{ loss: number; grads: Grads }>,
): Promise<{ loss: number; grads: Grads }> {
  const rows = Math.max(1, Math.floor(tokensPerRun / batch.seqLen));
  if (rows >= batch.batchSize) return run(batch);
  let loss = 0;
  const grads: Grads = new Map();
  for (let r0 = 0; r0 < batch.batchSize; r0 += rows) {
    const part = sliceRows(batch, r0, Math.min(batch.batchSize, r0 + rows));
    if (part.labelTokens === 0) continue;
    const share = part.labelTokens / batch.labelTokens;
    const r = await run(part);
    loss += r.loss * share;
    accumulate(grads, r.grads, share);
  }
  return { loss, grads };
}

/** Rows [r0, r1) of a batch, with their label count (after the shift: labels[t + 1] of each row). */
function sliceRows(b: Batch, r0: number, r1: number): Batch {
  const [s, e] = [r0 * b.seqLen, r1 * b.seqLen];
  const labels = b.labels.subarray(s, e);
  let labelTokens = 0;
  for (let i = 0; i < labels.length; i++)
    if (i % b.seqLen > 0 && labels[i] !== BigInt(IGNORE_INDEX)) labelTokens++;
  return {
    inputIds: b.inputIds.subarray(s, e),
    labels,
    batchSize: r1 - r0,
    seqLen: b.seqLen,
    tokens: Math.round((b.tokens * (r1 - r0)) / b.batchSize),
    labelTokens,
  };
}

/**
 * Loads the base model and builds the training step. The f32 weights are only needed while ORT builds the
 * session (it keeps its own copy), so they are dropped and collected here, before the first step, instead of
 * staying alive for the whole job.
 */
export async function openTrainingStep(
  source: string,
  lora: LoraConfig,
  opts: TrainingStepOptions = {},
): Promise<{ config: LlamaConfig; adapter: LoraAdapter; step: TrainingStep }> {
  const build = async () => {
    const { config, weights } = await loadWeights(source);
    const adapter = createAdapter(config, lora);
    return { config, adapter, step: await createTrainingStep(config, weights, adapter, opts) };
  };
  const built = await build();
  collectGarbage();
  return built;
}

/**
 * A full V8 collection, so the dropped weights' ~0.5 GB (SmolLM2-135M) is freed before the first step rather
 * than whenever V8 next feels memory pressure. Jobs run in worker threads that cannot be given --expose-gc, so
 * the flag is set at run time and `gc` read from a fresh context, where it is defined once the flag is on.
 */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
}
