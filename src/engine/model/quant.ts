/**
 * Weight quantisation for onnxruntime's com.microsoft `MatMulNBits`: a Linear weight
 * W [N, K] (PyTorch [out, in]) is cut into blocks of `blockSize` along K, each stored as `bits`-bit integers q
 * with a per-block scale s and zero point z, w = (q − z)·s. Layouts follow the op's contrib schema:
 * B uint8 [N, kBlocks, blockSize·bits/8] (4-bit: element 2j in the low nibble), scales [N, kBlocks],
 * zero points uint8 [N, ceil(kBlocks·bits/8)] (4-bit: packed two per byte, low nibble first).
 *
 * - q4: asymmetric round-to-nearest per block (as ORT's MatMul4BitsQuantizer / GGUF Q4_1): s = (max − min)/15,
 *   z = round(−min/s). An integer z keeps MLAS's int8 fast path (float zero points disable pre-packing).
 * - q8: symmetric, s = absmax/127, z = 128 (the op default, so no zero-point input).
 * accuracy_level 4 lets the CPU kernel quantise activations to int8 per block and use integer dot products.
 */
import type { Graph, Value } from './graph/builder.js';
import { concatRows, fusedWeightName, type Projector } from './llama.js';
import type { F32Tensor, WeightMap } from './types.js';
import { SmolmapError } from '../errors.js';

export type WeightQuant = 'f32' | 'q8' | 'q4' | 'i8';
export const WEIGHT_QUANTS: readonly WeightQuant[] = ['f32', 'q8', 'q4', 'i8'];

/** A mode a user may ask for: a weight mode, or `auto` (the fastest that passes this machine's self-check). */
export type QuantRequest = WeightQuant | 'auto';
export const QUANT_REQUESTS: readonly QuantRequest[] = [...WEIGHT_QUANTS, 'auto'];

/** A weight mode named by a user (`--quant`, a request): one of QUANT_REQUESTS, else a usage error. */
export function checkQuant(q: string): QuantRequest {
  if (!(QUANT_REQUESTS as readonly string[]).includes(q)) {
    throw new SmolmapError(
      'usage_bad_option',
      `--quant must be one of ${QUANT_REQUESTS.join(', ')} (got "${q}")`,
    );
  }
  return q as QuantRequest;
}

export interface NBitsWeight {
  bits: 4 | 8;
  blockSize: number;
  /** Rows (out features) and columns (in features) of W. */
  n: number;
  k: number;
  kBlocks: number;
  packed: Uint8Array; // [n, kBlocks, blockSize·bits/8]
  scales: Float32Array; // [n, kBlocks]
  /**
   * Packed uint8 zero points; or float zero points [n, kBlocks] (the op's "same type as A" form, which GGUF
   * Q4_1's fractional offsets need: z = −m/d); or null for the op default 2^(bits−1).
   */
  zeroPoints: Uint8Array | Float32Array | null;
}

/** The zero point of row r, block b. */
export function zeroPointAt(q: NBitsWeight, r: number, b: number): number {
  const zp = q.zeroPoints;
  if (!zp) return 1 << (q.bits - 1);
  if (zp instanceof Float32Array) return zp[r * q.kBlocks + b]!;
  if (q.bits === 8) return zp[r * q.kBlocks + b]!;
  const zpRow = Math.ceil(q.kBlocks / 2);
  return (zp[r * zpRow + (b >> 1)]! >> ((b & 1) * 4)) & 15;
}

/** The same weight with its zero points as floats (equal dequantised values; another ORT kernel path). */
export function withFloatZeroPoints(q: NBitsWeight): NBitsWeight {
  const zp = new Float32Array(q.n * q.kBlocks);
  for (let r = 0; r < q.n; r++)
    for (let b = 0; b < q.kBlocks; b++) zp[r * q.kBlocks + b] = zeroPointAt(q, r, b);
  return { ...q, zeroPoints: zp };
}

/** Row-concatenation of quantised weights with one input width and layout (a fused projection). */
export function concatNBits(parts: readonly NBitsWeight[]): NBitsWeight {
  const first = parts[0]!;
  if (parts.length === 1) return first;
  const kinds = (q: NBitsWeight): string =>
    `${q.bits}/${q.blockSize}/${q.k}/${q.zeroPoints === null ? 'none' : q.zeroPoints.constructor.name}`;
  if (parts.some((p) => kinds(p) !== kinds(first))) {
    throw new SmolmapError('internal', 'internal: fused quantised weights differ in layout');
  }
  const cat = <T extends Uint8Array | Float32Array>(xs: T[]): T => {
    const out = new (xs[0]!.constructor as new (n: number) => T)(xs.reduce((s, x) => s + x.length, 0));
    let off = 0;
    for (const x of xs) {
      out.set(x, off);
      off += x.length;
    }
    return out;
  };
  return {
    ...first,
    n: parts.reduce((s, p) => s + p.n, 0),
    packed: cat(parts.map((p) => p.packed)),
    scales: cat(parts.map((p) => p.scales)),
    zeroPoints: first.zeroPoints ? cat(parts.map((p) => p.zeroPoints!)) : null,
  };
}

