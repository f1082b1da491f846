/**
 * The heavy half of a training job, run inside a worker thread (src/jobs/workers/train.ts): load the base model
 * and tokenizer, encode the dataset, build the LoRA training graph once, run `trainLoop`, and write the PEFT
 * adapter and its loss curve. It reads files and writes only under the adapter and checkpoint folders; the
 * store belongs to the parent, which records what this returns.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { SmolmapError } from '../errors.js';
import { createSession, f32, type HostTensor, type SessionOptions } from '../infer/ort.js';
import { externalDataFiles, serialize } from '../model/graph/serialize.js';
import { createAdapter, loraScale, saveAdapter, type LoraAdapter } from '../model/lora.js';
import { loadTokenizer, loadTokenizerFromGguf } from '../model/tokenizer/index.js';
import { buildTrainingGraph, gradName, trainingFeeds } from '../model/training-graph.js';
import { loadWeights } from '../model/weights/load.js';
import type { TaskExample } from '../data/types.js';
import type { LlamaConfig, WeightMap } from '../model/types.js';
import type { Catalog } from '../specs/types.js';
import type { LossPoint } from '../store.js';
import type { Batch } from './batching.js';
import { encodeExamples } from './encode.js';
import { trainLoop, type TrainDeps, type TrainProgress, type TrainStatus } from './loop.js';
import type { Grads, Tensors } from './optim.js';
import type { TrainOptions } from './options.js';
import { lossCurvePng } from './png.js';

export const LOSS_PNG = 'loss.png';

/** Everything the worker needs, as plain data (it crosses the thread boundary via workerData). */
export interface TrainJobInput {
  jobId: string;
  modelId: string;
  base: { name: string; path: string; format: 'hf' | 'gguf' };
  catalog: Catalog;
  /** The stored dataset (JSON Lines with `meta.split`). */
  datasetFile: string;
  adapterDir: string;
  checkpointDir: string;
  /** A file whose existence asks the job to stop (so `jobs stop` works from any process). */
  stopFile: string;
  options: TrainOptions;
  resume: boolean;
  /** ORT intra-op threads; 0 = one per core. */
  threads: number;
}

export interface TrainJobHooks {
  onProgress(p: TrainProgress): void;
  onCheckpoint(step: number): void;
  /** True when the parent asked to stop (checked before every step, with the stop file). */
  stopRequested(): boolean;
}

export interface TrainJobResult {
  status: TrainStatus;
  step: number;
  totalSteps: number;
  trainLoss: number | null;
  valLoss: number | null;
  lossHistory: LossPoint[];
  tokensPerSecond: number;
  seconds: number;
  examples: { train: number; validation: number; tooLong: number; unwritable: number };
}

/** The real training step: one session of `buildTrainingGraph`, one run per micro-batch. */
export interface TrainingStep extends Pick<TrainDeps, 'step' | 'evalLoss'> {
  release(): Promise<void>;
}

/**
 * Session settings for training, chosen by peak RSS on SmolLM2-135M, r 16, batch 8 × 128 (bench/train.ts,
 * README): without the arena, activation memory goes back to the system after each run instead of the arena
 * growing past 6 GB; without the memory pattern, later runs reuse the C heap the first run freed instead of
 * adding a planned block on top (3.9 vs 5.6 GB at step 2). Pre-packing stays on: it added no weight copy.
 * `createTrainingStep`'s `session` argument overrides these (the bench compares settings).
 */
export const TRAINING_SESSION: Readonly<Pick<SessionOptions, 'memArena' | 'prepacking' | 'memPattern'>> = {
  memArena: false,
  prepacking: true,
  memPattern: false,
};

/** Initializers of at least this many bytes are passed to ORT as external data (see createTrainingStep). */
const EXTERNAL_THRESHOLD = 1 << 16;

