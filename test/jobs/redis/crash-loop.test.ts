/**
 * A job that keeps killing its workers fails with the reason instead of being handed out forever: with
 * maxCrashes 1 on the coordinator and the workers, one SIGKILLed worker is enough, and the job fails with
 * `job_crash_loop` once another worker's stalled-job check finds it.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTraining, type Engine, type JobRecord } from '../../../src/engine/index.js';
import { tinyEngine } from '../fixtures.js';
import { freePort, redisServerBinary, smolmap, startRedis, stop, type Proc } from './services.js';

const hasRedis = redisServerBinary() !== null;
if (!hasRedis)
  console.warn(
    'redis crash-loop test skipped: no redis-server on this machine. Run it with Redis installed (`apt-get install redis-server`).',
  );

const env = { SMOLMAP_WORKER_TOKEN: 'test-worker-token-0123456789abcdef', SMOLMAP_MAX_CRASHES: '1' };
let engine: Engine;
let root: string;
let redis: { url: string; proc: Proc };
const procs: Proc[] = [];

async function job(id: string): Promise<JobRecord> {
  return (await engine.store.read()).jobs.find((j) => j.id === id)!;
}

async function until(probe: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > end)
      throw new Error(
        `timed out waiting for ${what}:\n${procs.map((p) => p.output().slice(-2000)).join('\n---\n')}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!hasRedis)('a job that crashes its workers', () => {
  beforeAll(async () => {
    ({ engine, root } = await tinyEngine());
    redis = await startRedis(root);
  }, 60_000);
  afterAll(async () => {
    for (const p of procs) await stop(p, 'SIGKILL');
    if (redis) await stop(redis.proc);
    await rm(root, { recursive: true, force: true });
  });

  it('fails with job_crash_loop after maxCrashes worker deaths', async () => {
    const train = {
      steps: 400,
      batchSize: 2,
      lr: 3e-3,
      maxLen: 512,
      evalEvery: 0,
      checkpointEvery: 5,
      seed: 3,
    };
    const { job: id } = await startTraining(engine, {
      spec: 'petstore',
      base: 'tiny',
      count: 40,
      train,
      threads: 1,
    });
    const port = await freePort();
    const dirs = ['--data-dir', engine.dataDir, '--models-dir', engine.modelsDir];
    const worker = (name: string): Proc => {
      const p = smolmap(
        [
          'worker',
          '--queue',
          redis.url,
          '--server',
          `http://127.0.0.1:${port}`,
          '--threads',
          '1',
          '--stall-seconds',
          '10',
          '--data-dir',
          path.join(root, name),
        ],
        env,
      );
      procs.push(p);
      return p;
    };
    const coordinator = smolmap(['serve', '--queue', redis.url, '--worker-port', String(port), ...dirs], env);
    procs.push(coordinator);
    await coordinator.waitFor(/serving; press Ctrl-C/, 300_000);
    const first = worker('worker-a');
    await until(async () => ((await job(id)).checkpointStep ?? 0) >= 5, 600_000, 'a checkpoint');
    await stop(first, 'SIGKILL');
    worker('worker-b');
    await until(async () => (await job(id)).status === 'failed', 600_000, 'the job to fail');
    const failed = await job(id);
    expect(failed.error?.code).toBe('job_crash_loop');
    expect(failed.error?.message).toMatch(/1 times \(limit maxCrashes\)/);
    expect(failed.result).toEqual({ resumable: true });
  }, 1_500_000);
});
