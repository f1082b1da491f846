/**
 * The redis queue through faults, all real: a persistent redis-server on a loopback port, a coordinator
 * (`smolmap serve --queue`) and one `smolmap worker` process. A job handed to Redis shows `queued` until the
 * worker takes it; `smolmap jobs stop`, run as its own process, reaches the worker through the coordinator; Redis restarted mid-job loses nothing and completes the job once;
 * the coordinator killed mid-job leaves the worker training, and the result that arrives while it is away is
 * recorded when it is back.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTraining, type Engine, type JobRecord, type TrainProgress } from '../../../src/engine/index.js';
import { redisOptions } from '../../../src/jobs/redis/connection.js';
import { tinyEngine } from '../fixtures.js';
import { freePort, redisServerBinary, smolmap, startRedis, stop, type Proc } from './services.js';

const hasRedis = redisServerBinary() !== null;
if (!hasRedis)
  console.warn(
    'redis fault tests skipped: no redis-server on this machine. Run them with Redis installed (`apt-get install redis-server`); the tests start their own on a free loopback port.',
  );

const env = { SMOLMAP_WORKER_TOKEN: 'test-worker-token-0123456789abcdef' };
const TRAIN = { batchSize: 2, lr: 3e-3, maxLen: 512, evalEvery: 0, checkpointEvery: 5, seed: 5 };

let engine: Engine;
let root: string;
let redis: { url: string; proc: Proc };
let redisPort: number;
let apiPort: number;
let coordinator: Proc;
let worker: Proc;
let events: QueueEvents;
const procs: Proc[] = [];
/** The last step each job reported through BullMQ (seen whether or not a coordinator runs). */
const reported = new Map<string, number>();

const spawnTracked = (args: string[]): Proc => {
  const p = smolmap(args, env);
  procs.push(p);
  return p;
};
const dirs = (): string[] => ['--data-dir', engine.dataDir, '--models-dir', engine.modelsDir];

async function startCoordinator(): Promise<Proc> {
  const p = spawnTracked(['serve', '--queue', redis.url, '--worker-port', String(apiPort), ...dirs()]);
  await p.waitFor(/serving; press Ctrl-C/, 300_000);
  return p;
}

async function job(id: string): Promise<JobRecord> {
  return (await engine.store.read()).jobs.find((j) => j.id === id)!;
}

async function until(probe: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > end) {
      const js = (await engine.store.read()).jobs.map(
        (j) =>
          `${j.id} ${j.status} step ${j.progress?.step} ck ${j.checkpointStep} ${j.error?.message ?? ''}`,
      );
      const outs = procs.map((p, i) => `--- process ${i}:\n${p.output().slice(-2500)}`);
      throw new Error(`timed out waiting for ${what}:\n${[...js, ...outs].join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function queueJob(steps: number): Promise<string> {
  const s = await startTraining(engine, {
    spec: 'petstore',
    base: 'tiny',
    count: 40,
    train: { ...TRAIN, steps },
    threads: 1,
  });
  return s.job;
}

const lines = (p: Proc, text: string): number => p.output().split(text).length - 1;

describe.skipIf(!hasRedis)('the redis queue through faults', () => {
  beforeAll(async () => {
    ({ engine, root } = await tinyEngine());
    redisPort = await freePort();
    redis = await startRedis(path.join(root), { persist: true, port: redisPort });
    apiPort = await freePort();
    events = new QueueEvents('smolmap-train', { connection: redisOptions(redis.url) });
    events.on('progress', ({ jobId, data }) => {
      const step = (data as unknown as TrainProgress).step;
      if (typeof step === 'number') reported.set(jobId, Math.max(step, reported.get(jobId) ?? 0));
    });
    await events.waitUntilReady();
    coordinator = await startCoordinator();
  }, 600_000);
  afterAll(async () => {
    await events?.close();
    for (const p of procs) await stop(p, 'SIGKILL');
    if (redis) await stop(redis.proc);
    await rm(root, { recursive: true, force: true });
  });

  it('shows a job queued until a worker takes it, and stops it there with `smolmap jobs stop`', async () => {
    const id = await queueJob(400);
    await until(async () => Boolean((await job(id)).dispatchedAt), 60_000, 'the job handed to Redis');
    const shown = spawnTracked(['jobs', 'show', id, '--json', ...dirs()]);
    expect(await shown.exited).toBe(0);
    expect(JSON.parse(shown.stdout())).toMatchObject({ id, status: 'queued' });
    worker = spawnTracked([
      'worker',
      '--queue',
      redis.url,
      '--server',
      `http://127.0.0.1:${apiPort}`,
      '--threads',
      '1',
      '--stall-seconds',
      '10',
      '--data-dir',
      path.join(root, 'worker'),
    ]);
    await until(async () => (await job(id)).status === 'running', 300_000, 'a worker to take the job');
    expect((await job(id)).dispatchedAt).toBeNull();
    await until(async () => (reported.get(id) ?? 0) >= 2, 300_000, 'the job to train');
    const stopper = spawnTracked(['jobs', 'stop', id, '--json', ...dirs()]);
    expect(await stopper.exited).toBe(0);
    await until(async () => (await job(id)).status === 'stopped', 120_000, 'the job to stop');
    const stopped = await job(id);
    expect(stopped.checkpointStep).toBeGreaterThan(0);
    expect(stopped.progress?.step).toBeLessThan(400);
    expect(lines(worker, `worker: finished ${id} stopped`)).toBe(1);
  }, 600_000);

  it('loses nothing when Redis restarts mid-job, and completes the job once', async () => {
    const id = await queueJob(30);
    await until(async () => ((await job(id)).checkpointStep ?? 0) >= 5, 300_000, 'a checkpoint');
    await stop(redis.proc);
    redis = await startRedis(path.join(root), { persist: true, port: redisPort });
    const before = reported.get(id) ?? 0;
    await until(async () => (reported.get(id) ?? 0) > before, 120_000, 'progress after the restart');
    await until(async () => (await job(id)).status === 'succeeded', 300_000, 'the job to succeed');
    expect(lines(worker, `worker: finished ${id} `)).toBe(1);
    expect(lines(worker, `worker: started ${id} `)).toBe(1);
    const models = (await engine.store.read()).models.filter((m) => m.jobId === id);
    expect(models).toHaveLength(1);
  }, 600_000);

  it('keeps training while the coordinator is down and records the result when it is back', async () => {
    const id = await queueJob(30);
    await until(async () => ((await job(id)).checkpointStep ?? 0) >= 5, 300_000, 'a checkpoint');
    await stop(coordinator, 'SIGKILL');
    // The worker trains to the end with no coordinator and waits to upload the adapter.
    await until(() => (reported.get(id) ?? 0) >= 30, 300_000, 'the last step without a coordinator');
    expect((await job(id)).status).toBe('running');
    coordinator = await startCoordinator();
    await until(async () => (await job(id)).status === 'succeeded', 300_000, 'the result to be recorded');
    expect(lines(worker, `worker: finished ${id} `)).toBe(1);
    expect(lines(worker, `worker: started ${id} `)).toBe(1);
    expect((await engine.store.read()).models.filter((m) => m.jobId === id)).toHaveLength(1);
  }, 600_000);
});
