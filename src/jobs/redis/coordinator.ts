/**
 * The `redis` queue backend on the coordinator (`smolmap serve --queue redis://…`). The store stays here, and
 * this process stays its only writer: it claims queued jobs fairly across tenants and hands them to BullMQ one
 * at a time (so fairness is decided here, when a worker is free, not by BullMQ's FIFO), serves workers their
 * inputs and takes their uploads over the worker API, and records what BullMQ reports: progress live from its
 * event stream, results by looking the job up (so results that arrive while it is down are recorded when it is
 * back). Workers that die mid-job are BullMQ's stalled jobs: another worker takes them over and resumes from
 * the last uploaded checkpoint; a job that stalls `maxCrashes` times fails.
 */
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { Queue, QueueEvents } from 'bullmq';

import {
  acquireRunnerLock,
  adoptRunningJobs,
  claimNextJob,
  failJob,
  finishTrainingJob,
  getJob,
  recordJobCheckpoint,
  recordJobProgress,
  releaseRunnerLock,
  resumeInterruptedJobs,
  startDispatchedJob,
  sweepSpecOrphans,
  trainJobWorkerInput,
  type Engine,
  type JobRecord,
  type TrainJobInput,
  type TrainJobResult,
  type TrainProgress,
} from '../../engine/index.js';
import type { JobQueue, WorkerApiOptions } from '../queue.js';
import type { JobEvent } from '../runner.js';
import { startWorkerApi, type WorkerApi } from './api.js';
import {
  TRAIN_QUEUE,
  checkTokenStrength,
  reachRedis,
  redisOptions,
  type QueuedTrainJob,
} from './connection.js';
import { parseFailure } from './failure.js';
import { finishedJob } from './finished.js';

export interface RedisQueueOptions {
  url: string;
  api: WorkerApiOptions;
  /** How often to look for queued jobs and settle finished ones (ms; default 2000). */
  pollMs?: number;
}

const BAD_RESULT = {
  code: 'job_bad_result',
  message:
    'a worker reported a result that is not a training result; `smolmap jobs resume` runs the job again',
};

function isTrainResult(r: unknown): r is TrainJobResult {
  const x = r as Partial<TrainJobResult> | null;
  return typeof x === 'object' && x !== null && typeof x.status === 'string' && Array.isArray(x.lossHistory);
}

/** A queued job handed to BullMQ and not yet taken by a worker. */
const dispatched = (j: JobRecord): boolean => j.status === 'queued' && Boolean(j.dispatchedAt);

/** Jobs handed to BullMQ but not yet taken by a worker: 1 keeps the fair choice until a worker is free. */
const PREFETCH = 1;

