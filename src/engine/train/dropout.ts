/**
 * LoRA dropout masks, as PEFT applies dropout: on each adapted module's LoRA branch input only, an independent
 * Bernoulli keep-mask per module and element, kept inputs scaled by 1/(1 − p) (torch.nn.Dropout). The masks are
 * drawn on the host from a stream derived from (seed, optimizer step, micro-batch), so a resumed run draws the
 * masks the uninterrupted run would have drawn, whatever happened before the checkpoint.
 */
import { DROPOUT_SCALE, dropoutMaskName } from '../model/training-graph.js';
import { f32, type HostTensor } from '../infer/ort.js';
import { hash32, Rng } from '../rng.js';

/** The parts of a LoRA module the masks need (lora.ts `LoraModule` fits). */
export interface MaskedModule {
  a: string;
  inFeatures: number;
}

/** The mask stream of one micro-batch. */
export function dropoutRng(seed: number, step: number, microBatch: number): Rng {
  return new Rng(hash32(`lora-dropout:${seed}:${step}:${microBatch}`));
}

/**
 * Feeds `dropout_mask.<A>` (bool [rows, seqLen, in]) for every module and `dropout_scale`. Each 32-bit draw
 * gives two 16-bit uniforms, so p is applied in steps of 1/65536.
 */
export function dropoutFeeds(
  modules: readonly MaskedModule[],
  rows: number,
  seqLen: number,
  p: number,
  rng: Rng,
): Record<string, HostTensor> {
  const threshold = Math.round(p * 65536);
  const feeds: Record<string, HostTensor> = {};
  for (const m of modules) {
    const mask = new Uint8Array(rows * seqLen * m.inFeatures);
    let i = 0;
    for (; i + 1 < mask.length; i += 2) {
      const u = rng.nextUint32();
      mask[i] = (u & 0xffff) >= threshold ? 1 : 0;
      mask[i + 1] = u >>> 16 >= threshold ? 1 : 0;
    }
    if (i < mask.length) mask[i] = (rng.nextUint32() & 0xffff) >= threshold ? 1 : 0;
    feeds[dropoutMaskName(m)] = { dtype: 'bool', dims: [rows, seqLen, m.inFeatures], data: mask };
  }
  feeds[DROPOUT_SCALE] = f32(Float32Array.of(1 / (1 - p)), []);
  return feeds;
}

/** Evaluation feeds: every input kept, no scaling (dropout is off outside training, as in PyTorch eval mode). */
export function keepAllFeeds(
  modules: readonly MaskedModule[],
  rows: number,
  seqLen: number,
): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  const ones = new Map<number, Uint8Array>(); // inputs are read-only, so modules of one width share a buffer
  for (const m of modules) {
    let data = ones.get(m.inFeatures);
    if (!data) {
      data = new Uint8Array(rows * seqLen * m.inFeatures).fill(1);
      ones.set(m.inFeatures, data);
    }
    feeds[dropoutMaskName(m)] = { dtype: 'bool', dims: [rows, seqLen, m.inFeatures], data };
  }
  feeds[DROPOUT_SCALE] = f32(Float32Array.of(1), []);
  return feeds;
}
