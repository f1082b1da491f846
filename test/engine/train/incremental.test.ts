/**
 * `train --incremental` on the seeded tiny Llama with petstore, through the job functions a worker runs
 * (startTraining → claimNextJob → runTrainJob → finishTrainingJob): the spec diff by operation hash, the
 * training set it builds, weights that start from the active adapter, and the not-worse activation rule both
 * ways.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  REPLAY_PER_OPERATION,
  CORRECTION_WEIGHT,
  addSpec,
  claimNextJob,
  correctCall,
  finishTrainingJob,
  getJob,
  getSpec,
  listAdapters,
  loadAdapter,
  loadDataset,
  notWorse,
  operationDiff,
  runTrainJob,
  startTraining,
  trainingSummary,
  type Engine,
  type StartTrainingOptions,
  type TrainJobOptions,
  type TrainingSummary,
} from '../../../src/engine/index.js';
import { tinyEngine } from '../../jobs/fixtures.js';

let engine: Engine;
let root: string;
let first: TrainingSummary;

const SHORT = { batchSize: 4, maxLen: 512, evalEvery: 0, checkpointEvery: 0, seed: 5 };

/** Runs one queued training in this process, as the runner's worker would, and returns its summary. */
async function train(options: Omit<StartTrainingOptions, 'spec'>): Promise<TrainingSummary> {
  const started = await startTraining(engine, { spec: 'petstore', count: 120, ...options });
  const claimed = await claimNextJob(engine);
  if (!claimed) throw new Error('no job to claim');
  const result = await runTrainJob(claimed.input, {
    onProgress: () => undefined,
    onCheckpoint: () => undefined,
    stopRequested: () => false,
  });
  await finishTrainingJob(engine, claimed.job.id, result);
  return trainingSummary(engine, await getJob(engine, started.job, {}));
}

async function jobOptions(job: string): Promise<TrainJobOptions> {
  return (await getJob(engine, job, {})).options as unknown as TrainJobOptions;
}

const activeId = async () => (await listAdapters(engine, { spec: 'petstore' })).find((a) => a.active)?.id;

beforeAll(async () => {
  ({ engine, root } = await tinyEngine());
  first = await train({ base: 'tiny', train: { ...SHORT, steps: 30, lr: 5e-3 } });
});
afterAll(async () => {
  await engine.close();
  await rm(root, { recursive: true, force: true });
});

describe('the spec diff by operation hash', () => {
  it('finds added and changed operations and leaves the unchanged ones out', async () => {
    const text = await readFile('examples/petstore.yaml', 'utf8');
    const v2 = text
      .replace('operationId: logoutUser', 'operationId: signOut')
      .replace(
        "paths:\n  '/pet':",
        "paths:\n  '/pet/count':\n    get:\n      operationId: countPets\n      responses:\n        '200':\n          description: ok\n  '/pet':",
      );
    const file = path.join(root, 'petstore-v2.yaml');
    await writeFile(file, v2);
    await addSpec(engine, file, { name: 'petstore' });
    const a = await getSpec(engine, 'petstore', { version: 1 });
    const b = await getSpec(engine, 'petstore', { version: 2 });
    expect(operationDiff(a.catalog, b.catalog)).toEqual({
      added: ['GET /pet/count'],
      changed: ['GET /user/logout'],
    });
    expect(operationDiff(a.catalog, a.catalog)).toEqual({ added: [], changed: [] });
  });
});

