/**
 * Runs one training in the same worker thread the embedded runner uses (workers/train.js), so the worker
 * process's event loop stays free for BullMQ's lock renewals while the graph is built and steps run.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

import {
  SmolmapError,
  type TrainJobInput,
  type TrainJobResult,
  type TrainProgress,
} from '../../engine/index.js';
import { CANCEL, DONE, isWorkerMessage, type TrainWorkerData } from '../protocol.js';
import { defaultWorkerPath } from '../runner.js';
import type { Files } from './bundle.js';

export interface ThreadHooks {
  onProgress(p: TrainProgress): void;
  /** A whole checkpoint of `step`, read while training goes on. */
  onCheckpoint(step: number, files: Files): void;
}

/**
 * The checkpoint folder's files, or null when the thread is replacing it meanwhile: state.json is read before
 * and after the tensors, and only a pair that names the same step is whole (a newer checkpoint has a later one).
 */
async function readCheckpoint(dir: string, step: number): Promise<Files | null> {
  try {
    const before = await readFile(path.join(dir, 'state.json'));
    const tensors = await readFile(path.join(dir, 'tensors.safetensors'));
    const after = await readFile(path.join(dir, 'state.json'));
    if (!before.equals(after) || (JSON.parse(after.toString('utf8')) as { step?: number }).step !== step)
      return null;
    return new Map([
      ['state.json', after],
      ['tensors.safetensors', tensors],
    ]);
  } catch {
    return null;
  }
}

export function trainInThread(
  input: TrainJobInput,
  hooks: ThreadHooks,
): { result: Promise<TrainJobResult>; stop(): void } {
  const workerData: TrainWorkerData = { input };
  const thread = new Worker(defaultWorkerPath(), { workerData });
  let reads: Promise<void> = Promise.resolve();
  const result = new Promise<TrainJobResult>((resolve, reject) => {
    let outcome: { ok: TrainJobResult } | { err: SmolmapError } | null = null;
    thread.on('message', (m: unknown) => {
      // The thread's message listener keeps it alive: it says DONE once its session is released, and ends
      // here, as Bree ends it for the embedded runner.
      if (m === DONE) void thread.terminate();
      if (!isWorkerMessage(m)) return;
      if (m.type === 'progress') hooks.onProgress(m.progress);
      else if (m.type === 'checkpoint')
        reads = reads.then(async () => {
          const files = await readCheckpoint(input.checkpointDir, m.step);
          if (files) hooks.onCheckpoint(m.step, files);
        });
      else if (m.type === 'result') outcome = { ok: m.result };
      else outcome = { err: new SmolmapError(m.code, m.message) };
    });
    thread.on(
      'error',
      (e) => (outcome ??= { err: new SmolmapError('job_worker_crashed', e.message, { cause: e }) }),
    );
    thread.on('exit', () => {
      void reads.then(() => {
        if (outcome && 'ok' in outcome) resolve(outcome.ok);
        else
          reject(
            outcome?.err ??
              new SmolmapError('job_worker_crashed', 'the training thread exited without a result'),
          );
      });
    });
  });
  return { result, stop: () => thread.postMessage(CANCEL) };
}
