/**
 * A job queue started on first use, for `smolmap mcp` and `smolmap serve`: the process runs the trainings its
 * clients queue (embedded) or coordinates the workers that do (redis), unless another process already runs this
 * data directory's jobs, in which case that process picks them up from the store and this one follows them there.
 */
import { SmolmapError, type Engine } from '../engine/index.js';
import { openJobQueue, queueSetting, type JobQueue, type QueueChoice } from '../jobs/queue.js';
import type { JobControl } from './tool.js';

export interface LazyJobRunner extends JobControl {
  /** Starts the queue now; resolves false when another process runs the jobs. Start failures are thrown. */
  ready(): Promise<boolean>;
  /** Stops this process's running jobs (each checkpoints, resumable) and releases the runner lock. */
  close(): Promise<void>;
}

/** The queue this process started (null when another process runs the jobs). */
interface Started {
  runner: JobQueue;
}

export function lazyJobRunner(engine: Engine, choice: QueueChoice = {}): LazyJobRunner {
  let starting: Promise<Started | null> | null = null;
  const ensure = (): Promise<Started | null> =>
    (starting ??= (async () => {
      if (queueSetting(choice.queue) !== 'embedded' && !choice.workerApi) {
        // A redis queue's jobs are handed out by its coordinator (`serve --queue`), never by this process.
        engine.logger.info(
          'jobs: the coordinator of the redis queue runs the jobs; following them through the store',
        );
        return null;
      }
      const runner = await openJobQueue(engine, choice);
      try {
        await runner.start();
        return { runner };
      } catch (e) {
        await runner.close().catch(() => undefined);
        if (!(e instanceof SmolmapError && e.code === 'jobs_runner_busy')) throw e;
        engine.logger.info('jobs: another process runs the jobs; following them through the store');
        starting = null; // try again on the next job: that process may have ended
        return null;
      }
    })());
  return {
    pump() {
      ensure()
        .then((s) => s?.runner.pump())
        .catch((e: unknown) => engine.logger.error({ err: e }, 'jobs: the job runner failed to start'));
    },
    stop(jobId) {
      void starting?.then((s) => s?.runner.stop(jobId));
    },
    async ready() {
      return (await ensure()) !== null;
    },
    async close() {
      const started = await starting?.catch(() => null);
      await started?.runner.close();
    },
  };
}
