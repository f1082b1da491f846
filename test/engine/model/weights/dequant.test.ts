import { describe, expect, it } from 'vitest';
import { dequantize } from '../../../../src/engine/model/weights/dequant.js';
import { GGML } from '../../../../src/engine/model/weights/ggml-types.js';
import {
  encodeF16,
  quantErrorBound,
  quantizeQ4_1,
  quantizeQ8_0,
} from '../../../../src/engine/model/weights/quantize.js';

/** A block of `size` zero bytes with the given (offset → byte) patches. */
function block(size: number, patches: Record<number, number>): Uint8Array {
  const b = new Uint8Array(size);
  for (const [at, v] of Object.entries(patches)) b[Number(at)] = v;
  return b;
}
// f16 bit patterns (little-endian byte pairs): 1.0 = 0x3C00, 0.5 = 0x3800, 2.0 = 0x4000, -1.0 = 0xBC00
const F16 = { one: [0x00, 0x3c], half: [0x00, 0x38], two: [0x00, 0x40], minusOne: [0x00, 0xbc] };

describe('dequantize (hand-computed blocks)', () => {
  it('F32, F16 and BF16', () => {
    const f32 = new Uint8Array(new Float32Array([1.5, -3]).buffer);
    expect([...dequantize(GGML.F32, f32, 2)]).toEqual([1.5, -3]);
    expect([...dequantize(GGML.F16, new Uint8Array([...F16.half, ...F16.minusOne]), 2)]).toEqual([0.5, -1]);
    // bf16 0x3FC0 = 1.5, 0xC040 = -3
    expect([...dequantize(GGML.BF16, new Uint8Array([0xc0, 0x3f, 0x40, 0xc0]), 2)]).toEqual([1.5, -3]);
  });

  it('Q8_0: x = d·q', () => {
    const src = block(34, { 0: F16.half[0]!, 1: F16.half[1]!, 2: 1, 3: 0xff, 4: 127, 5: 0x80 });
    const x = dequantize(GGML.Q8_0, src, 32);
    expect([...x.slice(0, 5)]).toEqual([0.5, -0.5, 63.5, -64, 0]);
  });

  it('Q4_0: x[j] = d·(lo − 8), x[j+16] = d·(hi − 8)', () => {
    const src = block(18, { 0: F16.two[0]!, 1: F16.two[1]!, 2: 0x9f, 3: 0x08 });
    const x = dequantize(GGML.Q4_0, src, 32);
    expect(x[0]).toBe(14); // 2·(15 − 8)
    expect(x[16]).toBe(2); // 2·(9 − 8)
    expect(x[1]).toBe(0); // 2·(8 − 8)
    expect(x[17]).toBe(-16); // 2·(0 − 8)
    expect(x[5]).toBe(-16);
  });

  it('Q4_1: x = d·q + m', () => {
    const src = block(20, {
      0: F16.one[0]!,
      1: F16.one[1]!,
      2: F16.minusOne[0]!,
      3: F16.minusOne[1]!,
      4: 0x2f,
    });
    const x = dequantize(GGML.Q4_1, src, 32);
    expect([x[0], x[16], x[1], x[31]]).toEqual([14, 1, -1, -1]);
  });

  it('Q5_0: 5th bit from qh, x = d·(q − 16)', () => {
    // qh bits 0, 5 and 16 set
    const qh = (1 << 0) | (1 << 5) | (1 << 16);
    const src = block(22, {
      0: F16.one[0]!,
      1: F16.one[1]!,
      2: qh & 0xff,
      3: 0,
      4: (qh >> 16) & 0xff,
      5: 0,
      6: 0x21,
    });
    const x = dequantize(GGML.Q5_0, src, 32);
    expect(x[0]).toBe(1); // (1 | 16) − 16
    expect(x[16]).toBe(2); // (2 | 16) − 16
    expect(x[5]).toBe(0); // (0 | 16) − 16
    expect(x[21]).toBe(-16);
    expect(x[1]).toBe(-16);
  });

  it('Q5_1: x = d·q + m', () => {
    // d = 0.5, m = 1, qh bit 31 set, qs[15] = 0xF3
    const src = block(24, {
      0: F16.half[0]!,
      1: F16.half[1]!,
      2: F16.one[0]!,
      3: F16.one[1]!,
      7: 0x80,
      23: 0xf3,
    });
    const x = dequantize(GGML.Q5_1, src, 32);
    expect(x[15]).toBe(2.5); // 0.5·3 + 1
    expect(x[31]).toBe(16.5); // 0.5·(15 | 16) + 1
    expect(x[0]).toBe(1);
  });

  it('Q4_K: 6-bit packed scales/mins, x = d·sc·q − dmin·m', () => {
    // d = 1, dmin = 0.5; scales s[0] = 0x42 (sc0 = 2, top bits → sc4), s[4] = 0x83 (m0 = 3, top bits → m4),
    // s[8] = 0x51 → sc4 = 1 | 1<<4 = 17, m4 = 5 | 2<<4 = 37
    const src = block(144, {
      0: F16.one[0]!,
      1: F16.one[1]!,
      2: F16.half[0]!,
      3: F16.half[1]!,
      4: 0x42,
      8: 0x83,
      12: 0x51,
      16: 0x07, // qs[0]
      [16 + 64 + 3]: 0x0a, // qs[67]: chunk 2, low nibble → element 131
    });
    const x = dequantize(GGML.Q4_K, src, 256);
    expect(x[0]).toBe(12.5); // 1·2·7 − 0.5·3
    expect(x[1]).toBe(-1.5); // 1·2·0 − 0.5·3
    expect(x[32]).toBe(0); // sub-block 1: sc = m = 0
    expect(x[131]).toBe(151.5); // 1·17·10 − 0.5·37
    expect(x[128]).toBe(-18.5);
    expect(x[255]).toBe(0);
  });

  it('Q6_K: 4 low bits in ql, 2 high bits in qh, int8 scales per 16, x = d·s·(q − 32)', () => {
    const scales = [2, 0, -3, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0];
    const patches: Record<number, number> = {
      0: 0x5a,
      32: 0x00,
      128: 0xc6,
      [64 + 1]: 0x0f,
      208: 0x00,
      209: 0x38,
    };
    scales.forEach((s, i) => (patches[192 + i] = s & 0xff));
    const x = dequantize(GGML.Q6_K, block(210, patches), 256);
    expect(x[0]).toBe(10); // q = 0xA | 2<<4 = 42 → 0.5·2·10
    expect(x[32]).toBe(24); // q = 0 | 1<<4 = 16 → 0.5·(−3)·(−16)
    expect(x[64]).toBe(-13.5); // q = 5 | 0 → 0.5·1·(−27)
    expect(x[96]).toBe(8); // q = 0 | 3<<4 = 48 → 0.5·1·16
    expect(x[1]).toBe(-32); // q = 0 → 0.5·2·(−32)
    expect(x[129]).toBe(-8.5); // second half: ql[65] = 15 → 0.5·1·(15 − 32)
    expect(x[16]).toBe(-0); // scale[1] = 0
  });

  it('names an unsupported type and rejects a wrong byte count', () => {
    expect(() => dequantize(10, new Uint8Array(84), 256, 'blk.0.attn_q.weight')).toThrow(/Q2_K/);
    expect(() => dequantize(10, new Uint8Array(84), 256)).toThrowError(
      expect.objectContaining({ code: 'gguf_unsupported_type' }) as Error,
    );
    expect(() => dequantize(GGML.Q8_0, new Uint8Array(33), 32)).toThrowError(
      expect.objectContaining({ code: 'gguf_invalid' }) as Error,
    );
  });
});

