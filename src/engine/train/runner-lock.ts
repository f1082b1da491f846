/**
 * The job runner's lock: one process per data directory runs its training jobs. The lock file is created
 * atomically (link(2), as the store lock) and holds who runs the jobs: pid, the process's start time and host,
 * so a pid reused by an unrelated process does not pass for the runner. A lock whose holder is dead is taken
 * over through the store lock's guarded takeover, so two starting runners cannot both win.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

import type { Engine } from '../engine.js';
import { SmolmapError } from '../errors.js';
import {
  createExclusive,
  holderState,
  inspect,
  newHolder,
  release,
  takeOver,
  type LockHolder,
} from '../store/lock.js';

export const runnerLockFile = (engine: Engine): string => path.join(engine.dataDir, 'jobs', 'runner.lock');

/** Who runs this data directory's jobs now, or null when nobody does (no lock, or its holder died). */
export async function liveRunner(engine: Engine): Promise<LockHolder | null> {
  const seen = await inspect(runnerLockFile(engine));
  if (!seen) return null;
  if (!seen.holder) return null; // not a record a runner writes: nobody runs the jobs through it
  return holderState(seen.holder) === 'dead' ? null : seen.holder;
}

/** Takes the runner lock for this process; returns the nonce that releases it. */
export async function acquireRunnerLock(engine: Engine): Promise<string> {
  const file = runnerLockFile(engine);
  await mkdir(path.dirname(file), { recursive: true });
  const me = newHolder();
  for (let attempt = 0; attempt < 20; attempt++) {
    if (await createExclusive(file, JSON.stringify(me))) return me.nonce;
    const seen = await inspect(file);
    if (!seen) continue;
    const h = seen.holder;
    if (h && h.pid === me.pid && h.host === me.host && h.start === me.start)
      throw new SmolmapError('jobs_runner_busy', `this process already runs the jobs of ${engine.dataDir}`);
    if (h && holderState(h) !== 'dead')
      throw new SmolmapError(
        'jobs_runner_busy',
        `another smolmap process (pid ${h.pid} on ${h.host}, since ${h.acquiredAt}) runs the jobs of ${engine.dataDir}; use it, or stop it first`,
        { details: { holder: h } },
      );
    await takeOver(file, h);
    await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
  }
  throw new SmolmapError('jobs_runner_busy', `could not take the runner lock ${file}; try again`);
}

export async function releaseRunnerLock(engine: Engine, nonce: string): Promise<void> {
  await release(runnerLockFile(engine), nonce);
}
