/**
 * The heavy half of a training job, run inside a worker thread (src/jobs/workers/train.ts): load the base model
 * and tokenizer, encode the dataset, build the LoRA training graph once, run `trainLoop`, and write the PEFT
 * adapter and its loss curve. It reads files and writes only under the adapter and checkpoint folders; the
 * store belongs to the parent, which records what this returns.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { loadAdapter, saveAdapter, type LoraAdapter } from '../model/lora.js';
import { loadTokenizer, loadTokenizerFromGguf } from '../model/tokenizer/index.js';
import type { TaskExample } from '../data/types.js';
import type { Catalog } from '../specs/types.js';
import { encodeExamples } from './encode.js';
import { planEval } from './batching.js';
import { heldOutLoss, trainLoop, type TrainProgress, type TrainResult } from './loop.js';
import type { TrainOptions } from './options.js';
import { SmolmapError } from '../errors.js';
import { lossChartPng } from './chart.js';
import { openTrainingStep } from './step.js';

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
  /** An adapter folder to start from (an incremental job) instead of a fresh adapter; its LoRA shape is kept. */
  initFrom?: string;
}

export interface TrainJobHooks {
  onProgress(p: TrainProgress): void;
  onCheckpoint(step: number): void;
  /** True when the parent asked to stop (checked before every step, with the stop file). */
  stopRequested(): boolean;
}

/** The loop's result without the tensors (they are saved as the adapter), plus what encoding left out. */
export interface TrainJobResult extends Omit<TrainResult, 'lora'> {
  examples: { train: number; validation: number; tooLong: number; unwritable: number };
  /** With `initFrom`: the held-out loss of the starting adapter, on the same validation set as `valLoss`. */
  fromValLoss?: number | null;
  /** Set by the runner for an incremental job: whether the new adapter became active. */
  activated?: boolean;
}

/** Copies a saved adapter's tensors into a fresh adapter of the same shape. */
function startFrom(adapter: LoraAdapter, from: LoraAdapter, dir: string): void {
  for (const [k, t] of adapter.tensors) {
    const saved = from.tensors.get(k);
    if (!saved || saved.data.length !== t.data.length)
      throw new SmolmapError(
        'adapter_mismatch',
        `the adapter in ${dir} does not hold LoRA tensor ${k} in this shape; train a full adapter without --incremental`,
      );
    t.data.set(saved.data);
  }
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
  const tokenizer =
    input.base.format === 'gguf'
      ? await loadTokenizerFromGguf(input.base.path)
      : await loadTokenizer(input.base.path);

  const examples = await readExamples(input.datasetFile);
  const split = (s: 'train' | 'validation') => examples.filter((e) => (e.meta?.split ?? 'train') === s);
  const trainExamples = split('train');
  const train = encodeExamples(tokenizer, input.catalog, trainExamples, o.maxLen);
  const validation = encodeExamples(tokenizer, input.catalog, split('validation'), o.maxLen);

  const from = input.initFrom === undefined ? null : await loadAdapter(input.initFrom);
  const lora = from ? { ...from.config, seed: o.lora.seed } : o.lora;
  const { adapter, step } = await openTrainingStep(input.base.path, lora, { threads: input.threads });
  const padId = tokenizer.padTokenId ?? tokenizer.eosTokenId ?? 0;

  try {
    let fromValLoss: number | null | undefined;
    if (from) {
      startFrom(adapter, from, input.initFrom!);
      const plan = planEval(
        validation.sequences.map((s) => s.ids.length),
        o.batchSize,
      );
      const pad = { padId, padMultiple: o.padMultiple };
      fromValLoss = await heldOutLoss(validation.sequences, plan, pad, step.evalLoss, adapter.tensors);
    }
    const result = await trainLoop(
      {
        options: o,
        train: train.sequences,
        operations: new Set(
          trainExamples.map((e) => e.expected.operationId ?? `${e.expected.method} ${e.expected.path}`),
        ).size,
        validation: validation.sequences,
        padId,
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
      await writeFile(
        path.join(input.adapterDir, LOSS_PNG),
        await lossChartPng(result.lossHistory, { title: input.modelId }),
      );
    }
    const { lora: _saved, ...summary } = result;
    return {
      ...summary,
      ...(fromValLoss === undefined ? {} : { fromValLoss }),
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