describe('quantisers round-trip within their error bound', () => {
  const x = Float32Array.from({ length: 128 }, (_, i) => Math.sin(i * 0.37) * (1 + (i % 7)));
  const span = (b: number) => {
    const v = x.slice(b * 32, b * 32 + 32);
    return [Math.min(...v), Math.max(...v)] as const;
  };

  it('Q8_0 (hand-checked first block scale)', () => {
    const q = quantizeQ8_0(new Float32Array([127, ...new Array<number>(31).fill(0)]));
    expect([...q.slice(0, 3)]).toEqual([0x00, 0x3c, 127]); // d = 1 (f16 0x3C00), q0 = 127
    const y = dequantize(GGML.Q8_0, quantizeQ8_0(x), x.length);
    for (let i = 0; i < x.length; i++) {
      const [lo, hi] = span(Math.floor(i / 32));
      expect(Math.abs(y[i]! - x[i]!)).toBeLessThanOrEqual(quantErrorBound('q8_0', lo, hi));
    }
  });

  it('Q4_1', () => {
    const y = dequantize(GGML.Q4_1, quantizeQ4_1(x), x.length);
    let worst = 0;
    for (let i = 0; i < x.length; i++) {
      const [lo, hi] = span(Math.floor(i / 32));
      const err = Math.abs(y[i]! - x[i]!);
      worst = Math.max(worst, err);
      expect(err).toBeLessThanOrEqual(quantErrorBound('q4_1', lo, hi));
    }
    expect(worst).toBeGreaterThan(0); // 4-bit really is lossy here
  });

  it('F16 encoding', () => {
    expect([...encodeF16(new Float32Array([1, -2]))]).toEqual([0x00, 0x3c, 0x00, 0xc0]);
  });
});
