/**
 * One interface over the two queue backends: `embedded` (Bree worker threads in this process, the default) and
 * `redis` (BullMQ on Redis; `smolmap worker` processes on any machine run the jobs). Either way this process
 * owns the store and is its only writer: it claims queued jobs fairly across tenants, records progress,
 * checkpoints and results, and emits the same events.
 */
import { SmolmapError, type Engine, type JobRecord } from '../engine/index.js';
import { JobRunner, type JobEvent } from './runner.js';

export interface JobQueue {
  /** Takes the runner lock, requeues what a dead runner left, and starts queued jobs. */
  start(): Promise<{ requeued: string[]; crashLooped: string[] }>;
  /** Looks for queued jobs now (call after queueing one). */
  pump(): Promise<void>;
  on(listener: (e: JobEvent) => void): () => void;
  /** Resolves with the job's final record once it has finished. */
  wait(jobId: string): Promise<JobRecord>;
  /** Asks a running job to stop at its next step (it checkpoints first). */
  stop(jobId: string): boolean;
  /** Stops what this process runs (embedded) or stops taking part (redis), and releases the lock. */
  close(): Promise<void>;
}

export interface WorkerApiOptions {
  /** Address the worker API binds (default 127.0.0.1: reachable from this machine only). */
  host?: string;
  /** Port of the worker API (0 picks a free one). */
  port: number;
  /** The secret workers send as `Authorization: Bearer <token>`. */
  token: string;
}

export interface QueueChoice {
  /** `embedded`, or a `redis://host:port` URL; default `$SMOLMAP_QUEUE`, else `embedded`. */
  queue?: string;
  /** The HTTP API workers fetch inputs from and upload to (required with `redis`). */
  workerApi?: WorkerApiOptions;
}

/** `embedded` or the Redis URL, from the option, else `$SMOLMAP_QUEUE`. */
export function queueSetting(given?: string, env: NodeJS.ProcessEnv = process.env): string {
  const q = (given ?? env['SMOLMAP_QUEUE'] ?? '').trim();
  return q === '' ? 'embedded' : q;
}

export async function openJobQueue(engine: Engine, choice: QueueChoice = {}): Promise<JobQueue> {
  const setting = queueSetting(choice.queue);
  if (setting === 'embedded') return new JobRunner(engine);
  if (!/^rediss?:\/\//.test(setting))
    throw new SmolmapError(
      'queue_bad_setting',
      `queue "${setting}" is neither "embedded" nor a redis:// URL; use --queue redis://host:6379 or leave it out`,
    );
  if (!choice.workerApi)
    throw new SmolmapError(
      'queue_worker_api_missing',
      'the redis queue needs the worker API: pass --worker-port P and set $SMOLMAP_WORKER_TOKEN',
    );
  const { RedisJobQueue } = await import('./redis/coordinator.js'); // BullMQ loads only when asked for
  return new RedisJobQueue(engine, { url: setting, api: choice.workerApi });
}
