/**
 * GGUF blocks as MatMulNBits weights, without re-quantising: the quantised mode
 * then computes with exactly the file's weights.
 * - Q8_0 (d, int8 q[32]): 8-bit, scale d, default zero point 128, stored q + 128.
 * - Q4_0 (d, nibbles): 4-bit, scale d, default zero point 8; nibbles re-packed (GGUF keeps elements j and
 *   j + 16 in one byte, MatMulNBits keeps 2i and 2i + 1).
 * - Q4_1 (d, m, nibbles): x = d·q + m. The min m is not an integer multiple of d, so no uint8 zero point can
 *   express it, and float zero points take ORT's slow dequantising path (bench/matmul: ~40× slower decode).
 *   So the weight splits exactly into a 4-bit part with zero point 0 (d·q) and a block-constant part:
 *   x·wᵀ = Σ d·q·x + Σ_blocks m_b·(Σ_{k∈b} x_k). The second term is a rank-kBlocks product, carried on the
 *   grouped LoRA path (lora-groups.ts) as extra columns of A (block indicators) and rows of B (the mins).
 * q/k rows are un-permuted to HF's rotate-half order (§2.4); blocks run along K, so whole rows move.
 */
import type { FileHandle } from 'node:fs/promises';

import { fusedWeightName, projWeight, type Projector } from './llama.js';
import { LORA_GROUPS, groupDims } from './lora-groups.js';
import { concatNBits, emitNBits, type NBitsWeight } from './quant.js';
import type { F32Tensor, LlamaConfig } from './types.js';
import { openModelFile, readGgufHeaderFrom, readGgufTensorRawFrom } from './weights/gguf.js';
import { GGML } from './weights/ggml-types.js';
import { f16Lut } from './weights/half.js';
import { ggufToHfName } from './weights/names.js';

/** A weight as the file stores it: the MatMulNBits part and, for Q4_1, the block mins [n, kBlocks]. */
export interface GgufNBits {
  q: NBitsWeight;
  mins: Float32Array | null;
}

const half = (src: Uint8Array, p: number, lut: Float32Array): number => lut[src[p]! | (src[p + 1]! << 8)]!;

/** GGUF block bytes of an [n, k] weight (k along the row) → MatMulNBits layout, or null for other types. */
export function ggufBlocksToNBits(type: number, src: Uint8Array, n: number, k: number): GgufNBits | null {
  if (k % 32 !== 0) return null;
  const kBlocks = k / 32;
  const blocks = n * kBlocks;
  const lut = f16Lut();
  const scales = new Float32Array(blocks);
  if (type === GGML.Q8_0) {
    const packed = new Uint8Array(blocks * 32);
    for (let b = 0; b < blocks; b++) {
      scales[b] = half(src, b * 34, lut);
      for (let j = 0; j < 32; j++) packed[b * 32 + j] = (src[b * 34 + 2 + j]! ^ 0x80) & 0xff; // int8 + 128
    }
    return { q: { bits: 8, blockSize: 32, n, k, kBlocks, packed, scales, zeroPoints: null }, mins: null };
  }
  if (type !== GGML.Q4_0 && type !== GGML.Q4_1) return null;
  const size = type === GGML.Q4_0 ? 18 : 20;
  const qs = type === GGML.Q4_0 ? 2 : 4;
  const packed = new Uint8Array(blocks * 16);
  const mins = type === GGML.Q4_1 ? new Float32Array(blocks) : null;
  for (let b = 0; b < blocks; b++) {
    const p = b * size;
    scales[b] = half(src, p, lut);
    if (mins) mins[b] = half(src, p + 2, lut);
    for (let j = 0; j < 16; j++) {
      const byte = src[p + qs + j]!;
      // element j = low nibble, element j + 16 = high nibble → MatMulNBits byte e >> 1, nibble e & 1
      for (const [e, v] of [
        [j, byte & 15],
        [j + 16, byte >> 4],
      ] as const) {
        packed[b * 16 + (e >> 1)]! |= v << ((e & 1) * 4);
      }
    }
  }
  // Q4_1: zero point 0 (packed nibbles of one row's kBlocks zero points, all 0).
  const zeroPoints = mins ? new Uint8Array(n * Math.ceil(kBlocks / 2)) : null;
  return { q: { bits: 4, blockSize: 32, n, k, kBlocks, packed, scales, zeroPoints }, mins };
}