export async function createTrainingStep(
  config: LlamaConfig,
  weights: WeightMap,
  adapter: LoraAdapter,
  threads: number,
  session: Pick<SessionOptions, 'memArena' | 'prepacking' | 'memPattern'> = TRAINING_SESSION,
): Promise<TrainingStep> {
  const graph = buildTrainingGraph(config, weights, {
    scale: loraScale(adapter.config),
    modules: adapter.modules,
  });
  // Weights travel as in-memory external data: the chunks are views of the WeightMap's arrays, so no second
  // serialised copy of the model exists while ORT builds the session (~0.5 GB less peak on SmolLM2-135M).
  const model = serialize(graph, { externalThreshold: EXTERNAL_THRESHOLD });
  const ortSession = await createSession(model.model, {
    threads,
    externalData: externalDataFiles(model),
    ...session,
  });
  const feeds = (b: Batch, lora: Tensors): Record<string, HostTensor> => {
    const f = trainingFeeds(b.inputIds, b.labels, b.batchSize, b.seqLen);
    for (const [k, t] of lora) f[k] = f32(t.data, t.shape);
    return f;
  };
  return {
    async step(batch, lora) {
      const out = await ortSession.run(feeds(batch, lora));
      const grads: Grads = new Map();
      for (const k of lora.keys()) grads.set(k, out[gradName(k)]!.data as Float32Array);
      return { loss: Number(out['loss']!.data[0]), grads };
    },
    // The training session computes the gradients too; a forward-only session would hold a second copy of
    // the base weights, which costs more than the backward pass of the few validation batches.
    async evalLoss(batch, lora) {
      const out = await ortSession.run(feeds(batch, lora), ['loss']);
      return Number(out['loss']!.data[0]);
    },
    release: () => ortSession.release(),
  };
}

async function loadStep(
  source: string,
  o: TrainOptions,
  threads: number,
): Promise<{ adapter: LoraAdapter; step: TrainingStep }> {
  const { config, weights } = await loadWeights(source);
  const adapter = createAdapter(config, o.lora);
  return { adapter, step: await createTrainingStep(config, weights, adapter, threads) };
}

async function readExamples(file: string): Promise<TaskExample[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as TaskExample);
}

export async function runTrainJob(input: TrainJobInput, hooks: TrainJobHooks): Promise<TrainJobResult> {
  const o = input.options;
  if (o.lora.dropout > 0)
    throw new SmolmapError(
      'train_dropout_unsupported',
      'LoRA dropout is not supported by the training graph; train with dropout 0 (the default)',
    );
  const tokenizer =
    input.base.format === 'gguf'
      ? await loadTokenizerFromGguf(input.base.path)
      : await loadTokenizer(input.base.path);

  const examples = await readExamples(input.datasetFile);
  const split = (s: 'train' | 'validation') => examples.filter((e) => (e.meta?.split ?? 'train') === s);
  const train = encodeExamples(tokenizer, input.catalog, split('train'), o.maxLen);
  const validation = encodeExamples(tokenizer, input.catalog, split('validation'), o.maxLen);

  // The f32 weights are only needed to build the session (ORT keeps its own copy): load them in a helper so
  // they can be collected before training starts, which lowers peak memory by the size of the model.
  const { adapter, step } = await loadStep(input.base.path, o, input.threads);

  try {
    const result = await trainLoop(
      {
        options: o,
        train: train.sequences,
        validation: validation.sequences,
        padId: tokenizer.padTokenId ?? tokenizer.eosTokenId ?? 0,
        lora: adapter.tensors,
        checkpointDir: input.checkpointDir,
        resume: input.resume,
      },
      {
        step: step.step,
        evalLoss: step.evalLoss,
        onProgress: hooks.onProgress,
        onCheckpoint: ({ step }) => hooks.onCheckpoint(step),
        shouldStop: () => hooks.stopRequested() || existsSync(input.stopFile),
      },
    );
    if (result.status !== 'stopped') {
      await saveAdapter(input.adapterDir, adapter, { baseModel: input.base.name });
      await writeFile(path.join(input.adapterDir, LOSS_PNG), lossCurvePng(result.lossHistory));
    }
    return {
      status: result.status,
      step: result.step,
      totalSteps: result.totalSteps,
      trainLoss: result.trainLoss,
      valLoss: result.valLoss,
      lossHistory: result.lossHistory,
      tokensPerSecond: result.tokensPerSecond,
      seconds: result.seconds,
      examples: {
        train: train.sequences.length,
        validation: validation.sequences.length,
        tooLong: train.tooLong + validation.tooLong,
        unwritable: train.unwritable + validation.unwritable,
      },
    };
  } finally {
    await step.release();
  }
}
