import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  hasCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
  type Checkpoint,
} from '../../../src/engine/train/checkpoint.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'smolmap-ck-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ck = (step: number): Checkpoint => ({
  state: {
    step,
    epoch: 1,
    cursor: 3,
    epochRngState: 123456789,
    lossHistory: [{ step, loss: 0.1 + 0.2, valLoss: 1 / 3, lr: 2e-4 }],
    bestValLoss: 1 / 3,
    evalsWithoutImprovement: 0,
    tokensSeen: 999,
    trainSeconds: 1.5,
  },
  lora: new Map([
    [
      'model.layers.0.self_attn.q_proj.lora_A.weight',
      { shape: [2, 2], data: Float32Array.of(1e-30, -0, 3, Math.PI) },
    ],
  ]),
  optimizer: {
    m: new Map([['model.layers.0.self_attn.q_proj.lora_A.weight', Float32Array.of(1, 2, 3, 4)]]),
    v: new Map([['model.layers.0.self_attn.q_proj.lora_A.weight', Float32Array.of(5, 6, 7, 8)]]),
  },
});

describe('checkpoints', () => {
  it('round-trip state, LoRA tensors and AdamW moments exactly, replacing the previous one', async () => {
    const target = path.join(dir, 'job');
    expect(await hasCheckpoint(target)).toBe(false);
    await saveCheckpoint(target, ck(1));
    await saveCheckpoint(target, ck(2));
    const back = await loadCheckpoint(target);
    expect(back.state).toEqual(ck(2).state);
    expect(back.lora).toEqual(ck(2).lora);
    expect(back.optimizer).toEqual(ck(2).optimizer);
    expect(Object.is(back.lora.get('model.layers.0.self_attn.q_proj.lora_A.weight')!.data[1], -0)).toBe(true);
    expect(await readdir(dir)).toEqual(['job']);
  });

  it('reports an unreadable checkpoint with a coded error', async () => {
    const target = path.join(dir, 'broken');
    await saveCheckpoint(target, ck(1));
    await writeFile(path.join(target, 'state.json'), '{"version": 99}');
    await expect(loadCheckpoint(target)).rejects.toMatchObject({ code: 'checkpoint_unreadable' });
    await writeFile(path.join(target, 'state.json'), 'not json');
    await expect(loadCheckpoint(target)).rejects.toMatchObject({ code: 'checkpoint_unreadable' });
  });

  it('finds the checkpoint a crash left renamed aside between the two renames, and clears leftovers', async () => {
    const target = path.join(dir, 'crashed');
    await saveCheckpoint(target, ck(7));
    // The state a kill between `rename(target, old)` and `rename(tmp, target)` leaves behind.
    await rename(target, `${target}.old-4242`);
    await mkdir(`${target}.tmp-4242`);
    expect(await hasCheckpoint(target)).toBe(true);
    expect((await loadCheckpoint(target)).state.step).toBe(7);
    expect((await readdir(dir)).filter((n) => n.startsWith('crashed'))).toEqual(['crashed']);
  });
});
