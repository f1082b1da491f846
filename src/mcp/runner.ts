/**
 * A job runner started on first use, for `smolmap mcp`: the stdio server runs the trainings its client
 * queues, unless another process (`smolmap serve`, a `train --wait`) already runs this data directory's jobs,
 * in which case that process picks them up from the store and this one follows them there.
 */
import { SmolmapError, type Engine } from '../engine/index.js';
import { JobRunner } from '../jobs/runner.js';
import type { JobControl } from './tool.js';

export interface LazyJobRunner extends JobControl {
  /** Stops this process's running jobs (each checkpoints, resumable) and releases the runner lock. */
  close(): Promise<void>;
}

/** The runner this process started (null when another process runs the jobs). */
interface Started {
  runner: JobRunner;
}

export function lazyJobRunner(engine: Engine): LazyJobRunner {
  let starting: Promise<Started | null> | null = null;
  const ensure = (): Promise<Started | null> =>
    (starting ??= (async () => {
      const runner = new JobRunner(engine);
      try {
        await runner.start();
        return { runner };
      } catch (e) {
        if (!(e instanceof SmolmapError && e.code === 'jobs_runner_busy')) throw e;
        engine.logger.info('mcp: another process runs the jobs; following them through the store');
        starting = null; // try again on the next job: that process may have ended
        return null;
      }
    })());
  return {
    pump() {
      ensure()
        .then((s) => s?.runner.pump())
        .catch((e: unknown) => engine.logger.error({ err: e }, 'mcp: job runner failed to start'));
    },
    stop(jobId) {
      void starting?.then((s) => s?.runner.stop(jobId));
    },
    async close() {
      const started = await starting?.catch(() => null);
      await started?.runner.close();
    },
  };
}
