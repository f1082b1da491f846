/**
 * The job runner: the parent process that owns the store runs queued training jobs in Bree worker threads,
 * one at a time by default. Workers report progress by message; the runner persists it on the JobRecord and
 * emits it as events for the CLI, MCP and bots. A worker that dies without reporting marks its job failed and
 * resumable; on start, jobs a dead runner left interrupted are queued again to resume from their checkpoints,
 * up to the crash limit (the runner lock keeps one runner per data directory).
 */
import { existsSync } from 'node:fs';
import { EventEmitter, on } from 'node:events';
import { fileURLToPath } from 'node:url';
import Bree from 'bree';

import {
  SmolmapError,
  acquireRunnerLock,
  claimNextJob,
  failJob,
  finishTrainingJob,
  getJob,
  recordJobCheckpoint,
  recordJobProgress,
  releaseRunnerLock,
  resumeInterruptedJobs,
  sweepSpecOrphans,
  type Engine,
  type JobRecord,
  type TrainProgress,
} from '../engine/index.js';
import { ABORT, CANCEL, isWorkerMessage, type TrainWorkerData, type WorkerMessage } from './protocol.js';

export type JobEvent =
  | { type: 'started'; job: string }
  | { type: 'progress'; job: string; progress: TrainProgress }
  | { type: 'checkpoint'; job: string; step: number }
  | { type: 'finished'; job: string; record: JobRecord };

export interface JobRunnerOptions {
  /** Trainings at once (default 1: a training uses every core). */
  concurrency?: number;
  /** The compiled worker; default `workers/train.js` beside this file, or under dist/ when run from src/. */
  workerPath?: string;
  /** How often to look for jobs queued by other processes (ms; default 2000, 0 = only on `pump`). */
  pollMs?: number;
}

/** Bree needs a .js file: the compiled worker next to the compiled runner, else the build output. */
export function defaultWorkerPath(): string {
  const here = fileURLToPath(new URL('./workers/train.js', import.meta.url));
  if (existsSync(here)) return here;
  const built = fileURLToPath(new URL('../../dist/jobs/workers/train.js', import.meta.url));
  if (existsSync(built)) return built;
  throw new SmolmapError(
    'jobs_worker_missing',
    `cannot find the training worker (${here}); run \`npm run build\``,
  );
}

interface Running {
  /** Store writes for this job, in message order. */
  chain: Promise<unknown>;
  reported: boolean;
  checkpointed: boolean;
}

