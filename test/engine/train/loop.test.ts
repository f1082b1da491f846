import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadCheckpoint } from '../../../src/engine/train/checkpoint.js';
import { trainLoop, type TrainProgress } from '../../../src/engine/train/loop.js';
import { parseTrainOptions, plannedSteps } from '../../../src/engine/train/options.js';
import type { Tensors } from '../../../src/engine/train/optim.js';
import { createToy, toySequences, type Toy } from './toy-model.js';

let toy: Toy;
let dir: string;
const train = toySequences(96, 1);
const validation = toySequences(24, 2);

beforeAll(async () => {
  toy = await createToy();
  dir = await mkdtemp(path.join(os.tmpdir(), 'smolmap-loop-'));
});
afterAll(async () => {
  await toy.session.release();
  await rm(dir, { recursive: true, force: true });
});

const options = (extra: Record<string, unknown> = {}) =>
  parseTrainOptions({
    steps: 120,
    batchSize: 8,
    lr: 0.05,
    warmupRatio: 0.05,
    evalEvery: 40,
    checkpointEvery: 0,
    seed: 3,
    ...extra,
  });

function bits(t: Tensors): string[] {
  return [...t].map(
    ([k, v]) => `${k}:${Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength).toString('base64')}`,
  );
}

describe('trainLoop on a real ORT training graph', () => {
  it('more than halves the loss, logs every step and evaluates on schedule', async () => {
    const progress: TrainProgress[] = [];
    const r = await trainLoop(
      {
        options: options(),
        train,
        validation,
        padId: 0,
        lora: toy.lora(),
        checkpointDir: null,
        resume: false,
      },
      { ...toy.deps, onProgress: (p) => progress.push(p) },
    );
    expect(r.status).toBe('completed');
    expect(r.step).toBe(120);
    expect(progress).toHaveLength(120);
    const first = r.lossHistory[0]!.loss;
    expect(r.trainLoss!).toBeLessThan(first / 2);
    expect(r.lossHistory.filter((p) => p.valLoss !== undefined).map((p) => p.step)).toEqual([40, 80, 120]);
    expect(r.valLoss!).toBeLessThan(first / 2);
    // Warmup (5% of 120 = 6 steps) then cosine decay to 0.
    expect(progress[0]!.lr).toBeCloseTo(0.05 / 6, 10);
    expect(progress[5]!.lr).toBeCloseTo(0.05, 10);
    expect(progress[119]!.lr).toBeLessThan(1e-4);
    expect(progress[119]!.etaSeconds).toBe(0);
    expect(r.tokensPerSecond).toBeGreaterThan(0);
  });

  it('resumes from a stop with bit-identical LoRA tensors and losses', async () => {
    const o = options({ gradAccum: 2, steps: 40, checkpointEvery: 7 });
    const straight = await trainLoop(
      { options: o, train, validation, padId: 0, lora: toy.lora(), checkpointDir: null, resume: false },
      toy.deps,
    );

    const ckDir = path.join(dir, 'resume');
    let calls = 0;
    const lora = toy.lora();
    const first = await trainLoop(
      { options: o, train, validation, padId: 0, lora, checkpointDir: ckDir, resume: true },
      { ...toy.deps, shouldStop: () => ++calls > 17 },
    );
    expect(first.status).toBe('stopped');
    expect(first.step).toBe(17);
    expect((await loadCheckpoint(ckDir)).state.step).toBe(17);
    // A new process would start from a fresh adapter and the checkpoint.
    const second = await trainLoop(
      { options: o, train, validation, padId: 0, lora: toy.lora(), checkpointDir: ckDir, resume: true },
      toy.deps,
    );
    expect(second.status).toBe('completed');
    expect(second.step).toBe(40);
    expect(bits(second.lora)).toEqual(bits(straight.lora));
    expect(second.lossHistory).toEqual(straight.lossHistory);
    expect(await readdir(dir)).toEqual(['resume']);
  });

  it('stops early when validation loss stops improving', async () => {
    const r = await trainLoop(
      {
        options: options({
          steps: 200,
          lr: 1e-9,
          evalEvery: 5,
          earlyStopPatience: 2,
          earlyStopMinDelta: 0.01,
        }),
        train,
        validation,
        padId: 0,
        lora: toy.lora(),
        checkpointDir: null,
        resume: false,
      },
      toy.deps,
    );
    expect(r.status).toBe('early_stopped');
    expect(r.step).toBe(15);
  });

  it('refuses to train on nothing', async () => {
    await expect(
      trainLoop(
        {
          options: options(),
          train: [],
          validation,
          padId: 0,
          lora: toy.lora(),
          checkpointDir: null,
          resume: false,
        },
        toy.deps,
      ),
    ).rejects.toMatchObject({ code: 'train_no_data' });
  });
});

describe('parseTrainOptions', () => {
  it('fills defaults and rejects unknown or out-of-range options with coded errors', () => {
    const o = parseTrainOptions({});
    expect(o).toMatchObject({ epochs: null, steps: null, batchSize: 4, lr: 1e-3, maxGradNorm: 1 });
    // The step recipe: steps, else epochs, else max(minSteps, stepsPerOperation × operations).
    expect(plannedSteps(o, { trainExamples: 463, operations: 7 })).toBe(200);
    expect(plannedSteps(o, { trainExamples: 463, operations: 20 })).toBe(300);
    expect(plannedSteps({ ...o, epochs: 2 }, { trainExamples: 463, operations: 7 })).toBe(232);
    expect(plannedSteps({ ...o, epochs: 2, gradAccum: 2 }, { trainExamples: 463, operations: 7 })).toBe(116);
    expect(plannedSteps({ ...o, epochs: 2, steps: 9 }, { trainExamples: 463, operations: 7 })).toBe(9);
    expect(o.lora.targets).toHaveLength(7);
    expect(() => parseTrainOptions({ learningRate: 1 })).toThrow(/learningRate/);
    expect(() => parseTrainOptions({ lora: { rank: 4 } })).toThrow(
      expect.objectContaining({ code: 'train_bad_option' }),
    );
    expect(() => parseTrainOptions({ batchSize: 0 })).toThrow(/batchSize/);
  });
});
