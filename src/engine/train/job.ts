/**
 * The heavy half of a training job, run inside a worker thread (src/jobs/workers/train.ts): load the base model
 * and tokenizer, encode the dataset, build the LoRA training graph once, run `trainLoop`, and write the PEFT
 * adapter and its loss curve. It reads files and writes only under the adapter and checkpoint folders; the
 * store belongs to the parent, which records what this returns.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { saveAdapter } from '../model/lora.js';
import { loadTokenizer, loadTokenizerFromGguf } from '../model/tokenizer/index.js';
import type { TaskExample } from '../data/types.js';
import type { Catalog } from '../specs/types.js';
import { encodeExamples } from './encode.js';
import { trainLoop, type TrainProgress, type TrainResult } from './loop.js';
import type { TrainOptions } from './options.js';
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

  const { adapter, step } = await openTrainingStep(input.base.path, o.lora, { threads: input.threads });

  try {
    const result = await trainLoop(
      {
        options: o,
        train: train.sequences,
        operations: new Set(
          trainExamples.map((e) => e.expected.operationId ?? `${e.expected.method} ${e.expected.path}`),
        ).size,
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
      await writeFile(
        path.join(input.adapterDir, LOSS_PNG),
        await lossChartPng(result.lossHistory, { title: input.modelId }),
      );
    }
    const { lora: _saved, ...summary } = result;
    return {
      ...summary,
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
