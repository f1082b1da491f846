/**
 * The runner's side of training jobs: the process that runs the jobs (src/jobs/runner.ts) records here what
 * its workers report (claim, progress, checkpoint, finish, fail), and what a dead runner left behind: a job
 * that was `running` when its runner died is `interrupted`, counted as a crash, and queued again by the next
 * runner from its last checkpoint, until it has crashed `maxCrashes` times (then it fails, so a job that kills
 * its process cannot loop forever). Queued jobs are taken fairly: round-robin by tenant, oldest first within.
 */
import path from 'node:path';

import type { Engine } from '../engine.js';
import { SmolmapError } from '../errors.js';
import { resolveModelSource } from '../model/weights/load.js';
import { getSpec } from '../specs/registry.js';
import type { JobProgress, JobRecord, ModelRecord, StoreData } from '../store.js';
import type { TrainJobInput, TrainJobResult } from './job.js';
import { adapterRelDir, checkpointRelDir, findJob, stopFile, trainOpts } from './jobs.js';
import type { TrainProgress } from './loop.js';
import { liveRunner } from './runner-lock.js';
import { activateWithin } from '../models.js';
import { ownedBy, tenantOf } from '../tenant.js';

/**
 * The queued training job to run next: from the tenant that started a job least recently, its oldest. A job
 * handed to a shared queue counts as started (its tenant had its turn) and is not chosen again.
 */
export function nextQueuedJob(jobs: readonly JobRecord[]): JobRecord | undefined {
  const lastStart = new Map<string, string>();
  for (const j of jobs) {
    const at = [j.startedAt ?? '', j.dispatchedAt ?? ''].sort().at(-1)!;
    if (j.kind === 'train' && at > (lastStart.get(tenantOf(j)) ?? '')) lastStart.set(tenantOf(j), at);
  }
  let best: JobRecord | undefined;
  for (const j of jobs) {
    if (j.status !== 'queued' || j.kind !== 'train' || j.dispatchedAt) continue;
    if (!best) best = j;
    else if ((lastStart.get(tenantOf(j)) ?? '') < (lastStart.get(tenantOf(best)) ?? '')) best = j;
  }
  return best;
}

/**
 * Takes the next queued job and returns what its worker needs, or null when none is queued. It is marked
 * running, or with `dispatch` (handed to a shared queue) stays queued, marked dispatched, until
 * `startDispatchedJob` says a worker took it.
 */
export async function claimNextJob(
  engine: Engine,
  opts: { dispatch?: boolean } = {},
): Promise<{ job: JobRecord; input: TrainJobInput } | null> {
  const claimed = await engine.store.update(async (data) => {
    const job = nextQueuedJob(data.jobs);
    if (!job) return null;
    const now = new Date().toISOString();
    if (opts.dispatch) job.dispatchedAt = now;
    else {
      job.status = 'running';
      job.startedAt = now;
    }
    job.updatedAt = now;
    return job;
  });
  if (!claimed) return null;
  try {
    return { job: claimed, input: await workerInput(engine, claimed) };
  } catch (e) {
    const err = e instanceof SmolmapError ? e : new SmolmapError('job_setup_failed', String(e), { cause: e });
    await failJob(engine, claimed.id, { code: err.code, message: err.message }, false);
    return claimNextJob(engine, opts);
  }
}

/** A dispatched job a worker has taken becomes running; true when this call started it. */
export async function startDispatchedJob(engine: Engine, id: string): Promise<boolean> {
  return engine.store.update((data) => {
    const job = data.jobs.find((j) => j.id === id);
    if (job?.status !== 'queued' || !job.dispatchedAt) return false;
    job.status = 'running';
    job.startedAt = job.updatedAt = new Date().toISOString();
    job.dispatchedAt = null;
    return true;
  });
}

/** What a worker needs to run a job, with the coordinator's paths (a `redis` queue serves them over HTTP). */
export async function workerInput(engine: Engine, job: JobRecord): Promise<TrainJobInput> {
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
    ...(o.incremental ? { initFrom: path.join(engine.modelsDir, o.incremental.fromDir) } : {}),
  };
}

export function toJobProgress(p: TrainProgress): JobProgress {
  const { step, totalSteps, epoch, loss, valLoss, lr, tokensPerSecond, etaSeconds } = p;
  return { step, totalSteps, epoch, loss, valLoss, lr, tokensPerSecond, etaSeconds };
}

export async function recordJobProgress(engine: Engine, id: string, p: TrainProgress): Promise<void> {
  await engine.store.update((data) => {
    const job = findJob(data, id, { anyTenant: true });
    job.progress = toJobProgress(p);
    job.updatedAt = new Date().toISOString();
  });
}

/** Records a checkpoint written at optimizer step `step` (where a resumed run restarts). */
export async function recordJobCheckpoint(engine: Engine, id: string, step: number): Promise<void> {
  await engine.store.update((data) => {
    const job = findJob(data, id, { anyTenant: true });
    job.checkpoint = checkpointRelDir(id);
    job.checkpointStep = step;
    job.updatedAt = new Date().toISOString();
  });
}

/**
 * The activation rule of an incremental job: its adapter replaces the active one only when its held-out loss
 * is not worse than the starting adapter's on the same held-out examples; without both losses it is kept for
 * review, not activated.
 */
export function notWorse(result: Pick<TrainJobResult, 'valLoss' | 'fromValLoss'>): boolean {
  const before = result.fromValLoss ?? null;
  return before !== null && result.valLoss !== null && result.valLoss <= before;
}

/**
 * Records a worker's result; a completed run registers its adapter as a model of the spec: active when it is
 * the spec's first, or for an incremental run by `notWorse`.
 */
