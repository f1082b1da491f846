/**
 * Jobs through the facade when runners die, crash or compete, and across tenants: interrupted jobs, the crash
 * limit, the runner lock's holder, limits and quotas, fair order, and the orphans a killed `spec add` leaves.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  acquireRunnerLock,
  addSpec,
  getJob,
  listJobs,
  openEngine,
  releaseRunnerLock,
  resumeInterruptedJobs,
  resumeJob,
  startDispatchedJob,
  startTraining,
  stopJob,
  sweepSpecOrphans,
  type Engine,
  type JobRecord,
} from '../../../src/engine/index.js';
import { nextQueuedJob } from '../../../src/engine/train/job-records.js';
import { processStart } from '../../../src/engine/store/lock.js';

let root: string;
let engine: Engine;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'smolmap-jobs-'));
  engine = await openEngine({ dataDir: path.join(root, 'data'), modelsDir: path.join(root, 'models') });
});
afterEach(async () => rm(root, { recursive: true, force: true }));

function job(id: string, patch: Partial<JobRecord> = {}): JobRecord {
  const at = '2026-01-01T00:00:00.000Z';
  return {
    id,
    kind: 'train',
    status: 'queued',
    options: {},
    progress: null,
    error: null,
    checkpoint: null,
    result: null,
    createdAt: new Date().toISOString(),
    startedAt: null,
    finishedAt: null,
    updatedAt: at,
    ...patch,
  };
}
const put = (...jobs: JobRecord[]) => engine.store.update((d) => void d.jobs.push(...jobs));
const progress = (step: number) => ({
  step,
  totalSteps: 20,
  epoch: 0,
  loss: 1,
  valLoss: null,
  lr: 1e-3,
  tokensPerSecond: 10,
  etaSeconds: 5,
});

function deadPid(): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', '']);
    child.on('exit', () => resolve(child.pid!));
  });
}
async function runnerLock(holder: Record<string, unknown>): Promise<void> {
  await mkdir(path.join(engine.dataDir, 'jobs'), { recursive: true });
  const h = { host: os.hostname(), nonce: 'n', acquiredAt: 'then', ...holder };
  await writeFile(path.join(engine.dataDir, 'jobs', 'runner.lock'), JSON.stringify(h));
}

describe('a job whose runner died', () => {
  it('is reported interrupted at its checkpoint step; resume and stop act on it', async () => {
    await runnerLock({ pid: await deadPid() });
    const running = { status: 'running' as const, checkpoint: 'checkpoints/a', checkpointStep: 8 };
    await put(
      job('a', { ...running, progress: progress(11) }),
      job('b', { ...running, progress: progress(3) }),
    );
    const [a, b] = await listJobs(engine);
    expect(a).toMatchObject({ status: 'interrupted', crashes: 1, progress: { step: 8 } });
    expect(a!.error?.message).toMatch(/resumes from step 8/);
    expect(b!.status).toBe('interrupted');
    expect((await resumeJob(engine, 'a')).status).toBe('queued');
    expect((await stopJob(engine, 'b')).status).toBe('stopped');
  });

  it('stays running while its runner lives', async () => {
    await runnerLock({ pid: process.pid, start: processStart(process.pid) });
    await put(job('a', { status: 'running' }));
    expect((await getJob(engine, 'a', {})).status).toBe('running');
  });

  it('is resumed by the next runner until it has crashed maxCrashes times, then failed', async () => {
    await put(
      job('again', { status: 'running', crashes: 1 }),
      job('loop', { status: 'running', crashes: 2 }),
    );
    const { resumed, failed } = await resumeInterruptedJobs(engine, 3);
    expect(resumed).toEqual(['again']);
    expect(failed).toEqual(['loop']);
    expect((await getJob(engine, 'loop', {})).error?.code).toBe('job_crash_loop');
  });
});

describe('the runner lock', () => {
  it('refuses a second runner while the holder lives, and takes over a pid reused by another process', async () => {
    const nonce = await acquireRunnerLock(engine);
    await expect(acquireRunnerLock(engine)).rejects.toMatchObject({ code: 'jobs_runner_busy' });
    await releaseRunnerLock(engine, nonce);
    await runnerLock({ pid: process.pid, start: '1' }); // our pid, another start time: a reused pid
    const again = await acquireRunnerLock(engine);
    await releaseRunnerLock(engine, again);
    expect(await readdir(path.join(engine.dataDir, 'jobs'))).toEqual([]);
  });
});

describe('tenancy, limits and order', () => {
  it("refuses another tenant's job to read, stop and resume, and lists only one's own", async () => {
    await put(job('theirs', { tenant: 'slack:T1', status: 'stopped' }), job('mine', { status: 'stopped' }));
    const local = { tenant: 'local' };
    await expect(getJob(engine, 'theirs', local)).rejects.toMatchObject({ code: 'job_unknown' });
    await expect(stopJob(engine, 'theirs', local)).rejects.toMatchObject({ code: 'job_unknown' });
    await expect(resumeJob(engine, 'theirs', local)).rejects.toMatchObject({ code: 'job_unknown' });
    expect((await listJobs(engine, local)).map((j) => j.id)).toEqual(['mine']);
    expect((await resumeJob(engine, 'theirs', { tenant: 'slack:T1' })).status).toBe('queued');
  });

  it('refuses jobs over the size limits and past the tenant quota, naming the limit', async () => {
    const big = startTraining(engine, { spec: 'x', train: { steps: 1_000_000 } });
    await expect(big).rejects.toMatchObject({ code: 'job_over_limit', details: { limit: 'maxSteps' } });
    const rank = startTraining(engine, { spec: 'x', train: { lora: { r: 512 } } });
    await expect(rank).rejects.toMatchObject({ details: { limit: 'maxRank' } });
    await put(job('q1'), job('q2'));
    await expect(startTraining(engine, { spec: 'x' })).rejects.toMatchObject({
      code: 'job_quota',
      details: { limit: 'tenantConcurrentJobs' },
    });
  });

  it('takes queued jobs round-robin by tenant, not first come first served', () => {
    const jobs = [
      job('a1', { tenant: 'a', status: 'succeeded', startedAt: '2026-01-01T10:00:00Z' }),
      job('a2', { tenant: 'a' }),
      job('a3', { tenant: 'a' }),
      job('b1', { tenant: 'b' }),
    ];
    expect(nextQueuedJob(jobs)?.id).toBe('b1');
  });

  it("counts a job dispatched to a shared queue as its tenant's turn and does not choose it again", () => {
    const jobs = [
      job('a1', { tenant: 'a', dispatchedAt: '2026-01-01T10:00:00Z' }),
      job('a2', { tenant: 'a' }),
      job('b1', { tenant: 'b', status: 'succeeded', startedAt: '2026-01-01T09:00:00Z' }),
      job('b2', { tenant: 'b' }),
    ];
    expect(nextQueuedJob(jobs)?.id).toBe('b2');
    expect(nextQueuedJob(jobs.filter((j) => j.id !== 'b2'))?.id).toBe('a2');
  });
});

describe('jobs dispatched to a shared queue', () => {
  it('stay queued until a worker takes them, then run once', async () => {
    await put(job('d', { dispatchedAt: '2026-01-01T10:00:00Z' }));
    expect((await getJob(engine, 'd', {})).status).toBe('queued');
    expect(await startDispatchedJob(engine, 'd')).toBe(true);
    expect(await startDispatchedJob(engine, 'd')).toBe(false);
    const d = (await engine.store.read()).jobs.find((j) => j.id === 'd')!;
    expect([d.status, d.dispatchedAt, d.startedAt !== null]).toEqual(['running', null, true]);
  });

  it('are taken again by the next runner unless the shared queue still holds them', async () => {
    const at = '2026-01-01T10:00:00Z';
    await put(job('held', { dispatchedAt: at }), job('lost', { dispatchedAt: at }));
    await resumeInterruptedJobs(engine, 3, ['held']);
    expect((await getJob(engine, 'held', {})).dispatchedAt).toBe(at);
    expect((await getJob(engine, 'lost', {})).dispatchedAt).toBeNull();
  });

  it('can be stopped and resumed before a worker takes them', async () => {
    await put(job('s', { dispatchedAt: '2026-01-01T10:00:00Z' }));
    expect((await stopJob(engine, 's')).status).toBe('stopped');
    const again = await resumeJob(engine, 's');
    expect([again.status, again.dispatchedAt]).toEqual(['queued', null]);
    expect(nextQueuedJob((await engine.store.read()).jobs)?.id).toBe('s');
  });
});

describe('spec orphans', () => {
  it('sweeps staging folders of dead writers and version folders the index does not record', async () => {
    await addSpec(engine, 'examples/petstore.yaml', { name: 'pets' });
    const specs = path.join(engine.dataDir, 'specs');
    await mkdir(path.join(specs, 'pets', '2'), { recursive: true });
    await writeFile(path.join(specs, 'pets', '2', 'catalog.json'), '{}');
    const dead = path.join(specs, '.staging', `${await deadPid()}@${os.hostname()}-abc`);
    await mkdir(dead, { recursive: true });
    await writeFile(path.join(dead, 'document.yaml.123.tmp'), 'partial');
    const removed = await sweepSpecOrphans(engine);
    expect(removed.sort()).toEqual([path.relative(engine.dataDir, dead), 'specs/pets/2'].sort());
    expect(await readdir(path.join(specs, 'pets'))).toEqual(['1']);
    expect(await sweepSpecOrphans(engine)).toEqual([]);
  }, 30_000);
});
