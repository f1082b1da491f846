import { SmolmapError } from '../../errors.js';
import { GGML, ggmlTypeInfo } from './ggml-types.js';
import { decodeBf16, decodeF16, decodeF32, f16Lut } from './half.js';

/**
 * ggml block formats → f32, one function per type, formulas from gguf-py `quants.py` and ggml-quants.c
 * `dequantize_row_*`. Each block starts with or ends with f16 scale(s); elements of a
 * 32-block pair j with j+16 in one byte (low nibble first).
 */
type Dequant = (src: Uint8Array, out: Float32Array, blocks: number) => void;

const half = (src: Uint8Array, at: number, lut: Float32Array): number => lut[src[at]! | (src[at + 1]! << 8)]!;
const u32 = (src: Uint8Array, at: number): number =>
  (src[at]! | (src[at + 1]! << 8) | (src[at + 2]! << 16) | (src[at + 3]! << 24)) >>> 0;

// Q8_0: d:f16, qs:int8[32]; x = d·q
const q8_0: Dequant = (src, out, blocks) => {
  const lut = f16Lut();
  const qs = new Int8Array(src.buffer, src.byteOffset, src.length);
  for (let b = 0; b < blocks; b++) {
    const p = b * 34;
    const d = lut[src[p]! | (src[p + 1]! << 8)]!;
    const o = b * 32;
    for (let j = 0; j < 32; j++) out[o + j] = d * qs[p + 2 + j]!;
  }
};

// Q4_0: d:f16, qs:u8[16]; x[j] = d·(lo − 8), x[j+16] = d·(hi − 8)
const q4_0: Dequant = (src, out, blocks) => {
  const lut = f16Lut();
  for (let b = 0; b < blocks; b++) {
    const p = b * 18;
    const d = half(src, p, lut);
    for (let j = 0; j < 16; j++) {
      const q = src[p + 2 + j]!;
      out[b * 32 + j] = d * ((q & 0xf) - 8);
      out[b * 32 + j + 16] = d * ((q >> 4) - 8);
    }
  }
};

// Q4_1: d:f16, m:f16, qs:u8[16]; x = d·q + m
const q4_1: Dequant = (src, out, blocks) => {
  const lut = f16Lut();
  for (let b = 0; b < blocks; b++) {
    const p = b * 20;
    const d = half(src, p, lut);
    const m = half(src, p + 2, lut);
    for (let j = 0; j < 16; j++) {
      const q = src[p + 4 + j]!;
      out[b * 32 + j] = d * (q & 0xf) + m;
      out[b * 32 + j + 16] = d * (q >> 4) + m;
    }
  }
};

/** Q5 shared part: low nibbles in qs, 5th bits in qh (bit j for element j). */
function q5(src: Uint8Array, out: Float32Array, blocks: number, withMin: boolean): void {
  const lut = f16Lut();
  const size = withMin ? 24 : 22;
  const qsAt = withMin ? 8 : 6;
  for (let b = 0; b < blocks; b++) {
    const p = b * size;
    const d = half(src, p, lut);
    const m = withMin ? half(src, p + 2, lut) : 0;
    const qh = u32(src, p + (withMin ? 4 : 2));
    for (let j = 0; j < 16; j++) {
      const q = src[p + qsAt + j]!;
      const lo = (q & 0xf) | (((qh >>> j) & 1) << 4);
      const hi = (q >> 4) | (((qh >>> (j + 16)) & 1) << 4);
      // Q5_0: x = d·(q − 16); Q5_1: x = d·q + m
      out[b * 32 + j] = withMin ? d * lo + m : d * (lo - 16);
      out[b * 32 + j + 16] = withMin ? d * hi + m : d * (hi - 16);
    }
  }
}

