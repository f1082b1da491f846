import { internal } from '../../errors.js';
import { f16ToF32, f32ToF16 } from './half.js';

/**
 * Reference quantisers for the two formats the tiny-model generator writes, following ggml-quants.c
 * `quantize_row_q8_0_ref` and `quantize_row_q4_1_ref` (round-half-away-from-zero like C `roundf`).
 */

function checkBlocks(x: Float32Array): number {
  if (x.length % 32 !== 0) throw internal(`quantize: ${x.length} values are not whole 32-blocks`);
  return x.length / 32;
}

const roundf = (v: number): number => Math.sign(v) * Math.round(Math.abs(v));

/** Q8_0: d = max|x| / 127, q = round(x / d), block = f16 d + 32 int8. */
export function quantizeQ8_0(x: Float32Array): Uint8Array {
  const blocks = checkBlocks(x);
  const out = new Uint8Array(blocks * 34);
  const view = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]!));
    const d = amax / 127;
    const id = d ? 1 / d : 0;
    view.setUint16(b * 34, f32ToF16(d), true);
    for (let j = 0; j < 32; j++) view.setInt8(b * 34 + 2 + j, roundf(Math.fround(x[b * 32 + j]! * id)));
  }
  return out;
}

/** Q4_1: d = (max − min) / 15, m = min, q = min(15, trunc((x − min) / d + 0.5)); element j pairs with j+16. */
export function quantizeQ4_1(x: Float32Array): Uint8Array {
  const blocks = checkBlocks(x);
  const out = new Uint8Array(blocks * 20);
  const view = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    let min = Infinity;
    let max = -Infinity;
    for (let j = 0; j < 32; j++) {
      min = Math.min(min, x[b * 32 + j]!);
      max = Math.max(max, x[b * 32 + j]!);
    }
    const d = (max - min) / 15;
    const id = d ? 1 / d : 0;
    view.setUint16(b * 20, f32ToF16(d), true);
    view.setUint16(b * 20 + 2, f32ToF16(min), true);
    for (let j = 0; j < 16; j++) {
      const lo = Math.min(15, Math.trunc((x[b * 32 + j]! - min) * id + 0.5));
      const hi = Math.min(15, Math.trunc((x[b * 32 + j + 16]! - min) * id + 0.5));
      out[b * 20 + 4 + j] = lo | (hi << 4);
    }
  }
  return out;
}

/** F16 storage for GGUF tensors (1-D norms may also be stored as F16 by converters). */
export function encodeF16(x: Float32Array): Uint8Array {
  const out = new Uint8Array(x.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < x.length; i++) view.setUint16(2 * i, f32ToF16(x[i]!), true);
  return out;
}

/** The worst-case absolute error of a Q8_0 / Q4_1 round trip for block values spanning [min, max]. */
export function quantErrorBound(type: 'q8_0' | 'q4_1', min: number, max: number): number {
  const amax = Math.max(Math.abs(min), Math.abs(max));
  // half a quantisation step, plus the f16 rounding of the scale (and of m) over the whole range
  if (type === 'q8_0') return amax / 127 / 2 + amax * 2 ** -11 + 1e-7;
  const d = (max - min) / 15;
  return d / 2 + (max - min) * 2 ** -11 + Math.abs(f16ToF32(f32ToF16(min)) - min) + 1e-7;
}
