/**
 * Training checkpoints: everything a resumed run needs to continue exactly as if never stopped — the LoRA
 * tensors, AdamW moments (bit for bit, f32 safetensors), the step, the data cursor (epoch, position in the
 * epoch's batch plan, and the RNG state the plan was drawn from) and the loss history. Written atomically: a
 * temp folder is filled, then renamed over the previous checkpoint, so a crash mid-write leaves the old one.
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { SmolmapError } from '../errors.js';
import type { LossPoint } from '../store.js';
import { readSafetensors } from '../model/weights/safetensors.js';
import { writeSafetensors } from '../model/weights/safetensors-write.js';
import type { F32Tensor } from '../model/types.js';
import type { AdamWState, Tensors } from './optim.js';

export const CHECKPOINT_VERSION = 1;
const STATE_FILE = 'state.json';
const TENSORS_FILE = 'tensors.safetensors';

/** Where the loop stands, as plain JSON. */
export interface LoopState {
  /** Optimizer steps done. */
  step: number;
  /** 0-based epoch the cursor is in. */
  epoch: number;
  /** Micro-batches of the current epoch's plan already consumed. */
  cursor: number;
  /** RNG state from which the current epoch's plan was drawn. */
  epochRngState: number;
  lossHistory: LossPoint[];
  bestValLoss: number | null;
  evalsWithoutImprovement: number;
  /** Real tokens trained on so far, and seconds spent in training steps (for throughput across resumes). */
  tokensSeen: number;
  trainSeconds: number;
}

export interface Checkpoint {
  state: LoopState;
  lora: Tensors;
  optimizer: AdamWState;
}

export async function saveCheckpoint(dir: string, ck: Checkpoint): Promise<void> {
  const target = path.resolve(dir);
  const tmp = `${target}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const tensors = new Map<string, F32Tensor>();
  for (const [k, t] of ck.lora) {
    tensors.set(`lora.${k}`, t);
    tensors.set(`m.${k}`, { shape: t.shape, data: ck.optimizer.m.get(k)! });
    tensors.set(`v.${k}`, { shape: t.shape, data: ck.optimizer.v.get(k)! });
  }
  await writeSafetensors(path.join(tmp, TENSORS_FILE), tensors);
  await writeFile(path.join(tmp, STATE_FILE), JSON.stringify({ version: CHECKPOINT_VERSION, ...ck.state }));
  // Two renames: the old checkpoint stays whole until the new one is complete.
  const old = `${target}.old-${process.pid}`;
  const existed = await stat(target).then(
    () => true,
    () => false,
  );
  if (existed) await rename(target, old);
  await rename(tmp, target);
  if (existed) await rm(old, { recursive: true, force: true });
}

export async function hasCheckpoint(dir: string): Promise<boolean> {
  return stat(path.join(dir, STATE_FILE)).then(
    () => true,
    () => false,
  );
}

export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  let raw: { version?: number } & LoopState;
  let all: Map<string, F32Tensor>;
  try {
    raw = JSON.parse(await readFile(path.join(dir, STATE_FILE), 'utf8')) as typeof raw;
    all = await readSafetensors(path.join(dir, TENSORS_FILE));
  } catch (e) {
    throw new SmolmapError(
      'checkpoint_unreadable',
      `cannot read the training checkpoint in ${dir} (${(e as Error).message}); start the training again without resuming`,
      { cause: e },
    );
  }
  if (raw.version !== CHECKPOINT_VERSION)
    throw new SmolmapError(
      'checkpoint_unreadable',
      `the checkpoint in ${dir} has format ${raw.version}, this smolmap reads ${CHECKPOINT_VERSION}; start the training again`,
    );
  const { version: _v, ...state } = raw;
  const lora: Tensors = new Map();
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  for (const [name, t] of all) {
    const dot = name.indexOf('.');
    const kind = name.slice(0, dot);
    const key = name.slice(dot + 1);
    if (kind === 'lora') lora.set(key, t);
    else if (kind === 'm') m.set(key, t.data);
    else if (kind === 'v') v.set(key, t.data);
  }
  return { state, lora, optimizer: { m, v } };
}
