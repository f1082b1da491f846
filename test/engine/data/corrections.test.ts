/**
 * Corrections through the facade: validated against the spec, stored with who and when, scoped by tenant,
 * and mixed into the dataset of the next training of that spec.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  CORRECTION_WEIGHT,
  addCorrection,
  addSpec,
  getJob,
  listCorrections,
  loadDataset,
  startTraining,
  stopJob,
  type TrainJobOptions,
} from '../../../src/engine/index.js';
import { TINY_SPEC, fakeBaseModel, tempEngine, type TempEngine } from '../../bots/helpers.js';

let t: TempEngine;

beforeEach(async () => {
  t = await tempEngine();
  const file = path.join(t.dir, 'pets.yaml');
  await writeFile(file, TINY_SPEC);
  await addSpec(t.engine, file, { name: 'pets', tenant: 'team-a' });
  await fakeBaseModel(t.engine);
});
afterEach(() => t.close());

const sold = { method: 'GET', path: '/pets', query: { status: 'sold' } };

async function trainingExamples(options: { corrections?: boolean } = {}) {
  const r = await startTraining(t.engine, {
    spec: 'pets',
    tenant: 'team-a',
    count: 40,
    train: { steps: 1 },
    ...options,
  });
  const job = await getJob(t.engine, r.job, { tenant: 'team-a' });
  // Only the dataset matters here; the queued job would count against the tenant's concurrent-job limit.
  await stopJob(t.engine, r.job, { tenant: 'team-a' });
  const { datasetId } = job.options as unknown as TrainJobOptions;
  return (await loadDataset(t.engine, datasetId, { tenant: 'team-a' })).examples;
}

describe('corrections', () => {
  it('stores a valid correction with who and when, for its tenant only', async () => {
    const c = await addCorrection(t.engine, {
      spec: 'pets',
      tenant: 'team-a',
      task: 'which pets went to new homes',
      expected: sold,
      user: 'U42',
      surface: 'slack',
      queryId: 'q-1',
    });
    expect(c).toMatchObject({
      spec: { name: 'pets', version: 1 },
      user: 'U42',
      surface: 'slack',
      queryId: 'q-1',
      expected: { method: 'GET', path: '/pets', operationId: 'listPets', query: { status: 'sold' } },
    });
    expect(Date.now() - Date.parse(c.createdAt)).toBeLessThan(60_000);
    expect(await listCorrections(t.engine, { tenant: 'team-a', spec: 'pets' })).toEqual([c]);
    expect(await listCorrections(t.engine, { tenant: 'team-b' })).toEqual([]);
  });

  it('refuses a call that does not fit the spec, naming the problem, and stores nothing', async () => {
    const bad = { method: 'GET', path: '/pets', query: { status: 'lost' } };
    await expect(
      addCorrection(t.engine, { spec: 'pets', tenant: 'team-a', task: 'x', expected: bad, surface: 'cli' }),
    ).rejects.toMatchObject({ code: 'correction_invalid', message: expect.stringMatching(/status/) });
    const unknownOp = { method: 'DELETE', path: '/pets' };
    await expect(
      addCorrection(t.engine, {
        spec: 'pets',
        tenant: 'team-a',
        task: 'x',
        expected: unknownOp,
        surface: 'cli',
      }),
    ).rejects.toMatchObject({ code: 'correction_invalid' });
    expect(await listCorrections(t.engine, { tenant: 'team-a' })).toEqual([]);
  });

  it('is in the next training dataset, weighted, replacing examples with the same task', async () => {
    const before = await trainingExamples();
    const task = before.find((e) => e.expected.path === '/pets/{petId}')!.task;
    await addCorrection(t.engine, {
      spec: 'pets',
      tenant: 'team-a',
      task,
      expected: sold,
      surface: 'discord',
    });
    const after = await trainingExamples();
    const same = after.filter((e) => e.task.toLowerCase() === task.toLowerCase());
    expect(same).toHaveLength(CORRECTION_WEIGHT);
    for (const e of same) {
      expect(e.expected).toMatchObject({ path: '/pets', query: { status: 'sold' } });
      expect(e.meta).toMatchObject({ family: 'correction', source: 'user', split: 'train' });
    }
    const without = await trainingExamples({ corrections: false });
    expect(without.some((e) => e.meta.family === 'correction')).toBe(false);
  });
});