export class JobRunner {
  private readonly emitter = new EventEmitter();
  private readonly bree: Bree;
  private readonly running = new Map<string, Running>();
  private lockNonce: string | null = null;
  private readonly concurrency: number;
  private readonly workerPath: string;
  private readonly pollMs: number;
  private poll: NodeJS.Timeout | null = null;
  private pumping: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly engine: Engine,
    options: JobRunnerOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 1;
    this.workerPath = options.workerPath ?? defaultWorkerPath();
    this.pollMs = options.pollMs ?? 2000;
    this.bree = new Bree({
      root: false,
      doRootCheck: false,
      logger: false,
      removeCompleted: true,
      workerMessageHandler: ({ name, message }) => this.onMessage(name, message),
      errorHandler: () => {}, // a crash is handled when the worker is deleted without a report
    });
    this.bree.on('worker deleted', (name: string) => this.onWorkerGone(name));
  }

  /**
   * Takes the data directory's runner lock, removes what interrupted spec writes left, queues the jobs a dead
   * runner left interrupted (failing those past the crash limit) and starts queued ones.
   */
  async start(): Promise<{ requeued: string[]; crashLooped: string[] }> {
    this.lockNonce = await acquireRunnerLock(this.engine);
    await sweepSpecOrphans(this.engine);
    const { resumed, failed } = await resumeInterruptedJobs(this.engine, this.engine.limits.maxCrashes);
    void this.pump();
    if (this.pollMs > 0) {
      this.poll = setInterval(() => {
        if (this.running.size < this.concurrency) void this.pump();
      }, this.pollMs);
      this.poll.unref();
    }
    return { requeued: resumed, crashLooped: failed };
  }

  /** Looks for queued jobs now (call after queueing one). */
  pump(): Promise<void> {
    this.pumping = this.pumping.then(() => this.fill()).catch((e: unknown) => this.engine.logger.error(e));
    return this.pumping;
  }

  on(listener: (e: JobEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  /** Events as an async iterator (optionally for one job); ends when that job finishes. */
  async *events(jobId?: string, signal?: AbortSignal): AsyncGenerator<JobEvent> {
    for await (const [e] of on(this.emitter, 'event', { signal }) as AsyncIterable<[JobEvent]>) {
      if (jobId !== undefined && e.job !== jobId) continue;
      yield e;
      if (jobId !== undefined && e.type === 'finished') return;
    }
  }

  /** Resolves with the job's final record once it has finished. */
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
    if (!this.running.has(jobId) && ['succeeded', 'failed', 'stopped'].includes(now.status)) return now;
    return done;
  }

  /** Asks a running job to stop at its next step (it checkpoints first). */
  stop(jobId: string): boolean {
    const w = this.bree.workers.get(jobId);
    w?.postMessage(CANCEL);
    return w !== undefined;
  }

  /**
   * Ends a worker at its next step without a checkpoint or a result, as a crash would; the job is marked
   * failed (resumable from its last checkpoint). Not `terminate()`: ending a thread inside an ORT run aborts
   * the whole process in onnxruntime-node's native teardown.
   */
  abort(jobId: string): boolean {
    const w = this.bree.workers.get(jobId);
    w?.postMessage(ABORT);
    return w !== undefined;
  }

  /** Stops running jobs (each checkpoints), waits for them, and releases the lock. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.poll) clearInterval(this.poll);
    await this.pumping;
    const ids = [...this.running.keys()];
    ids.forEach((id) => this.stop(id));
    await Promise.all(ids.map((id) => this.wait(id)));
    if (this.lockNonce !== null) await releaseRunnerLock(this.engine, this.lockNonce);
    this.lockNonce = null;
  }

  private emit(e: JobEvent): void {
    this.emitter.emit('event', e);
  }

  private async fill(): Promise<void> {
    while (!this.closed && this.running.size < this.concurrency) {
      const next = await claimNextJob(this.engine);
      if (!next) return;
      const id = next.job.id;
      this.running.set(id, {
        chain: Promise.resolve(),
        reported: false,
        checkpointed: next.job.checkpoint !== null,
      });
      const workerData: TrainWorkerData = { input: next.input };
      await this.bree.add({ name: id, path: this.workerPath, timeout: false, worker: { workerData } });
      await this.bree.run(id);
      this.emit({ type: 'started', job: id });
    }
  }

  /** Runs `work` after every earlier piece of work for the same job, so store writes keep message order. */
  private serially(id: string, work: (r: Running) => Promise<unknown>): void {
    const r = this.running.get(id);
    if (!r) return;
    r.chain = r.chain.then(() => work(r)).catch((e: unknown) => this.engine.logger.error(e));
  }

  private onMessage(id: string, message: unknown): void {
    if (!isWorkerMessage(message)) return;
    const m: WorkerMessage = message;
    this.serially(id, async (r) => {
      if (m.type === 'progress') {
        this.emit({ type: 'progress', job: id, progress: m.progress });
        await recordJobProgress(this.engine, id, m.progress);
      } else if (m.type === 'checkpoint') {
        r.checkpointed = true;
        await recordJobCheckpoint(this.engine, id, m.step);
        this.emit({ type: 'checkpoint', job: id, step: m.step });
      } else if (m.type === 'result') {
        r.reported = true;
        await finishTrainingJob(this.engine, id, m.result);
      } else {
        r.reported = true;
        await failJob(this.engine, id, { code: m.code, message: m.message }, r.checkpointed);
      }
    });
  }

  private onWorkerGone(id: string): void {
    this.serially(id, async (r) => {
      if (!r.reported)
        await failJob(
          this.engine,
          id,
          {
            code: 'job_worker_crashed',
            message: 'the training worker exited without a result; `smolmap jobs resume` continues it',
          },
          r.checkpointed,
          true,
        );
      const record = await getJob(this.engine, id, { anyTenant: true });
      this.running.delete(id);
      this.emit({ type: 'finished', job: id, record });
      void this.pump();
    });
  }
}
