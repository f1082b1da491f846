/**
 * The job runner with the real worker (dist/jobs/workers/train.js, built by `npm test`'s pretest) training the
 * seeded tiny Llama on petstore tasks: loss falls, stop + resume and crash + resume both end with the adapter an
 * uninterrupted run writes, byte for byte, and the store stays readable throughout.
 */
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  getJob,
  listJobs,
  loadAdapter,
  resumeJob,
  startTraining,
  trainingSummary,
  type Engine,
  type JobRecord,
  type TrainJobResult,
} from '../../src/engine/index.js';
import { JobRunner, defaultWorkerPath, type JobEvent } from '../../src/jobs/runner.js';
import { tinyEngine } from './fixtures.js';

let engine: Engine;
let root: string;
let runner: JobRunner;
let datasetId: string;

const SHORT = { steps: 12, batchSize: 2, lr: 3e-3, maxLen: 512, evalEvery: 0, checkpointEvery: 4, seed: 5 };

beforeAll(async () => {
  if (!existsSync(defaultWorkerPath()))
    throw new Error('run `npm run build` first: the worker runs from dist/');
  ({ engine, root } = await tinyEngine());
  runner = new JobRunner(engine);
  await runner.start();
});
afterAll(async () => {
  await runner.close();
  await rm(root, { recursive: true, force: true });
});

async function adapterBytes(job: JobRecord): Promise<Buffer> {
  const s = trainingSummary(engine, job);
  return readFile(path.join(s.adapterPath!, 'adapter_model.safetensors'));
}

async function run(train: Record<string, unknown>): Promise<JobRecord> {
  const { job } = await startTraining(engine, { spec: 'petstore', dataset: datasetId, base: 'tiny', train });
  void runner.pump();
  return runner.wait(job);
}

describe('training jobs', () => {
  it('trains the tiny model: loss more than halves, adapter + loss curve saved, model registered', async () => {
    const events: JobEvent[] = [];
    const off = runner.on((e) => events.push(e));
    const started = await startTraining(engine, {
      spec: 'petstore',
      base: 'tiny',
      count: 120,
      train: { steps: 60, batchSize: 4, lr: 5e-3, maxLen: 512, evalEvery: 30, checkpointEvery: 0, seed: 5 },
    });
    datasetId = started.dataset;
    void runner.pump();
    const job = await runner.wait(started.job);
    off();
    expect(job.status).toBe('succeeded');
    const result = job.result as TrainJobResult;
    expect(result.lossHistory).toHaveLength(60);
    expect(result.trainLoss!).toBeLessThan(result.lossHistory[0]!.loss / 2);
    expect(job.progress).toMatchObject({ step: 60, totalSteps: 60 });
    expect(events.filter((e) => e.type === 'progress' && e.job === job.id)).toHaveLength(60);

    const summary = trainingSummary(engine, job);
    expect(summary).toMatchObject({ job: job.id, model: started.model });
    expect(summary.tokensPerSecond!).toBeGreaterThan(0);
    const adapter = await loadAdapter(summary.adapterPath!);
    expect(adapter.modules).toHaveLength(14);
    const png = await readFile(path.join(summary.adapterPath!, 'loss.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    const model = (await engine.store.read()).models.find((m) => m.id === started.model)!;
    expect(model).toMatchObject({
      baseModel: 'tiny',
      spec: { name: 'petstore', version: 1 },
      status: 'ready',
    });
    expect(model.lossHistory).toHaveLength(60);
  }, 180_000);

  it('stopped and resumed, or crashed and resumed, ends with the uninterrupted adapter byte for byte', async () => {
    const straight = await run(SHORT);
    expect(straight.status).toBe('succeeded');

    const { job: stopped } = await startTraining(engine, {
      spec: 'petstore',
      dataset: datasetId,
      base: 'tiny',
      train: SHORT,
    });
    // Stop on the first progress event (11 steps left): the worker trains on while the parent records it;
    // at step 6 left 6 steps, which a loaded machine can finish before the stop arrives.
    const off = runner.on((e) => {
      if (e.job === stopped && e.type === 'progress') runner.stop(stopped);
    });
    void runner.pump();
    const halted = await runner.wait(stopped);
    off();
    expect(halted.status).toBe('stopped');
    expect(halted.checkpoint).toBe(`checkpoints/${stopped}`);
    expect(halted.progress!.step).toBeGreaterThan(0);
    expect(halted.progress!.step).toBeLessThan(12);
    await resumeJob(engine, stopped);
    void runner.pump();
    const resumed = await runner.wait(stopped);
    expect(resumed.status).toBe('succeeded');
    expect((await adapterBytes(resumed)).equals(await adapterBytes(straight))).toBe(true);

    // A checkpoint every step, so the abort (sent on the first one) has 11 steps to arrive before the end.
    const { job: crashed } = await startTraining(engine, {
      spec: 'petstore',
      dataset: datasetId,
      base: 'tiny',
      train: { ...SHORT, checkpointEvery: 1 },
    });
    const off2 = runner.on((e) => {
      if (e.job === crashed && e.type === 'checkpoint') runner.abort(crashed);
    });
    void runner.pump();
    const failed = await runner.wait(crashed);
    off2();
    expect(failed.status).toBe('failed');
    expect(failed.error!.code).toBe('job_worker_crashed');
    expect(failed.result).toEqual({ resumable: true });
    JSON.parse(await readFile(engine.store.file, 'utf8')); // the store is intact
    expect((await getJob(engine, crashed, {})).status).toBe('failed');
    await resumeJob(engine, crashed);
    void runner.pump();
    const recovered = await runner.wait(crashed);
    expect(recovered.status).toBe('succeeded');
    expect((await adapterBytes(recovered)).equals(await adapterBytes(straight))).toBe(true);
  }, 300_000);

  it('requeues jobs a dead runner left running', async () => {
    const { job } = await startTraining(engine, {
      spec: 'petstore',
      dataset: datasetId,
      base: 'tiny',
      train: SHORT,
    });
    await engine.store.update((data) => {
      data.jobs.find((j) => j.id === job)!.status = 'running';
    });
    await runner.close();
    runner = new JobRunner(engine);
    const { requeued } = await runner.start();
    expect(requeued).toEqual([job]);
    expect((await runner.wait(job)).status).toBe('succeeded');
    expect((await listJobs(engine, { status: 'running' })).map((j) => j.id)).toEqual([]);
  }, 180_000);
});
