/**
 * Training jobs in the store: the facade functions surfaces call (start, list, get, stop, resume, wait) and the
 * record keeping the job runner (src/jobs/runner.ts) does as the parent that owns the store (claim, progress,
 * finish, fail, requeue). Everything goes through the store and plain files, so a CLI process can queue, stop
 * or wait for a job that a `serve` process runs.
 */
import { randomUUID } from 'node:crypto';
import { resolveBaseModelName } from '../model/registry.js';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { mixCorrections } from '../data/corrections.js';
import { generateData, importDataset } from '../data/dataset.js';
import type { Engine } from '../engine.js';
import { SmolmapError } from '../errors.js';
import { resolveModelSource } from '../model/weights/load.js';
import { getSpec, type TenantOption } from '../specs/registry.js';
import type { JobProgress, JobRecord, ModelRecord, StoreData } from '../store.js';
import type { TrainJobInput, TrainJobResult } from './job.js';
import type { TrainProgress } from './loop.js';
import { parseTrainOptions, type TrainOptions, type TrainOptionsInput } from './options.js';

export interface StartTrainingOptions extends TenantOption {
  spec: string;
  version?: number;
  /** A task file (JSON Lines) to train on; imported as a dataset. */
  data?: string;
  /** An existing dataset id. Without `data` or `dataset`, the spec's dataset is synthesised. */
  dataset?: string;
  /** Synthetic examples when synthesising (the generator's default otherwise). */
  count?: number;
  /** A registered base model; default: the first registered. */
  base?: string;
  /** Training options (`TrainOptions`; defaults fill the rest, unknown keys are errors). */
  train?: TrainOptionsInput;
  /** ORT intra-op threads for the worker; 0 = one per core. */
  threads?: number;
  /** Mix the spec's stored corrections into the dataset (default true; not applied to `dataset`). */
  corrections?: boolean;
}

/** What a training job keeps in `JobRecord.options`. */
export interface TrainJobOptions {
  spec: { name: string; version: number };
  datasetId: string;
  baseModel: string;
  modelId: string;
  train: TrainOptions;
  threads: number;
}

/** The `train --json` document (ARCHITECTURE.md, "The CLI contract"). */
export interface TrainingSummary {
  job: string;
  status: JobRecord['status'];
  model: string | null;
  adapterPath: string | null;
  trainLoss: number | null;
  valLoss: number | null;
  tokensPerSecond: number | null;
  seconds: number | null;
}

const trainOpts = (job: JobRecord): TrainJobOptions => job.options as unknown as TrainJobOptions;
export const adapterRelDir = (modelId: string): string => `adapters/${modelId}`;
export const checkpointRelDir = (jobId: string): string => `checkpoints/${jobId}`;
const stopFile = (engine: Engine, jobId: string): string => path.join(engine.dataDir, 'jobs', jobId, 'stop');

/** With a tenant (bots), another tenant's job is reported as unknown: its id must not reveal it exists. */
function findJob(data: StoreData, id: string, scope: TenantOption = {}): JobRecord {
  const job = data.jobs.find((j) => j.id === id && (scope.tenant === undefined || j.tenant === scope.tenant));
  if (!job)
    throw new SmolmapError('job_unknown', `no job "${id}"; \`smolmap jobs list\` shows the jobs`, {
      details: { id },
    });
  return job;
}

/** Validates the request, prepares the dataset, and queues a training job; returns its id. */
export async function startTraining(
  engine: Engine,
  options: StartTrainingOptions,
): Promise<{ job: string; model: string; dataset: string; baseModel: string }> {
  const train = parseTrainOptions(options.train ?? {});
  const { version } = await getSpec(engine, options.spec, options);
  const baseModel = resolveBaseModelName(await engine.store.read(), options.base, options.tenant);
  const scope = { spec: options.spec, version: version.version, tenant: options.tenant };
  let datasetId =
    options.dataset ??
    (options.data !== undefined
      ? (await importDataset(engine, options.data, scope)).dataset
      : (await generateData(engine, { ...scope, count: options.count, seed: train.seed })).dataset);
  if (options.dataset === undefined && options.corrections !== false)
    datasetId = (await mixCorrections(engine, scope, datasetId)).dataset;
  const id = `train-${randomUUID().slice(0, 8)}`;
  const modelId = `${options.spec}-${randomUUID().slice(0, 8)}`;
  const jobOptions: TrainJobOptions = {
    spec: { name: options.spec, version: version.version },
    datasetId,
    baseModel,
    modelId,
    train,
    threads: options.threads ?? 0,
  };
  await engine.store.update((data) => {
    if (!data.datasets.some((d) => d.id === datasetId))
      throw new SmolmapError(
        'dataset_unknown',
        `no dataset "${datasetId}"; \`smolmap data list\` shows them`,
      );
    const now = new Date().toISOString();
    const job: JobRecord = {
      id,
      kind: 'train',
      status: 'queued',
      options: jobOptions as unknown as Record<string, unknown>,
      progress: null,
      error: null,
      checkpoint: null,
      result: null,
      createdAt: now,
      startedAt: null,
      finishedAt: null,
      updatedAt: now,
    };
    if (options.tenant !== undefined) job.tenant = options.tenant;
    data.jobs.push(job);
  });
  return { job: id, model: modelId, dataset: datasetId, baseModel };
}

