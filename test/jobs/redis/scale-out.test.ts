/**
 * Training on many machines, all real: a redis-server on a loopback port, a coordinator (`smolmap serve --queue`)
 * and two `smolmap worker` processes train the seeded tiny Llama for three tenants. One worker is SIGKILLed
 * mid-job and started again: the job goes to a worker that resumes it from the last uploaded checkpoint, and
 * every adapter equals, byte for byte, the one a single-machine run (the embedded runner) writes.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  addSpec,
  startTraining,
  trainingSummary,
  type Engine,
  type JobRecord,
  type TrainJobOptions,
} from '../../../src/engine/index.js';
import { JobRunner } from '../../../src/jobs/runner.js';
import { tinyEngine } from '../fixtures.js';
import { freePort, redisServerBinary, smolmap, startRedis, stop, type Proc } from './services.js';

const hasRedis = redisServerBinary() !== null;
if (!hasRedis)
  console.warn(
    'redis queue tests skipped: no redis-server on this machine. Run them with Redis installed (`apt-get install redis-server`); the tests start their own on a free loopback port.',
  );

const TOKEN = 'test-worker-token-0123456789abcdef';
const TENANTS = ['acme', 'globex', 'initech'];
const TRAIN = { steps: 60, batchSize: 2, lr: 3e-3, maxLen: 512, evalEvery: 0, checkpointEvery: 5 };

let engine: Engine;
let root: string;
let redis: { url: string; proc: Proc };
let apiPort: number;
const procs: Proc[] = [];

const env = { SMOLMAP_WORKER_TOKEN: TOKEN };
const dirs = (): string[] => ['--data-dir', engine.dataDir, '--models-dir', engine.modelsDir];
const startWorker = (name: string): Proc => {
  const p = smolmap(
    [
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
      path.join(root, name),
    ],
    env,
  );
  procs.push(p);
  return p;
};

async function jobs(): Promise<JobRecord[]> {
  return (await engine.store.read()).jobs.filter((j) => j.kind === 'train');
}

/** What the processes said and where the jobs stand, for a failure message. */
async function state(): Promise<string> {
  const js = (await jobs()).map(
    (j) => `${j.id} ${j.status} step ${j.progress?.step} ck ${j.checkpointStep} ${j.error?.message ?? ''}`,
  );
  const outs = procs.map(
    (p, i) =>
      `--- process ${i}:\n${p
        .output()
        .replace(/.*renew lock.*\n/g, '')
        .slice(-3000)}`,
  );
  return [...js, ...outs].join('\n');
}