export class RedisJobQueue implements JobQueue {
  private readonly emitter = new EventEmitter();
  private readonly queue: Queue<QueuedTrainJob, TrainJobResult>;
  private readonly events: QueueEvents;
  private readonly inputs = new Map<string, TrainJobInput>();
  private readonly stops = new Set<string>();
  private api: WorkerApi | null = null;
  private lockNonce: string | null = null;
  private poll: NodeJS.Timeout | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly engine: Engine,
    private readonly options: RedisQueueOptions,
  ) {
    checkTokenStrength(options.api.token, 'the redis queue');
    const connection = redisOptions(options.url);
    this.queue = new Queue<QueuedTrainJob, TrainJobResult>(TRAIN_QUEUE, { connection });
    this.events = new QueueEvents(TRAIN_QUEUE, { connection, autorun: false });
    const log = (e: Error): void => this.engine.logger.warn({ err: e.message }, 'queue: redis connection');
    this.queue.on('error', log);
    this.events.on('error', log);
  }

  /** Where workers reach the coordinator (known once started). */
  get workerApiUrl(): string | null {
    return this.api?.url ?? null;
  }

  async start(): Promise<{ requeued: string[]; crashLooped: string[] }> {
    await reachRedis(this.queue.waitUntilReady(), this.options.url);
    this.lockNonce = await acquireRunnerLock(this.engine);
    await sweepSpecOrphans(this.engine);
    // Jobs BullMQ still holds stay running (or dispatched); the rest of what a dead coordinator left is requeued.
    const left = (await this.engine.store.read()).jobs.filter(
      (j) => ['running', 'interrupted'].includes(j.status) || dispatched(j),
    );
    const held: string[] = [];
    for (const j of left) if ((await this.queue.getJobState(j.id)) !== 'unknown') held.push(j.id);
    await adoptRunningJobs(this.engine, held);
    const { resumed, failed } = await resumeInterruptedJobs(this.engine, this.engine.limits.maxCrashes, held);
    this.listen();
    void this.events.run().catch((e: unknown) => this.engine.logger.error(e));
    this.api = await startWorkerApi(
      {
        running: (id) => this.running(id),
        stopRequested: (id, input) => this.stops.has(id) || existsSync(input.stopFile),
        checkpointed: async (id, step) => {
          await recordJobCheckpoint(this.engine, id, step);
          this.emit({ type: 'checkpoint', job: id, step });
        },
      },
      {
        host: this.options.api.host ?? '127.0.0.1',
        port: this.options.api.port,
        token: this.options.api.token,
        log: (e) => this.engine.logger.error(e),
      },
    );
    void this.pump();
    this.poll = setInterval(() => void this.pump(), this.options.pollMs ?? 2000);
    this.poll.unref();
    return { requeued: resumed, crashLooped: failed };
  }

  /** Settles finished jobs, then hands queued ones to BullMQ while fewer than PREFETCH wait there. */
  pump(): Promise<void> {
    const work = async (): Promise<void> => {
      if (this.closed) return;
      for (const j of await this.handedOut()) await this.settle(j.id);
      while (!this.closed && (await this.queue.getWaitingCount()) < PREFETCH) {
        const next = await claimNextJob(this.engine, { dispatch: true });
        if (!next) return;
        this.inputs.set(next.job.id, next.input);
        await this.enqueue(next.job.id);
      }
    };
    const run = this.chain.then(work).catch((e: unknown) => this.engine.logger.error(e));
    this.chain = run;
    return run;
  }

  on(listener: (e: JobEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  async wait(jobId: string): Promise<JobRecord> {
    const done = new Promise<JobRecord>((resolve) => {
      const off = this.on((e) => {
        if (e.type === 'finished' && e.job === jobId) {
          off();
          resolve(e.record);
        }
      });
    });
    const now = await getJob(this.engine, jobId, { anyTenant: true });
    if (['succeeded', 'failed', 'stopped'].includes(now.status)) return now;
    return done;
  }

  stop(jobId: string): boolean {
    const held = this.inputs.has(jobId);
    this.stops.add(jobId);
    return held;
  }

  /** Stops taking part: running jobs go on on their workers and are recorded when a coordinator is back. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.poll) clearInterval(this.poll);
    await this.chain;
    await this.api?.close();
    await this.events.close();
    await this.queue.close();
    if (this.lockNonce !== null) await releaseRunnerLock(this.engine, this.lockNonce);
    this.lockNonce = null;
  }

  private emit(e: JobEvent): void {
    this.emitter.emit('event', e);
  }

  /** Training jobs BullMQ has: running on a worker, or dispatched and waiting for one. */
  private async handedOut(): Promise<JobRecord[]> {
    return (await this.engine.store.read()).jobs.filter(
      (j) => j.kind === 'train' && (j.status === 'running' || dispatched(j)),
    );
  }

  /** A job id is BullMQ's id too; a finished BullMQ job of an earlier run of the same job is removed first. */
  private async enqueue(id: string): Promise<void> {
    const old = await this.queue.getJob(id);
    if (old) {
      const state = await old.getState();
      if (state === 'completed' || state === 'failed') await old.remove();
      else return;
    }
    await this.queue.add('train', { job: id }, { jobId: id, attempts: 1 });
  }

  /**
   * The input of a job the store has running. A worker asks as soon as it takes a job, possibly before BullMQ's
   * `active` event arrives here: a dispatched job that BullMQ has active is marked running first.
   */
  private async running(id: string): Promise<TrainJobInput | null> {
    let job = (await this.engine.store.read()).jobs.find((j) => j.id === id);
    if (job && dispatched(job) && (await this.queue.getJobState(id)) === 'active') {
      await this.started(id);
      job = (await this.engine.store.read()).jobs.find((j) => j.id === id);
    }
    if (!job || job.status !== 'running') return null;
    let input = this.inputs.get(id);
    if (!input) {
      input = await trainJobWorkerInput(this.engine, job);
      this.inputs.set(id, input);
    }
    return input;
  }

  /** A worker has taken a dispatched job: it is running from now on (said once, whoever notices first). */
  private async started(id: string): Promise<void> {
    if (await startDispatchedJob(this.engine, id)) this.emit({ type: 'started', job: id });
  }

  private listen(): void {
    this.events.on('active', ({ jobId }) => {
      this.chain = this.chain
        .then(() => this.started(jobId))
        .catch((e: unknown) => this.engine.logger.error(e));
      void this.pump();
    });
    this.events.on('progress', ({ jobId, data }) => {
      const p = data as unknown as TrainProgress;
      if (typeof p !== 'object' || p === null || typeof p.step !== 'number') return;
      this.emit({ type: 'progress', job: jobId, progress: p });
      this.chain = this.chain
        .then(() => recordJobProgress(this.engine, jobId, p))
        .catch((e: unknown) => this.engine.logger.error(e));
    });
    const settleSoon = ({ jobId }: { jobId: string }): void => {
      this.chain = this.chain
        .then(() => this.settle(jobId))
        .catch((e: unknown) => this.engine.logger.error(e));
      void this.pump();
    };
    this.events.on('completed', settleSoon);
    this.events.on('failed', settleSoon);
    this.events.on('stalled', ({ jobId }) =>
      this.engine.logger.warn({ job: jobId }, 'queue: a worker died; the job is handed to another'),
    );
  }

  /**
   * Records a job BullMQ has finished (once: only a running or dispatched store job is settled), then forgets it
   * there.
   */
  private async settle(id: string): Promise<void> {
    const record = (await this.engine.store.read()).jobs.find((j) => j.id === id);
    if (!record || !(record.status === 'running' || dispatched(record))) return;
    const done = await finishedJob<TrainJobResult>(this.queue, id);
    if (done.state === 'missing') {
      // Lost with a Redis that kept no data: hand it out again; it resumes from its last checkpoint.
      await this.queue.add('train', { job: id }, { jobId: id, attempts: 1 });
      return;
    }
    if (done.state === 'pending') return;
    // Taken and finished while this process was not looking.
    await this.started(id);
    let final: JobRecord;
    if (done.state === 'completed' && isTrainResult(done.value))
      final = await finishTrainingJob(this.engine, id, done.value);
    else if (done.state === 'completed')
      final = await failJob(this.engine, id, BAD_RESULT, record.checkpoint !== null);
    else {
      const error = parseFailure(done.reason, this.engine.limits.maxCrashes);
      final = await failJob(
        this.engine,
        id,
        error,
        record.checkpoint !== null,
        error.code === 'job_crash_loop',
      );
    }
    await done.job.remove();
    this.inputs.delete(id);
    this.stops.delete(id);
    this.emit({ type: 'finished', job: id, record: final });
  }
}