describe('incremental training', () => {
  it('refuses when nothing is new, and names what to do', async () => {
    await expect(
      startTraining(engine, { spec: 'petstore', version: 1, incremental: true }),
    ).rejects.toMatchObject({
      code: 'train_nothing_new',
      message: expect.stringMatching(/smolmap correct/),
    });
  });

  it('trains on the changed operations, a little rehearsal and the corrections, with the validation split', async () => {
    await correctCall(engine, {
      spec: 'petstore',
      task: 'which animals have been adopted already',
      operation: 'findPetsByStatus',
      set: { status: 'sold' },
      user: 'tester',
      surface: 'cli',
    });
    const started = await startTraining(engine, {
      spec: 'petstore',
      count: 120,
      incremental: true,
      train: SHORT,
    });
    const o = await jobOptions(started.job);
    expect(o.incremental).toMatchObject({
      from: first.model,
      fromVersion: 1,
      added: ['GET /pet/count'],
      changed: ['GET /user/logout'],
      corrections: 1,
    });
    expect(o.spec.version).toBe(2);
    const { examples } = await loadDataset(engine, o.datasetId);
    const train = examples.filter((e) => e.meta.split === 'train');
    const at = (ep: string) => train.filter((e) => `${e.expected.method} ${e.expected.path}` === ep).length;
    expect(train.filter((e) => e.task === 'which animals have been adopted already')).toHaveLength(
      CORRECTION_WEIGHT,
    );
    expect(at('GET /pet/count')).toBeGreaterThan(REPLAY_PER_OPERATION);
    expect(at('GET /user/logout')).toBeGreaterThan(REPLAY_PER_OPERATION);
    expect(at('GET /pet/{petId}')).toBeLessThanOrEqual(REPLAY_PER_OPERATION);
    expect(examples.some((e) => e.meta.split === 'validation')).toBe(true);
    expect(o.train.steps).toBeGreaterThanOrEqual(20);
    expect(o.train.lora).toMatchObject({ r: 16 });
    // Only the dataset mattered; the queued job is run by the next test's claim otherwise.
    await claimAndDrop();
  });

  it('starts from the active adapter’s weights, not a fresh adapter', async () => {
    // A learning rate too small to move anything: the new adapter is the active one's weights.
    const s = await train({ incremental: true, train: { ...SHORT, steps: 1, lr: 1e-12 } });
    const from = await loadAdapter(first.adapterPath!);
    const now = await loadAdapter(s.adapterPath!);
    const key = [...from.tensors.keys()].find((k) => k.includes('lora_B'))!;
    const b0 = from.tensors.get(key)!.data;
    const b1 = now.tensors.get(key)!.data;
    expect(b0.some((x) => x !== 0)).toBe(true); // a fresh adapter's B is all zeros
    for (let i = 0; i < b0.length; i++) expect(b1[i]).toBeCloseTo(b0[i]!, 6);
    expect(s.incremental?.fromValLoss).not.toBeNull();
  });

  it('keeps an adapter with a worse held-out loss inactive', async () => {
    const before = await activeId();
    const s = await train({ incremental: true, train: { ...SHORT, steps: 20, lr: 1, maxGradNorm: 0 } });
    expect(s.incremental!.valLoss!).toBeGreaterThan(s.incremental!.fromValLoss!);
    expect(s.incremental!.activated).toBe(false);
    expect(await activeId()).toBe(before);
  });

  it('activates an adapter whose held-out loss is not worse', async () => {
    const before = await activeId();
    const s = await train({ incremental: true, train: { ...SHORT, steps: 20, lr: 5e-3 } });
    expect(s.incremental!.valLoss!).toBeLessThanOrEqual(s.incremental!.fromValLoss!);
    expect(s.incremental!.activated).toBe(true);
    expect(await activeId()).toBe(s.model);
    expect(s.model).not.toBe(before);
  });
});

describe('notWorse', () => {
  it('activates on an equal or lower held-out loss only, and never without both losses', () => {
    expect(notWorse({ fromValLoss: 1.5, valLoss: 1.5 })).toBe(true);
    expect(notWorse({ fromValLoss: 1.5, valLoss: 1.2 })).toBe(true);
    expect(notWorse({ fromValLoss: 1.5, valLoss: 1.51 })).toBe(false);
    expect(notWorse({ fromValLoss: null, valLoss: 1 })).toBe(false);
    expect(notWorse({ valLoss: null, fromValLoss: 1 })).toBe(false);
  });
});

/** Takes the queued job out of the queue as stopped, so it does not run. */
async function claimAndDrop(): Promise<void> {
  const claimed = await claimNextJob(engine);
  if (!claimed) throw new Error('no job to claim');
  await finishTrainingJob(engine, claimed.job.id, {
    status: 'stopped',
    step: 0,
    totalSteps: 0,
    trainLoss: null,
    valLoss: null,
    lossHistory: [],
    tokensPerSecond: 0,
    seconds: 0,
    examples: { train: 0, validation: 0, tooLong: 0, unwritable: 0 },
  });
}
