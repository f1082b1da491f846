/**
 * A finished BullMQ job is read with the outcome of that finish, even when it finishes while being looked at:
 * the queue handed to `finishedJob` lets its worker finish the job right after the first read from Redis, the
 * moment where a Job snapshot read before its state would still be the active job, with no return value.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { redisOptions } from '../../../src/jobs/redis/connection.js';
import { finishedJob, type Finished } from '../../../src/jobs/redis/finished.js';
import { redisServerBinary, startRedis, stop, type Proc } from './services.js';

const hasRedis = redisServerBinary() !== null;
if (!hasRedis)
  console.warn(
    'redis finished-job test skipped: no redis-server on this machine. Run it with Redis installed (`apt-get install redis-server`).',
  );

let root: string;
let redis: { url: string; proc: Proc };

/** `queue`, except that its first read of a job waits, once it has its answer, for `finish()`. */
function finishingOnFirstLook(queue: Queue, finish: () => Promise<void>): Queue {
  let first = true;
  return new Proxy(queue, {
    get(target, prop) {
      const v: unknown = Reflect.get(target, prop, target);
      if (typeof v !== 'function') return v;
      const f = v as (...a: unknown[]) => Promise<unknown>;
      if (prop !== 'getJob' && prop !== 'getJobState') return f.bind(target);
      return async (...args: unknown[]) => {
        const answer = await f.apply(target, args);
        if (first) {
          first = false;
          await finish();
        }
        return answer;
      };
    },
  });
}

/** Looks at one active job, which finishes (as `outcome` says) during the first look, until it is final. */
async function lookWhileFinishing(
  connection: ReturnType<typeof redisOptions>,
  outcome: 'complete' | 'fail',
): Promise<Finished<{ answer: number }>[]> {
  const name = `finished-${outcome}`;
  const queue = new Queue(name, { connection });
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const worker = new Worker(
    name,
    async () => {
      await released;
      if (outcome === 'fail') throw new Error('job_broken: it broke');
      return { answer: 42 };
    },
    { connection },
  );
  const finished = new Promise<void>((r) => {
    worker.once('completed', () => r());
    worker.once('failed', () => r());
  });
  const active = new Promise<void>((r) => worker.once('active', () => r()));
  try {
    await queue.add('t', {}, { jobId: 'j1' });
    await active;
    const looked = finishingOnFirstLook(queue, async () => {
      release();
      await finished;
    });
    const seen: Finished<{ answer: number }>[] = [];
    for (let i = 0; i < 3 && seen.at(-1)?.state !== outcome.replace(/e?$/, 'ed'); i++)
      seen.push(await finishedJob<{ answer: number }>(looked, 'j1'));
    return seen;
  } finally {
    await worker.close();
    await queue.close();
  }
}

const strip = (f: Finished<unknown>): unknown =>
  f.state === 'completed'
    ? { state: f.state, value: f.value }
    : f.state === 'failed'
      ? { state: f.state, reason: f.reason }
      : f;

describe.skipIf(!hasRedis)('finishedJob', () => {
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'smolmap-finished-'));
    redis = await startRedis(root);
  }, 30_000);
  afterAll(async () => {
    if (redis) await stop(redis.proc);
    await rm(root, { recursive: true, force: true });
  });

  it('reports a job BullMQ does not hold as missing', async () => {
    const queue = new Queue('finished-none', { connection: redisOptions(redis.url) });
    try {
      expect(await finishedJob(queue, 'never-added')).toEqual({ state: 'missing' });
    } finally {
      await queue.close();
    }
  });

  it('reads the return value of a job that completes between two reads', async () => {
    const seen = await lookWhileFinishing(redisOptions(redis.url), 'complete');
    expect(seen.map(strip)).toEqual([{ state: 'pending' }, { state: 'completed', value: { answer: 42 } }]);
  });

  it('reads the failure reason of a job that fails between two reads', async () => {
    const seen = await lookWhileFinishing(redisOptions(redis.url), 'fail');
    expect(seen.map(strip)).toEqual([
      { state: 'pending' },
      { state: 'failed', reason: 'job_broken: it broke' },
    ]);
  });
});