/** Row permutation of llama.cpp's q/k layout back to HF's: HF row h·D + i·D/2 + j. */
export function unpermuteRows(w: GgufNBits, heads: number): GgufNBits {
  const { q } = w;
  const d = q.n / heads;
  const halfD = d / 2;
  const bytesPerRow = q.packed.length / q.n;
  const zpRow = q.zeroPoints ? q.zeroPoints.length / q.n : 0;
  const packed = new Uint8Array(q.packed.length);
  const scales = new Float32Array(q.scales.length);
  const mins = w.mins ? new Float32Array(w.mins.length) : null;
  const zeroPoints = q.zeroPoints ? new Uint8Array(q.zeroPoints.length) : null;
  for (let h = 0; h < heads; h++) {
    for (let j = 0; j < halfD; j++) {
      for (let i = 0; i < 2; i++) {
        const src = h * d + 2 * j + i;
        const dst = h * d + i * halfD + j;
        packed.set(q.packed.subarray(src * bytesPerRow, (src + 1) * bytesPerRow), dst * bytesPerRow);
        scales.set(q.scales.subarray(src * q.kBlocks, (src + 1) * q.kBlocks), dst * q.kBlocks);
        mins?.set(w.mins!.subarray(src * q.kBlocks, (src + 1) * q.kBlocks), dst * q.kBlocks);
        zeroPoints?.set((q.zeroPoints as Uint8Array).subarray(src * zpRow, (src + 1) * zpRow), dst * zpRow);
      }
    }
  }
  return { q: { ...q, packed, scales, zeroPoints }, mins };
}

/** Every Q8_0/Q4_0/Q4_1 Linear weight of a GGUF file, by HF name (others are left to re-quantisation). */
export async function loadGgufNBits(file: string, cfg: LlamaConfig): Promise<Map<string, GgufNBits>> {
  const out = new Map<string, GgufNBits>();
  const fh: FileHandle = await openModelFile(file);
  try {
    const header = await readGgufHeaderFrom(fh, file);
    for (const info of header.tensors) {
      const hf = ggufToHfName(info.name);
      if (!hf || info.dims.length !== 2) continue;
      if (info.type !== GGML.Q8_0 && info.type !== GGML.Q4_0 && info.type !== GGML.Q4_1) continue;
      const raw = await readGgufTensorRawFrom(fh, header, info.name, file);
      const [k, n] = info.dims as [number, number]; // ggml ne order: ne[0] = row length
      let w = ggufBlocksToNBits(info.type, raw.data, n, k);
      if (!w) continue;
      if (hf.endsWith('q_proj.weight')) w = unpermuteRows(w, cfg.num_attention_heads);
      else if (hf.endsWith('k_proj.weight')) w = unpermuteRows(w, cfg.num_key_value_heads);
      out.set(hf, w);
    }
  } finally {
    await fh.close();
  }
  return out;
}

/** How a (fused) projection can use the file's blocks: with mins (Q4_1), plainly, or not at all. */
export function exactKind(
  gguf: ReadonlyMap<string, GgufNBits>,
  names: readonly string[],
): 'mins' | 'plain' | null {
  const parts = names.map((n) => gguf.get(n));
  if (parts.some((p) => !p)) return null;
  const layout = (w: GgufNBits): string => `${w.q.bits}/${w.q.k}/${w.mins ? 'mins' : 'plain'}`;
  const first = layout(parts[0]!);
  if (parts.some((p) => layout(p!) !== first)) return null;
  return parts[0]!.mins ? 'mins' : 'plain';
}

/**
 * A Projector on the file's blocks where `exactKind` allows (with mins only when `minsOnLora`: the caller
 * feeds them through the grouped LoRA path, see `baseRankTensors`), else `fallback`.
 */
export function ggufProjector(
  gguf: ReadonlyMap<string, GgufNBits>,
  fallback: Projector,
  minsOnLora: boolean,
  accuracyLevel = 4,
): Projector {
  return (g, x, names) => {
    const kind = exactKind(gguf, names);
    if (kind === null || (kind === 'mins' && !minsOnLora)) return fallback(g, x, names);
    const q = concatNBits(names.map((n) => gguf.get(n)!.q));
    return emitNBits(g, x, `${fusedWeightName(names)}.gguf`, q, accuracyLevel);
  };
}

/**
 * The Q4_1 block-min term of each LoRA group whose weights all carry mins, as an extra rank of the group's
 * LoRA product (keyed `layer.group`): A [in, kBlocks] sums x over each 32-block (0/1 indicator), B
 * [kBlocks, Σout] holds the mins — x·A·B = Σ_b m_b·Σ_{k∈b} x_k per output.
 */
export function baseRankTensors(
  cfg: LlamaConfig,
  gguf: ReadonlyMap<string, GgufNBits>,
): Map<string, { a: F32Tensor; b: F32Tensor }> {
  const out = new Map<string, { a: F32Tensor; b: F32Tensor }>();
  for (let layer = 0; layer < cfg.num_hidden_layers; layer++) {
    for (const group of LORA_GROUPS) {
      const names = group.targets.map((t) => projWeight(layer, t));
      if (exactKind(gguf, names) !== 'mins') continue;
      const [inF, outF] = groupDims(cfg, group);
      const kB = inF / 32;
      const a = new Float32Array(inF * kB);
      for (let i = 0; i < inF; i++) a[i * kB + (i >> 5)] = 1;
      const b = new Float32Array(kB * outF);
      let col = 0;
      for (const n of names) {
        const { q, mins } = gguf.get(n)!;
        for (let o = 0; o < q.n; o++)
          for (let blk = 0; blk < kB; blk++) b[blk * outF + col + o] = mins![o * kB + blk]!;
        col += q.n;
      }
      out.set(`${layer}.${group.name}`, {
        a: { shape: [inF, kB], data: a },
        b: { shape: [kB, outF], data: b },
      });
    }
  }
  return out;
}