export async function listJobs(
  engine: Engine,
  filter: { status?: JobRecord['status']; tenant?: string } = {},
): Promise<JobRecord[]> {
  const jobs = (await engine.store.read()).jobs;
  return jobs.filter(
    (j) => (filter.status === undefined || j.status === filter.status) && j.tenant === filter.tenant,
  );
}

export async function getJob(engine: Engine, id: string, scope: TenantOption = {}): Promise<JobRecord> {
  return findJob(await engine.store.read(), id, scope);
}

/**
 * Stops a job: a queued one at once; a running one at its next step, after a checkpoint (the worker sees the
 * stop file, or the runner's message when it runs in this process).
 */
export async function stopJob(engine: Engine, id: string, scope: TenantOption = {}): Promise<JobRecord> {
  return engine.store.update(async (data) => {
    const job = findJob(data, id, scope);
    if (job.status === 'queued') {
      job.status = 'stopped';
      job.finishedAt = job.updatedAt = new Date().toISOString();
    } else if (job.status === 'running') {
      await mkdir(path.dirname(stopFile(engine, id)), { recursive: true });
      await writeFile(stopFile(engine, id), new Date().toISOString());
    } else {
      throw new SmolmapError(
        'job_not_running',
        `job ${id} is ${job.status}; only queued or running jobs stop`,
      );
    }
    return job;
  });
}

/** Queues a stopped or failed job again; it continues from its last checkpoint when it has one. */
export async function resumeJob(engine: Engine, id: string): Promise<JobRecord> {
  return engine.store.update((data) => {
    const job = findJob(data, id);
    if (job.status !== 'stopped' && job.status !== 'failed')
      throw new SmolmapError(
        'job_not_resumable',
        `job ${id} is ${job.status}; only stopped or failed jobs resume`,
      );
    job.status = 'queued';
    job.error = null;
    job.finishedAt = null;
    job.updatedAt = new Date().toISOString();
    return job;
  });
}

const DONE: ReadonlySet<JobRecord['status']> = new Set(['succeeded', 'failed', 'stopped']);

/** Polls the store until the job ends; `onUpdate` sees every change of progress. */
export async function waitForJob(
  engine: Engine,
  id: string,
  opts: { onUpdate?: (job: JobRecord) => void; pollMs?: number; signal?: AbortSignal } = {},
): Promise<JobRecord> {
  let last = '';
  for (;;) {
    const job = await getJob(engine, id);
    const seen = JSON.stringify([job.status, job.progress]);
    if (seen !== last) opts.onUpdate?.(job);
    last = seen;
    if (DONE.has(job.status)) return job;
    if (opts.signal?.aborted)
      throw new SmolmapError('job_wait_aborted', `stopped waiting for job ${id}; it goes on`);
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
  }
}

export function trainingSummary(engine: Engine, job: JobRecord): TrainingSummary {
  const r = (job.result ?? {}) as Partial<TrainJobResult>;
  const ok = job.status === 'succeeded';
  const o = trainOpts(job);
  return {
    job: job.id,
    status: job.status,
    model: ok ? o.modelId : null,
    adapterPath: ok ? path.join(engine.modelsDir, adapterRelDir(o.modelId)) : null,
    trainLoss: r.trainLoss ?? null,
    valLoss: r.valLoss ?? null,
    tokensPerSecond: r.tokensPerSecond ?? null,
    seconds: r.seconds ?? null,
  };
}

// ---- the runner's side: the parent process records what its workers report ------------------------------------

/** Marks the oldest queued job running and returns what its worker needs, or null when none is queued. */
export async function claimNextJob(engine: Engine): Promise<{ job: JobRecord; input: TrainJobInput } | null> {
  const claimed = await engine.store.update(async (data) => {
    const job = data.jobs.find((j) => j.status === 'queued' && j.kind === 'train');
    if (!job) return null;
    job.status = 'running';
    job.startedAt = job.updatedAt = new Date().toISOString();
    return job;
  });
  if (!claimed) return null;
  try {
    return { job: claimed, input: await workerInput(engine, claimed) };
  } catch (e) {
    const err = e instanceof SmolmapError ? e : new SmolmapError('job_setup_failed', String(e), { cause: e });
    await failJob(engine, claimed.id, { code: err.code, message: err.message }, false);
    return claimNextJob(engine);
  }
}