const blockRange = (row: Float32Array, start: number, end: number): [number, number] => {
  let lo = 0; // blocks include 0 so zero (and zero padding) stays exact
  let hi = 0;
  for (let i = start; i < end; i++) {
    const v = row[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
};

/** Quantises W [n, k] (row-major) to MatMulNBits layout. */
export function quantizeNBits(w: F32Tensor, bits: 4 | 8, blockSize = 32): NBitsWeight {
  const [n, k] = w.shape as [number, number];
  if (w.shape.length !== 2) throw new SmolmapError('quant_bad_shape', 'only 2-D weights can be quantised');
  const kBlocks = Math.ceil(k / blockSize);
  const blob = (blockSize * bits) / 8;
  const packed = new Uint8Array(n * kBlocks * blob);
  const scales = new Float32Array(n * kBlocks);
  const zpRow = Math.ceil((kBlocks * bits) / 8);
  const zeroPoints = bits === 4 ? new Uint8Array(n * zpRow) : null;
  const qmax = bits === 4 ? 15 : 255;
  for (let r = 0; r < n; r++) {
    const row = w.data.subarray(r * k, (r + 1) * k);
    for (let b = 0; b < kBlocks; b++) {
      const start = b * blockSize;
      const end = Math.min(start + blockSize, k);
      const [lo, hi] = blockRange(row, start, end);
      let s: number;
      let z: number;
      if (bits === 4) {
        s = (hi - lo) / qmax;
        z = s === 0 ? 8 : Math.min(qmax, Math.max(0, Math.round(-lo / s)));
      } else {
        s = Math.max(-lo, hi) / 127;
        z = 128;
      }
      const inv = s === 0 ? 0 : 1 / s;
      scales[r * kBlocks + b] = s;
      if (zeroPoints) zeroPoints[r * zpRow + (b >> 1)]! |= z << ((b & 1) * 4);
      const base = (r * kBlocks + b) * blob;
      for (let i = start; i < end; i++) {
        const q = Math.min(qmax, Math.max(0, Math.round(row[i]! * inv) + z));
        const j = i - start;
        if (bits === 8) packed[base + j] = q;
        else packed[base + (j >> 1)]! |= q << ((j & 1) * 4);
      }
      // Padding past k (when blockSize ∤ k) must dequantise to 0: q = z.
      for (let j = end - start; j < blockSize; j++) {
        if (bits === 8) packed[base + j] = z;
        else packed[base + (j >> 1)]! |= z << ((j & 1) * 4);
      }
    }
  }
  return { bits, blockSize, n, k, kBlocks, packed, scales, zeroPoints };
}

/** The f32 weight a quantised one stands for (tests and accuracy reports). */
export function dequantizeNBits(q: NBitsWeight): Float32Array {
  const out = new Float32Array(q.n * q.k);
  const blob = (q.blockSize * q.bits) / 8;
  for (let r = 0; r < q.n; r++) {
    for (let i = 0; i < q.k; i++) {
      const b = Math.floor(i / q.blockSize);
      const j = i - b * q.blockSize;
      const byte = q.packed[(r * q.kBlocks + b) * blob + (q.bits === 8 ? j : j >> 1)]!;
      const v = q.bits === 8 ? byte : (byte >> ((j & 1) * 4)) & 15;
      out[r * q.k + i] = Math.fround((v - zeroPointAt(q, r, b)) * q.scales[r * q.kBlocks + b]!);
    }
  }
  return out;
}

/** Emits y = x·dequant(W)ᵀ for a quantised weight, with its tensors as initializers named after W. */
export function emitNBits(g: Graph, x: Value, name: string, q: NBitsWeight, accuracyLevel = 4): Value {
  const blob = (q.blockSize * q.bits) / 8;
  const packed = g.initializer(`${name}.qweight`, { shape: [q.n, q.kBlocks, blob], data: q.packed }, 'uint8');
  const scales = g.initializer(`${name}.scales`, { shape: [q.n, q.kBlocks], data: q.scales });
  const zp =
    q.zeroPoints instanceof Float32Array
      ? g.initializer(`${name}.qzeros`, { shape: [q.n, q.kBlocks], data: q.zeroPoints })
      : q.zeroPoints
        ? g.initializer(`${name}.qzeros`, { shape: [q.zeroPoints.length], data: q.zeroPoints }, 'uint8')
        : null;
  return g.matmulNBits(x, packed, scales, zp, {
    K: q.k,
    N: q.n,
    bits: q.bits,
    blockSize: q.blockSize,
    accuracyLevel,
  });
}

/**
 * A Projector (llama.ts) that applies every frozen projection and the LM head through MatMulNBits, quantising
 * each weight once per graph (the tied embedding's Gather stays f32; only its LM-head use is quantised).
 * Fused projections quantise their row-concatenation, which equals quantising each part (blocks run along K).
 * The LM head takes `headBits` (default 8): at 4 bits it caused most of q4's logit error (bench/inference).
 */
export function quantProjector(
  weights: WeightMap,
  quant: Exclude<WeightQuant, 'f32'>,
  accuracyLevel = 4,
  headBits: 4 | 8 = 8,
): Projector {
  const bits = quant === 'q4' ? 4 : 8;
  return (g, x, names) => {
    const head = isHeadProjection(names);
    const w = quantizeNBits(concatRows(weights, names), head ? headBits : bits);
    return emitNBits(g, x, fusedWeightName(names), w, accuracyLevel);
  };
}

/** Whether a projection is the LM head (its own weight, or the tied embedding). */
export const isHeadProjection = (names: readonly string[]): boolean =>
  names.length === 1 && (names[0] === 'lm_head.weight' || names[0] === 'model.embed_tokens.weight');

/**
 * Symmetric 8-bit weights per output row for com.microsoft DynamicQuantizeMatMul: W [n, k] (row-major,
 * y = x·Wᵀ) → q [n, k] uint8 with zero point 128 and scale max|W[j, :]|/127 per row j (the product's output
 * column; the graph transposes q to the op's [k, n], which ORT folds at session build). `smooth` (length k,
 * SmoothQuant, Xiao et al. 2023) multiplies W's input channels before quantising; the caller divides x by it.
 */
export function quantizeInt8Columns(
  w: Float32Array,
  n: number,
  k: number,
  smooth: Float32Array | null = null,
): { q: Uint8Array; scales: Float32Array } {
  const q = new Uint8Array(n * k);
  const scales = new Float32Array(n);
  const row = new Float32Array(k);
  for (let j = 0; j < n; j++) {
    const at = j * k;
    let m = 0;
    for (let i = 0; i < k; i++) {
      const v = smooth ? w[at + i]! * smooth[i]! : w[at + i]!;
      row[i] = v;
      const a = v < 0 ? -v : v;
      if (a > m) m = a;
    }
    const s = m > 0 ? m / 127 : 1;
    const inv = 1 / s;
    scales[j] = s;
    for (let i = 0; i < k; i++) q[at + i] = Math.round(row[i]! * inv) + 128;
  }
  return { q, scales };
}

/**
 * A Projector for int8 inference: every frozen projection through DynamicQuantizeMatMul (activations quantised
 * to uint8 per tensor at run time, weights per column), the LM head left to the caller (lazy f32 head).
 * `smooth`, keyed by fused weight name: per-input-channel factors s; x/s goes into the product, W·s is quantised.
 */
export function int8Projector(
  weights: WeightMap,
  smooth: ReadonlyMap<string, Float32Array> = new Map(),
): Projector {
  return (g, x, names) => {
    const name = fusedWeightName(names);
    const w = concatRows(weights, names);
    const [n, k] = w.shape as [number, number];
    if (isHeadProjection(names)) return g.matmul(x, g.transpose(g.initializer(`${name}.head`, w), [1, 0]));
    const s = smooth.get(name) ?? null;
    if (smooth.size > 0 && !s) {
      // calibration ran on another graph layout (fused vs per-projection names): never quantise unsmoothed quietly
      throw new SmolmapError('internal', `internal: no smoothing factors for ${name}`);
    }
    const { q, scales } = quantizeInt8Columns(w.data, n, k, s);
    let input = x;
    if (s) {
      const inv = new Float32Array(k);
      for (let i = 0; i < k; i++) inv[i] = 1 / s[i]!;
      input = g.mul(x, g.initializer(`${name}.smooth`, { shape: [k], data: inv }));
    }
    return g.dynQMatmul(
      input,
      g.transpose(g.initializer(`${name}.q8`, { shape: [n, k], data: q }, 'uint8'), [1, 0]),
      g.initializer(`${name}.q8scales`, { shape: [n], data: scales }),
      g.initializer(`${name}.q8zp`, { shape: [n], data: new Uint8Array(n).fill(128) }, 'uint8'),
    );
  };
}
