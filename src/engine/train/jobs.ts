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
import { getSpec } from '../specs/registry.js';
import { ownedBy, tenantOf, type TenantOption } from '../tenant.js';
import type { JobRecord, StoreData } from '../store.js';
import type { TrainJobResult } from './job.js';
import { reconcileJobs } from './job-records.js';
import { planIncremental, type IncrementalInfo } from './incremental.js';
import { checkJobSize, type JobLimits } from './limits.js';
import { parseTrainOptions, plannedSteps, type TrainOptions, type TrainOptionsInput } from './options.js';

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
  /**
   * Continue the spec's active adapter on the corrections and the operations added or changed since it was
   * trained, with a small step count; it becomes active only when its held-out loss is not worse (incremental.ts).
   */
  incremental?: boolean;
}

/** What a training job keeps in `JobRecord.options`. */
export interface TrainJobOptions {
  spec: { name: string; version: number };
  datasetId: string;
  baseModel: string;
  modelId: string;
  train: TrainOptions;
  threads: number;
  /** Set for an incremental job: what it continues from and why. */
  incremental?: IncrementalInfo & { fromDir: string };
}

/** How an incremental job ended for its adapter (`TrainingSummary.incremental`). */
export interface IncrementalOutcome extends IncrementalInfo {
  /** Held-out loss of the adapter it continued from, and of the new one (null without held-out examples). */
  fromValLoss: number | null;
  valLoss: number | null;
  /** True when the new adapter became the spec's active one (its held-out loss is not worse). */
  activated: boolean;
}
export interface TrainingSummary {
  job: string;
  status: JobRecord['status'];
  model: string | null;
  adapterPath: string | null;
  trainLoss: number | null;
  valLoss: number | null;
  tokensPerSecond: number | null;
  seconds: number | null;
  /** Null for a full training. */
  incremental: IncrementalOutcome | null;
}

export const trainOpts = (job: JobRecord): TrainJobOptions => job.options as unknown as TrainJobOptions;
export const adapterRelDir = (modelId: string): string => `adapters/${modelId}`;
export const checkpointRelDir = (jobId: string): string => `checkpoints/${jobId}`;
export const stopFile = (engine: Engine, jobId: string): string =>
  path.join(engine.dataDir, 'jobs', jobId, 'stop');

/**
 * A job by id. Another tenant's job is reported as unknown: its id must not reveal it exists. Only the runner
 * looks jobs up across tenants (`anyTenant`).
 */
export function findJob(data: StoreData, id: string, scope: TenantOption | { anyTenant: true }): JobRecord {
  const job = data.jobs.find((j) => j.id === id && ('anyTenant' in scope || ownedBy(j, scope.tenant)));
  if (!job)
    throw new SmolmapError('job_unknown', `no job "${id}"; \`smolmap jobs list\` shows the jobs`, {
      details: { id },
    });
  return job;
}

/** The dataset of a full training: the one named, an imported task file or synthesised, with the corrections. */
async function trainingDataset(
  engine: Engine,
  options: StartTrainingOptions,
  scope: TenantOption & { spec: string; version: number },
  seed: number,
): Promise<string> {
  if (options.dataset !== undefined) return options.dataset;
  const made =
    options.data !== undefined
      ? await importDataset(engine, options.data, scope)
      : await generateData(engine, { ...scope, count: options.count, seed });
  if (options.corrections === false) return made.dataset;
  return (await mixCorrections(engine, scope, made.dataset)).dataset;
}

