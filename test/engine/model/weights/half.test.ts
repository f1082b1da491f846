import { describe, expect, it } from 'vitest';
import { f16ToF32, f32ToBf16, f32ToF16 } from '../../../../src/engine/model/weights/half.js';

describe('half precision', () => {
  it.each([
    [0x3c00, 1],
    [0xc000, -2],
    [0x7bff, 65504],
    [0x0001, 2 ** -24],
    [0x0400, 2 ** -14],
    [0x3555, 0.333251953125],
    [0x8000, -0],
    [0x7c00, Infinity],
  ])('f16 %s decodes to %s and encodes back', (bits, value) => {
    expect(f16ToF32(bits)).toBe(value);
    expect(f32ToF16(value)).toBe(bits);
  });

  it('rounds f32 → f16 to nearest even and overflows to infinity', () => {
    expect(f32ToF16(1 + 2 ** -11)).toBe(0x3c00); // tie → even mantissa 0
    expect(f32ToF16(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even mantissa 2
    expect(f32ToF16(70000)).toBe(0x7c00);
    expect(f32ToF16(2 ** -25)).toBe(0); // tie between 0 and the smallest subnormal → 0
    expect(Number.isNaN(f16ToF32(f32ToF16(NaN)))).toBe(true);
  });

  it('rounds f32 → bf16 to nearest even', () => {
    expect(f32ToBf16(1)).toBe(0x3f80);
    expect(f32ToBf16(-2)).toBe(0xc000);
    expect(f32ToBf16(1 + 2 ** -8)).toBe(0x3f80); // tie → even
    expect(f32ToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82);
  });
});