// Q4_K: d, dmin: f16, scales: u8[12] (eight 6-bit scale/min pairs), qs: u8[128]; x = d·sc·q − dmin·m
const q4_k: Dequant = (src, out, blocks) => {
  const lut = f16Lut();
  const sc = new Uint8Array(8);
  const mn = new Uint8Array(8);
  for (let b = 0; b < blocks; b++) {
    const p = b * 144;
    const d = half(src, p, lut);
    const dmin = half(src, p + 2, lut);
    const s = (k: number) => src[p + 4 + k]!;
    for (let k = 0; k < 8; k++) {
      // get_scale_min_k4 (ggml-quants.c)
      sc[k] = k < 4 ? s(k) & 63 : (s(k + 4) & 0xf) | ((s(k - 4) >> 6) << 4);
      mn[k] = k < 4 ? s(k + 4) & 63 : (s(k + 4) >> 4) | ((s(k) >> 6) << 4);
    }
    for (let c = 0; c < 4; c++) {
      const d1 = d * sc[2 * c]!;
      const m1 = dmin * mn[2 * c]!;
      const d2 = d * sc[2 * c + 1]!;
      const m2 = dmin * mn[2 * c + 1]!;
      for (let l = 0; l < 32; l++) {
        const q = src[p + 16 + 32 * c + l]!;
        out[b * 256 + 64 * c + l] = d1 * (q & 0xf) - m1;
        out[b * 256 + 64 * c + 32 + l] = d2 * (q >> 4) - m2;
      }
    }
  }
};

// Q6_K: ql: u8[128], qh: u8[64], scales: int8[16], d: f16; x = d·scale[e/16]·(q − 32)
const q6_k: Dequant = (src, out, blocks) => {
  const lut = f16Lut();
  for (let b = 0; b < blocks; b++) {
    const p = b * 210;
    const d = half(src, p + 208, lut);
    const scale = (i: number) => (src[p + 192 + i]! << 24) >> 24;
    for (let h = 0; h < 2; h++) {
      const ql = p + 64 * h;
      const qh = p + 128 + 32 * h;
      const o = b * 256 + 128 * h;
      for (let l = 0; l < 32; l++) {
        const hb = src[qh + l]!;
        const is = 8 * h + (l >> 4);
        out[o + l] = d * scale(is) * (((src[ql + l]! & 0xf) | ((hb & 3) << 4)) - 32);
        out[o + 32 + l] = d * scale(is + 2) * (((src[ql + l + 32]! & 0xf) | (((hb >> 2) & 3) << 4)) - 32);
        out[o + 64 + l] = d * scale(is + 4) * (((src[ql + l]! >> 4) | (((hb >> 4) & 3) << 4)) - 32);
        out[o + 96 + l] = d * scale(is + 6) * (((src[ql + l + 32]! >> 4) | (((hb >> 6) & 3) << 4)) - 32);
      }
    }
  }
};

const DEQUANT: ReadonlyMap<number, Dequant> = new Map<number, Dequant>([
  [GGML.F32, (src, out) => decodeF32(src, out)],
  [GGML.F16, (src, out) => decodeF16(src, out)],
  [GGML.BF16, (src, out) => decodeBf16(src, out)],
  [GGML.Q8_0, q8_0],
  [GGML.Q4_0, q4_0],
  [GGML.Q4_1, q4_1],
  [GGML.Q5_0, (s, o, n) => q5(s, o, n, false)],
  [GGML.Q5_1, (s, o, n) => q5(s, o, n, true)],
  [GGML.Q4_K, q4_k],
  [GGML.Q6_K, q6_k],
]);

export const DEQUANTISABLE_TYPES: readonly string[] = [...DEQUANT.keys()].map((id) => ggmlTypeInfo(id)!.name);

/** Dequantises `elements` values of ggml type `type` from `src` (which must hold exactly their blocks). */
export function dequantize(type: number, src: Uint8Array, elements: number, tensor = '?'): Float32Array {
  const info = ggmlTypeInfo(type);
  const fn = DEQUANT.get(type);
  if (!info || !fn) {
    throw new SmolmapError(
      'gguf_unsupported_type',
      `tensor '${tensor}' is stored as ${info?.name ?? `ggml type ${type}`}, which smolmap cannot dequantise; ` +
        `use a GGUF quantised as one of ${DEQUANTISABLE_TYPES.join(', ')}.`,
      { details: { tensor, type: info?.name ?? type } },
    );
  }
  const blocks = elements / info.blockSize;
  if (!Number.isInteger(blocks) || src.length !== blocks * info.typeSize) {
    throw new SmolmapError(
      'gguf_invalid',
      `tensor '${tensor}': ${src.length} bytes do not hold ${elements} ${info.name} values; the file is corrupt.`,
    );
  }
  const out = new Float32Array(elements);
  fn(src, out, blocks);
  return out;
}