async function until<T>(probe: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${await state()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const finishedLines = (out: string, id: string): number => out.split(`worker: finished ${id} `).length - 1;

describe.skipIf(!hasRedis)('smolmap serve --queue redis:// with smolmap worker processes', () => {
  beforeAll(async () => {
    ({ engine, root } = await tinyEngine());
    redis = await startRedis(root);
    apiPort = await freePort();
  }, 60_000);
  afterAll(async () => {
    for (const p of procs) await stop(p, 'SIGKILL');
    if (redis) await stop(redis.proc);
    await rm(root, { recursive: true, force: true });
  });

  it(
    'trains 6 jobs of 3 tenants on two workers, one SIGKILLed mid-job, with single-machine adapters',
    { timeout: 2_400_000 },
    async () => {
      const queued: string[] = [];
      for (const [t, tenant] of TENANTS.entries()) {
        await addSpec(engine, 'examples/petstore.yaml', { name: 'petstore', tenant });
        for (const k of [0, 1]) {
          const train = { ...TRAIN, seed: 10 * t + k };
          const s = await startTraining(engine, {
            spec: 'petstore',
            tenant,
            base: 'tiny',
            count: 40,
            train,
            threads: 1,
          });
          queued.push(s.job);
        }
      }
      const progress = new Map<string, number>();
      const events = new QueueEvents('smolmap-train', {
        connection: { host: '127.0.0.1', port: Number(new URL(redis.url).port) },
      });
      events.on('progress', ({ jobId }) => progress.set(jobId, (progress.get(jobId) ?? 0) + 1));
      await events.waitUntilReady();

      const coordinator = smolmap(
        ['serve', '--queue', redis.url, '--worker-port', String(apiPort), ...dirs()],
        env,
      );
      procs.push(coordinator);
      await coordinator.waitFor(/serving; press Ctrl-C/, 300_000);

      // The worker API: the token is required, and only running jobs are served.
      const api = `http://127.0.0.1:${apiPort}/v1/worker/jobs/${queued[5]}`;
      expect((await fetch(api)).status).toBe(401);
      expect(
        (await fetch(api, { headers: { authorization: 'Bearer wrong-token-of-some-length' } })).status,
      ).toBe(401);
      const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
      expect((await fetch(`http://127.0.0.1:${apiPort}/v1/worker/jobs/..%2Fx`, auth)).status).toBe(400);
      expect((await fetch(`http://127.0.0.1:${apiPort}/v1/worker/jobs/train-nope`, auth)).status).toBe(409);

      const a = startWorker('worker-a');
      const b = startWorker('worker-b');
      await Promise.all([a, b].map((w) => w.waitFor(/worker: taking jobs/, 300_000)));

      // Kill the worker of the first job that has uploaded a checkpoint and still has steps to go.
      const victim = await until(
        async () =>
          (await jobs()).find(
            (j) => j.status === 'running' && (j.checkpointStep ?? 0) >= 5 && (j.progress?.step ?? 0) < 45,
          ),
        600_000,
        'a running job with an uploaded checkpoint',
      );
      const holder = [a, b].find(
        (w) => w.output().includes(`started ${victim.id} `) && finishedLines(w.output(), victim.id) === 0,
      );
      expect(holder).toBeDefined();
      await stop(holder!, 'SIGKILL');
      startWorker(holder === a ? 'worker-a' : 'worker-b');

      const done = await until(
        async () => {
          const all = await jobs();
          return all.every((j) => ['succeeded', 'failed', 'stopped'].includes(j.status)) ? all : undefined;
        },
        900_000,
        'all jobs to finish',
      );
      await events.close();
      await stop(coordinator);
      for (const p of procs) await stop(p);

      expect(done.map((j) => [j.id, j.status, j.error])).toEqual(queued.map((id) => [id, 'succeeded', null]));
      const outputs = procs
        .filter((p) => p !== coordinator)
        .map((p) => p.output())
        .join('\n');
      for (const id of queued) {
        expect(finishedLines(outputs, id), `${id} ran to completion once`).toBe(1);
        expect(progress.get(id) ?? 0, `progress of ${id}`).toBeGreaterThan(0);
      }
      expect(outputs).toContain(`started ${victim.id} true`); // another run resumed it from a checkpoint
      const models = (await engine.store.read()).models;
      expect(
        models
          .filter((m) => queued.includes(m.jobId ?? ''))
          .map((m) => m.tenant)
          .sort(),
      ).toEqual([...TENANTS, ...TENANTS].sort());

      // The same jobs on one machine (the embedded runner): the adapters are identical.
      const runner = new JobRunner(engine);
      await runner.start();
      try {
        for (const j of done) {
          const o = j.options as unknown as TrainJobOptions;
          const s = await startTraining(engine, {
            spec: 'petstore',
            tenant: j.tenant,
            base: 'tiny',
            dataset: o.datasetId,
            train: { ...TRAIN, seed: o.train.seed },
            threads: 1,
          });
          void runner.pump();
          const local = await runner.wait(s.job);
          expect(local.status).toBe('succeeded');
          const bytes = (r: JobRecord) =>
            readFile(path.join(trainingSummary(engine, r).adapterPath!, 'adapter_model.safetensors'));
          expect((await bytes(j)).equals(await bytes(local)), `${j.id} equals its single-machine run`).toBe(
            true,
          );
        }
      } finally {
        await runner.close();
      }
    },
  );
});
