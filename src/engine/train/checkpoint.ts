/**
 * Training checkpoints: everything a resumed run needs to continue exactly as if never stopped — the LoRA
 * tensors, AdamW moments (bit for bit, f32 safetensors), the step, the data cursor (epoch, position in the
 * epoch's batch plan, and the RNG state the plan was drawn from) and the loss history. Written atomically: a
 * temp folder is filled, the previous checkpoint is renamed aside (`.old-<pid>`), the temp folder renamed into
 * its place, and the old one removed. A crash between the two renames leaves only the `.old-*` folder; reading
 * a checkpoint puts it back first (`recoverCheckpoint`), so a resume never silently starts from scratch.
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
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

const exists = (file: string): Promise<boolean> =>
  stat(file).then(
    () => true,
    () => false,
  );

/**
 * Puts back a checkpoint a crash left renamed aside, and removes leftover temp and `.old-*` folders. Returns
 * whether a whole checkpoint is in `dir` afterwards.
 */
export async function recoverCheckpoint(dir: string): Promise<boolean> {
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const base = path.basename(target);
  const siblings = await readdir(parent).catch(() => [] as string[]);
  const old = siblings.filter((n) => n.startsWith(`${base}.old-`));
  const tmps = siblings.filter((n) => n.startsWith(`${base}.tmp-`));
  if (!(await exists(path.join(target, STATE_FILE)))) {
    for (const n of old) {
      if (!(await exists(path.join(parent, n, STATE_FILE)))) continue;
      await rm(target, { recursive: true, force: true });
      await rename(path.join(parent, n), target);
      break;
    }
  }
  for (const n of [...old, ...tmps]) await rm(path.join(parent, n), { recursive: true, force: true });
  return exists(path.join(target, STATE_FILE));
}

export async function saveCheckpoint(dir: string, ck: Checkpoint): Promise<void> {
  const target = path.resolve(dir);
  await recoverCheckpoint(target);
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
  return recoverCheckpoint(dir);
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
