/**
 * IEEE-754 binary16 and bfloat16 ↔ float32. bf16 is the top half of an f32;
 * f32 → f16/bf16 rounds to nearest-even like numpy/PyTorch, so re-reading what we wrote is stable.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** binary16 bits → number. */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** number → binary16 bits (round to nearest even; overflow → ±Inf). */
export function f32ToF16(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rem = mant & ((1 << shift) - 1);
    let out = mant >>> shift;
    if (rem > half || (rem === half && out & 1)) out++;
    return sign | out;
  }
  const rem = mant & 0x1fff;
  mant >>>= 13;
  if (rem > 0x1000 || (rem === 0x1000 && mant & 1)) {
    mant++;
    if (mant === 0x400) {
      mant = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | mant;
}

/** number → bfloat16 bits (round to nearest even, NaN kept quiet). */
export function f32ToBf16(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  if ((bits & 0x7f800000) === 0x7f800000 && bits & 0x7fffff) return ((bits >>> 16) | 0x40) & 0xffff;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

let f16Table: Float32Array | undefined;
/** All 65536 half values, built once (256 KiB): a lookup beats bit-twiddling per element. */
export function f16Lut(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16ToF32(h);
  }
  return f16Table;
}

/** Little-endian f16 bytes → f32 values, written into `out` from `outOffset`. */
export function decodeF16(src: Uint8Array, out: Float32Array, outOffset = 0): void {
  const n = src.length >> 1;
  const lut = f16Lut();
  for (let i = 0; i < n; i++) out[outOffset + i] = lut[src[2 * i]! | (src[2 * i + 1]! << 8)]!;
}

/** Little-endian bf16 bytes → f32 values (`f32bits = bf16 << 16`). */
export function decodeBf16(src: Uint8Array, out: Float32Array, outOffset = 0): void {
  const n = src.length >> 1;
  const bits = new Uint32Array(out.buffer, out.byteOffset + outOffset * 4, n);
  for (let i = 0; i < n; i++) bits[i] = ((src[2 * i]! | (src[2 * i + 1]! << 8)) << 16) >>> 0;
}

/** Little-endian f32 bytes → f32 values (copies; `src` may be unaligned). */
export function decodeF32(src: Uint8Array, out: Float32Array, outOffset = 0): void {
  new Uint8Array(out.buffer, out.byteOffset + outOffset * 4, src.length).set(src);
}