export async function finishTrainingJob(
  engine: Engine,
  id: string,
  result: TrainJobResult,
): Promise<JobRecord> {
  await engine.store.remove(path.relative(engine.dataDir, path.dirname(stopFile(engine, id))));
  return engine.store.update(async (data) => {
    const job = findJob(data, id, { anyTenant: true });
    const o = trainOpts(job);
    const now = new Date().toISOString();
    job.result = result;
    job.updatedAt = now;
    job.finishedAt = now;
    if (result.status === 'stopped') {
      job.status = 'stopped';
      return job;
    }
    job.status = 'succeeded';
    const model: ModelRecord = {
      tenant: tenantOf(job),
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
      active: false,
      jobId: id,
      createdAt: now,
    };
    data.models = data.models.filter((m) => m.id !== model.id);
    data.models.push(model);
    const first = !data.models.some((m) => m.spec.name === o.spec.name && ownedBy(m, job.tenant) && m.active);
    if (o.incremental) {
      // With no active adapter left (the one continued from was deactivated meanwhile) there is nothing to lose.
      const activated = first || notWorse(result);
      job.result = { ...result, activated };
      if (activated) await activateWithin(engine, data, model, job.tenant);
    } else model.active = first;
    return job;
  });
}

/**
 * Marks a job failed; `resumable` when a checkpoint lets `resumeJob` continue it. A crash (`crashed`) is
 * counted against the job's crash limit.
 */
export async function failJob(
  engine: Engine,
  id: string,
  error: { code: string; message: string },
  resumable: boolean,
  crashed = false,
): Promise<JobRecord> {
  await engine.store.remove(path.relative(engine.dataDir, path.dirname(stopFile(engine, id))));
  return engine.store.update((data) => {
    const job = findJob(data, id, { anyTenant: true });
    job.status = 'failed';
    job.dispatchedAt = null;
    job.error = error;
    job.result = { resumable };
    if (crashed) job.crashes = (job.crashes ?? 0) + 1;
    job.finishedAt = job.updatedAt = new Date().toISOString();
    return job;
  });
}

/** Jobs left `running` by a dead runner become `interrupted`, one crash counted, progress back at the checkpoint. */
function interrupt(data: StoreData): JobRecord[] {
  const orphans = data.jobs.filter((j) => j.status === 'running');
  const now = new Date().toISOString();
  for (const j of orphans) {
    j.status = 'interrupted';
    j.crashes = (j.crashes ?? 0) + 1;
    j.error = {
      code: 'job_interrupted',
      message: `the process running this job ended; it resumes from step ${j.checkpointStep ?? 0} when a runner starts (\`smolmap jobs run\` or \`smolmap serve\`)`,
    };
    if (j.progress) j.progress = { ...j.progress, step: j.checkpointStep ?? 0, etaSeconds: null };
    j.updatedAt = now;
  }
  return orphans;
}

/**
 * When no runner lives, marks the jobs a dead one left `running` as interrupted, so every surface reports them
 * truthfully (and `jobs resume` or `jobs stop` act on them). Checked again under the store lock: a runner that
 * started meanwhile owns its jobs.
 */
export async function reconcileJobs(engine: Engine): Promise<void> {
  if (!(await engine.store.read()).jobs.some((j) => j.status === 'running')) return;
  if (await liveRunner(engine)) return;
  await engine.store.update(async (data) => {
    if (await liveRunner(engine)) return;
    interrupt(data);
  });
}

/**
 * For a runner starting (it holds the runner lock): jobs a dead runner left become interrupted, and every
 * interrupted job is queued again to resume from its checkpoint, unless it has crashed `maxCrashes` times.
 * Queued jobs a dead coordinator dispatched are taken again, except those a shared queue still holds.
 */
export async function resumeInterruptedJobs(
  engine: Engine,
  maxCrashes: number,
  stillDispatched: readonly string[] = [],
): Promise<{ resumed: string[]; failed: string[] }> {
  return engine.store.update((data) => {
    interrupt(data);
    for (const j of data.jobs) if (j.dispatchedAt && !stillDispatched.includes(j.id)) j.dispatchedAt = null;
    const resumed: string[] = [];
    const failed: string[] = [];
    for (const j of data.jobs.filter((x) => x.status === 'interrupted')) {
      if ((j.crashes ?? 0) >= maxCrashes) {
        j.status = 'failed';
        j.error = {
          code: 'job_crash_loop',
          message: `the job ended its process ${j.crashes} times (limit maxCrashes); it is not resumed again by itself. Check the logs, then \`smolmap jobs resume ${j.id}\` to try once more`,
        };
        j.result = { resumable: j.checkpoint !== null };
        j.finishedAt = new Date().toISOString();
        failed.push(j.id);
      } else {
        j.status = 'queued';
        resumed.push(j.id);
      }
      j.updatedAt = new Date().toISOString();
    }
    return { resumed, failed };
  });
}

/**
 * For a coordinator starting with a shared queue: jobs that its workers still run (or finished while it was
 * away) stay `running` instead of being requeued as interrupted, so they are neither lost nor run twice.
 */
export async function adoptRunningJobs(engine: Engine, ids: readonly string[]): Promise<string[]> {
  const wanted = new Set(ids);
  return engine.store.update((data) => {
    const adopted: string[] = [];
    for (const j of data.jobs) {
      if (!wanted.has(j.id) || !['running', 'interrupted'].includes(j.status)) continue;
      if (j.status === 'interrupted') j.crashes = Math.max(0, (j.crashes ?? 1) - 1);
      j.status = 'running';
      j.error = null;
      j.updatedAt = new Date().toISOString();
      adopted.push(j.id);
    }
    return adopted;
  });
}