/** Validates the request, prepares the dataset, and queues a training job; returns its id. */
export async function startTraining(
  engine: Engine,
  options: StartTrainingOptions,
): Promise<{ job: string; model: string; dataset: string; baseModel: string }> {
  let train = parseTrainOptions(options.train ?? {});
  checkJobSize(engine.limits, {
    steps: train.steps,
    rank: train.lora.r,
    batch: train.batchSize * train.gradAccum,
  });
  await checkTenantQuota(engine, engine.limits, options.tenant);
  const { version } = await getSpec(engine, options.spec, options);
  const scope = { spec: options.spec, version: version.version, tenant: options.tenant };
  let plan: Awaited<ReturnType<typeof planIncremental>> | null = null;
  if (options.incremental === true) {
    if (options.data !== undefined || options.dataset !== undefined)
      throw new SmolmapError(
        'train_bad_option',
        '--incremental trains on the corrections and the spec diff; drop --data (or train without --incremental)',
      );
    plan = await planIncremental(
      engine,
      { ...options, version: version.version },
      options.train ?? {},
      train,
    );
    train = plan.train;
  }
  const baseModel =
    plan?.baseModel ?? resolveBaseModelName(await engine.store.read(), options.base, options.tenant);
  const datasetId = plan?.dataset ?? (await trainingDataset(engine, options, scope, train.seed));
  const id = `train-${randomUUID().slice(0, 8)}`;
  const modelId = `${options.spec}-${randomUUID().slice(0, 8)}`;
  const jobOptions: TrainJobOptions = {
    spec: { name: options.spec, version: version.version },
    datasetId,
    baseModel,
    modelId,
    train,
    threads: options.threads ?? 0,
    ...(plan ? { incremental: { ...plan.info, fromDir: plan.fromDir } } : {}),
  };
  await engine.store.update((data) => {
    const dataset = data.datasets.find((d) => d.id === datasetId && ownedBy(d, options.tenant));
    if (!dataset)
      throw new SmolmapError(
        'dataset_unknown',
        `no dataset "${datasetId}"; \`smolmap data list\` shows them`,
      );
    // Steps derived from epochs or the recipe count too (an upper bound: encoding may leave examples out).
    const planned = plannedSteps(train, {
      trainExamples: dataset.stats.train ?? dataset.examples,
      operations: dataset.stats.operationsCovered,
    });
    checkJobSize(engine.limits, {
      steps: planned,
      rank: train.lora.r,
      batch: train.batchSize * train.gradAccum,
    });
    checkTenantJobs(data, engine.limits, options.tenant);
    const now = new Date().toISOString();
    const job: JobRecord = {
      tenant: tenantOf(options),
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
    data.jobs.push(job);
  });
  return { job: id, model: modelId, dataset: datasetId, baseModel };
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Refuses a tenant's new job past its jobs at once or per day (checked again under the store lock). */
function checkTenantJobs(data: StoreData, limits: JobLimits, tenant: string | undefined): void {
  const mine = data.jobs.filter((j) => j.kind === 'train' && ownedBy(j, tenant));
  const active = mine.filter((j) => ['queued', 'running', 'interrupted'].includes(j.status)).length;
  if (active >= limits.tenantConcurrentJobs)
    throw new SmolmapError(
      'job_quota',
      `${active} training jobs of yours are queued or running (limit tenantConcurrentJobs ${limits.tenantConcurrentJobs}); wait for one to finish or stop one`,
      { details: { limit: 'tenantConcurrentJobs', max: limits.tenantConcurrentJobs } },
    );
  const since = new Date(Date.now() - DAY_MS).toISOString();
  const today = mine.filter((j) => j.createdAt >= since).length;
  if (today >= limits.tenantDailyJobs)
    throw new SmolmapError(
      'job_quota',
      `${today} training jobs of yours started in the last 24 hours (limit tenantDailyJobs ${limits.tenantDailyJobs}); try again later`,
      { details: { limit: 'tenantDailyJobs', max: limits.tenantDailyJobs } },
    );
}

async function checkTenantQuota(
  engine: Engine,
  limits: JobLimits,
  tenant: string | undefined,
): Promise<void> {
  checkTenantJobs(await engine.store.read(), limits, tenant);
}

export async function listJobs(
  engine: Engine,
  filter: { status?: JobRecord['status']; tenant?: string } = {},
): Promise<JobRecord[]> {
  await reconcileJobs(engine);
  const jobs = (await engine.store.read()).jobs;
  return jobs.filter(
    (j) => (filter.status === undefined || j.status === filter.status) && ownedBy(j, filter.tenant),
  );
}

/** A job by id, of the acting tenant (the job runner alone passes `anyTenant`). */
export async function getJob(
  engine: Engine,
  id: string,
  scope: TenantOption | { anyTenant: true },
): Promise<JobRecord> {
  await reconcileJobs(engine);
  return findJob(await engine.store.read(), id, scope);
}

/**
 * Stops a job: a queued or interrupted one at once; a running one at its next step, after a checkpoint (the
 * worker sees the stop file, or the runner's message when it runs in this process).
 */
export async function stopJob(engine: Engine, id: string, scope: TenantOption = {}): Promise<JobRecord> {
  await reconcileJobs(engine);
  return engine.store.update(async (data) => {
    const job = findJob(data, id, scope);
    if (job.status === 'queued' || job.status === 'interrupted') {
      job.status = 'stopped';
      job.dispatchedAt = null;
      job.finishedAt = job.updatedAt = new Date().toISOString();
    } else if (job.status === 'running') {
      await mkdir(path.dirname(stopFile(engine, id)), { recursive: true });
      await writeFile(stopFile(engine, id), new Date().toISOString());
    } else {
      throw new SmolmapError(
        'job_not_running',
        `job ${id} is ${job.status}; only queued, running or interrupted jobs stop`,
      );
    }
    return job;
  });
}

/** Queues a stopped, failed or interrupted job again; it continues from its last checkpoint when it has one. */
export async function resumeJob(engine: Engine, id: string, scope: TenantOption = {}): Promise<JobRecord> {
  await reconcileJobs(engine);
  return engine.store.update((data) => {
    const job = findJob(data, id, scope);
    if (!['stopped', 'failed', 'interrupted'].includes(job.status))
      throw new SmolmapError(
        'job_not_resumable',
        `job ${id} is ${job.status}; only stopped, failed or interrupted jobs resume`,
      );
    job.status = 'queued';
    job.dispatchedAt = null;
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
  opts: { onUpdate?: (job: JobRecord) => void; pollMs?: number; signal?: AbortSignal } & TenantOption = {},
): Promise<JobRecord> {
  let last = '';
  for (;;) {
    const job = await getJob(engine, id, { tenant: opts.tenant });
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
    incremental: incrementalOutcome(job),
  };
}

function incrementalOutcome(job: JobRecord): IncrementalOutcome | null {
  const inc = trainOpts(job).incremental;
  if (!inc) return null;
  const { fromDir: _dir, ...info } = inc;
  const r = (job.result ?? {}) as Partial<TrainJobResult>;
  return {
    ...info,
    fromValLoss: r.fromValLoss ?? null,
    valLoss: r.valLoss ?? null,
    activated: job.status === 'succeeded' && r.activated === true,
  };
}
