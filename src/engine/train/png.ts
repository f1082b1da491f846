/**
 * A loss-curve PNG for the bots to post, with no image dependency: an RGB raster drawn here and encoded per the
 * PNG spec (W3C PNG, 2nd ed.: IHDR/IDAT/IEND chunks, CRC-32, zlib stream, filter byte 0 per row).
 */
import { deflateSync } from 'node:zlib';

import type { LossPoint } from '../store.js';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** Encodes an 8-bit RGB raster (`rgb.length = 3·width·height`). */
export function encodePng(width: number, height: number, rgb: Uint8Array): Buffer {
  const raw = Buffer.alloc((3 * width + 1) * height);
  for (let y = 0; y < height; y++)
    raw.set(rgb.subarray(3 * width * y, 3 * width * (y + 1)), y * (3 * width + 1) + 1);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type 2 (RGB), deflate, filter 0, no interlace
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array()),
  ]);
}

type Rgb = readonly [number, number, number];
const TRAIN: Rgb = [31, 119, 180];
const VAL: Rgb = [214, 39, 40];
const AXIS: Rgb = [90, 90, 90];
const GRID: Rgb = [225, 225, 225];

/**
 * Training loss (blue line) and validation loss (red squares) against the step, on a linear axis from 0 to the
 * highest loss; light grid lines at quarters. No text: the caller posts the figures alongside.
 */
export function lossCurvePng(history: readonly LossPoint[], width = 640, height = 360): Buffer {
  const rgb = new Uint8Array(width * height * 3).fill(255);
  const set = (x: number, y: number, c: Rgb): void => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    rgb.set(c, 3 * (Math.round(y) * width + Math.round(x)));
  };
  const m = { l: 40, r: 16, t: 16, b: 30 };
  const pw = width - m.l - m.r;
  const ph = height - m.t - m.b;
  const maxStep = Math.max(1, ...history.map((p) => p.step));
  const maxLoss = Math.max(1e-9, ...history.flatMap((p) => [p.loss, p.valLoss ?? 0]));
  const px = (step: number): number => m.l + (step / maxStep) * pw;
  const py = (loss: number): number => m.t + ph - (loss / maxLoss) * ph;
  for (let q = 1; q <= 4; q++) for (let x = m.l; x <= m.l + pw; x++) set(x, m.t + ph - (q * ph) / 4, GRID);
  for (let x = m.l; x <= m.l + pw; x++) set(x, m.t + ph, AXIS);
  for (let y = m.t; y <= m.t + ph; y++) set(m.l, y, AXIS);
  const line = (x0: number, y0: number, x1: number, y1: number, c: Rgb): void => {
    const n = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    for (let i = 0; i <= n; i++) {
      const x = x0 + ((x1 - x0) * i) / n;
      const y = y0 + ((y1 - y0) * i) / n;
      set(x, y, c);
      set(x, y + 1, c);
    }
  };
  history.forEach((p, i) => {
    const prev = history[i - 1];
    if (prev) line(px(prev.step), py(prev.loss), px(p.step), py(p.loss), TRAIN);
  });
  for (const p of history) {
    if (p.valLoss === undefined) continue;
    for (let dx = -3; dx <= 3; dx++)
      for (let dy = -3; dy <= 3; dy++) set(px(p.step) + dx, py(p.valLoss) + dy, VAL);
  }
  return encodePng(width, height, rgb);
}