async function workerInput(engine: Engine, job: JobRecord): Promise<TrainJobInput> {
  const o = trainOpts(job);
  const data = await engine.store.read();
  const base = data.baseModels.find((b) => b.name === o.baseModel);
  const dataset = data.datasets.find((d) => d.id === o.datasetId);
  if (!base) throw new SmolmapError('model_not_found', `base model "${o.baseModel}" is no longer registered`);
  if (!dataset) throw new SmolmapError('dataset_unknown', `dataset "${o.datasetId}" is no longer stored`);
  const { catalog } = await getSpec(engine, o.spec.name, { version: o.spec.version, tenant: job.tenant });
  const source = await resolveModelSource(path.join(engine.modelsDir, base.dir));
  return {
    jobId: job.id,
    modelId: o.modelId,
    base: { name: base.name, path: source.path, format: source.kind },
    catalog,
    datasetFile: engine.store.resolve(dataset.file.path),
    adapterDir: path.join(engine.modelsDir, adapterRelDir(o.modelId)),
    checkpointDir: path.join(engine.modelsDir, checkpointRelDir(job.id)),
    stopFile: stopFile(engine, job.id),
    options: o.train,
    resume: job.checkpoint !== null,
    threads: o.threads,
  };
}

export function toJobProgress(p: TrainProgress): JobProgress {
  const { step, totalSteps, epoch, loss, valLoss, lr, tokensPerSecond, etaSeconds } = p;
  return { step, totalSteps, epoch, loss, valLoss, lr, tokensPerSecond, etaSeconds };
}

export async function recordJobProgress(engine: Engine, id: string, p: TrainProgress): Promise<void> {
  await engine.store.update((data) => {
    const job = findJob(data, id);
    job.progress = toJobProgress(p);
    job.updatedAt = new Date().toISOString();
  });
}

export async function recordJobCheckpoint(engine: Engine, id: string): Promise<void> {
  await engine.store.update((data) => {
    const job = findJob(data, id);
    job.checkpoint = checkpointRelDir(id);
    job.updatedAt = new Date().toISOString();
  });
}

/** Records a worker's result; a completed run registers its adapter as a model of the spec. */
export async function finishTrainingJob(
  engine: Engine,
  id: string,
  result: TrainJobResult,
): Promise<JobRecord> {
  await engine.store.remove(path.relative(engine.dataDir, path.dirname(stopFile(engine, id))));
  return engine.store.update((data) => {
    const job = findJob(data, id);
    const o = trainOpts(job);
    const now = new Date().toISOString();
    job.result = result;
    job.updatedAt = now;
    if (result.status === 'stopped') {
      job.status = 'stopped';
      job.finishedAt = now;
      return job;
    }
    job.status = 'succeeded';
    job.finishedAt = now;
    const model: ModelRecord = {
      id: o.modelId,
      spec: o.spec,
      baseModel: o.baseModel,
      datasetId: o.datasetId,
      dir: adapterRelDir(o.modelId),
      lora: {
        r: o.train.lora.r,
        alpha: o.train.lora.alpha,
        dropout: o.train.lora.dropout,
        targets: o.train.lora.targets,
      },
      metrics: null,
      lossHistory: result.lossHistory,
      status: 'ready',
      active: !data.models.some((m) => m.spec.name === o.spec.name && m.tenant === job.tenant && m.active),
      jobId: id,
      createdAt: now,
    };
    if (job.tenant !== undefined) model.tenant = job.tenant;
    data.models = data.models.filter((m) => m.id !== model.id);
    data.models.push(model);
    return job;
  });
}

/** Marks a job failed; `resumable` when a checkpoint lets `resumeJob` continue it. */
export async function failJob(
  engine: Engine,
  id: string,
  error: { code: string; message: string },
  resumable: boolean,
): Promise<JobRecord> {
  await engine.store.remove(path.relative(engine.dataDir, path.dirname(stopFile(engine, id))));
  return engine.store.update((data) => {
    const job = findJob(data, id);
    job.status = 'failed';
    job.error = error;
    job.result = { resumable };
    job.finishedAt = job.updatedAt = new Date().toISOString();
    return job;
  });
}

/** Jobs a dead runner left `running` go back to the queue (they resume from their checkpoint if any). */
export async function requeueOrphanedJobs(engine: Engine): Promise<string[]> {
  return engine.store.update((data) => {
    const orphans = data.jobs.filter((j) => j.status === 'running');
    for (const j of orphans) {
      j.status = 'queued';
      j.updatedAt = new Date().toISOString();
    }
    return orphans.map((j) => j.id);
  });
}
