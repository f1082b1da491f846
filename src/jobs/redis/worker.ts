/**
 * `smolmap worker`: takes training jobs from the BullMQ queue, one at a time by default, and runs each in this
 * process with the job's inputs fetched from the coordinator (base model files cached by sha256). Progress goes
 * out as BullMQ job progress, checkpoints and the finished adapter go up to the coordinator. The worker never
 * touches the store. A worker that dies mid-job leaves a stalled BullMQ job: another worker takes it and resumes
 * from the last uploaded checkpoint.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';

import { toSmolmapError, type TrainJobInput, type TrainJobResult } from '../../engine/index.js';
import type { JobDescription } from './api.js';
import { readFolder, writeFolder } from './bundle.js';
import { CoordinatorClient } from './client.js';
import {
  TRAIN_QUEUE,
  checkTokenStrength,
  reachRedis,
  redisOptions,
  type QueuedTrainJob,
} from './connection.js';
import { failureReason } from './failure.js';
import { trainInThread } from './thread.js';

export interface TrainWorkerOptions {
  queue: string;
  server: string;
  token: string;
  /** Where base models are cached and jobs run. */
  workDir: string;
  /** Jobs at once (default 1: a training uses every core). */
  concurrency?: number;
  /** ORT threads per job, overriding the job's own setting. */
  threads?: number;
  /** A job whose worker sends no heartbeat for this long is handed to another (ms; default 30 s). */
  stallMs?: number;
  /** Times a job may lose its worker before it fails (default 3). */
  maxCrashes: number;
  log(line: Record<string, unknown>): void;
}

export interface RunningWorker {
  /** Stops taking jobs; running ones stop at their next step and go back to the queue with a checkpoint. */
  close(): Promise<void>;
}

/** The base model's folder in the cache, keyed by its files' sha256, fetched once. */
async function fetchBase(client: CoordinatorClient, workDir: string, d: JobDescription): Promise<string> {
  const key = createHash('sha256').update(JSON.stringify(d.base.files)).digest('hex').slice(0, 32);
  const dir = path.join(workDir, 'bases', key);
  await mkdir(dir, { recursive: true });
  for (const f of d.base.files) {
    const file = path.join(dir, f.name);
    if (!existsSync(file)) await client.download(d.job, `base/${encodeURIComponent(f.name)}`, file, f.sha256);
  }
  return d.base.format === 'gguf' ? path.join(dir, d.base.files[0]!.name) : dir;
}

async function prepare(
  client: CoordinatorClient,
  opts: TrainWorkerOptions,
  id: string,
): Promise<TrainJobInput> {
  const d = await client.describe(id);
  const dir = path.join(opts.workDir, 'jobs', id);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const datasetFile = path.join(dir, 'dataset.jsonl');
  await client.download(id, 'dataset', datasetFile);
  const basePath = await fetchBase(client, opts.workDir, d);
  const checkpoint = await client.checkpoint(id);
  const checkpointDir = path.join(dir, 'checkpoint');
  if (checkpoint) await writeFolder(checkpointDir, checkpoint);
  return {
    jobId: id,
    modelId: d.modelId,
    base: { name: d.base.name, path: basePath, format: d.base.format },
    catalog: d.catalog,
    datasetFile,
    adapterDir: path.join(dir, 'adapter'),
    checkpointDir,
    stopFile: path.join(dir, 'stop'),
    options: d.options,
    resume: checkpoint !== null,
    threads: opts.threads ?? d.threads,
  };
}

export async function startTrainWorker(opts: TrainWorkerOptions): Promise<RunningWorker> {
  checkTokenStrength(opts.token, '`smolmap worker`');
  const client = new CoordinatorClient({ server: opts.server, token: opts.token });
  let leaving = false;

  async function process(job: Job<QueuedTrainJob>, token?: string): Promise<TrainJobResult> {
    const id = job.data.job;
    if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(id))
      throw new UnrecoverableError(`job_bad_queue_entry: queue entry ${job.id} names no job`);
    let stop = false;
    const control = setInterval(() => {
      client.control(id).then(
        (c) => (stop ||= c.stop),
        () => undefined, // the coordinator may be restarting; the next poll asks again
      );
    }, 1000);
    let uploads: Promise<void> = Promise.resolve();
    try {
      const input = await prepare(client, opts, id);
      opts.log({ event: 'started', job: id, resume: input.resume });
      const training = trainInThread(input, {
        onProgress: (p) => void job.updateProgress({ ...p }).catch(() => undefined),
        onCheckpoint: (step, files) => {
          uploads = uploads.then(() => client.upload(id, 'checkpoint', files, step));
        },
      });
      const asked = setInterval(() => {
        if (stop || leaving) training.stop();
      }, 250);
      const result = await training.result.finally(() => clearInterval(asked));
      await uploads;
      if (result.status === 'stopped' && leaving && !stop) {
        // This worker is shutting down: the job goes back to the queue and resumes from the checkpoint.
        await job.moveToWait(token);
        opts.log({ event: 'handed-back', job: id, step: result.lossHistory.length });
        // BullMQ's signal that the processor moved its job itself: neither complete nor fail it.
        throw new WaitingError();
      }
      if (result.status !== 'stopped') await client.upload(id, 'adapter', await readFolder(input.adapterDir));
      await rm(path.join(opts.workDir, 'jobs', id), { recursive: true, force: true });
      opts.log({ event: 'finished', job: id, status: result.status });
      return result;
    } catch (e) {
      if (e instanceof WaitingError) throw e;
      const err = toSmolmapError(e);
      opts.log({ event: 'failed', job: id, code: err.code, message: err.message });
      throw new UnrecoverableError(failureReason(err));
    } finally {
      clearInterval(control);
    }
  }

  const stallMs = opts.stallMs ?? 30_000;
  const worker = new Worker<QueuedTrainJob, TrainJobResult>(TRAIN_QUEUE, process, {
    connection: redisOptions(opts.queue),
    concurrency: opts.concurrency ?? 1,
    lockDuration: stallMs,
    stalledInterval: stallMs,
    // BullMQ fails a job once it has stalled more than this many times: the limit-th crash fails it.
    maxStalledCount: Math.max(0, opts.maxCrashes - 1),
  });
  worker.on('error', (e) => opts.log({ event: 'error', message: e.message }));
  await reachRedis(worker.waitUntilReady(), opts.queue);
  return {
    async close() {
      leaving = true;
      await worker.close();
    },
  };
}
