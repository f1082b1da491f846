import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

import {
  evalChartPng,
  evalChartSvg,
  lossChartPng,
  lossChartSvg,
  niceTicks,
} from '../../../src/engine/train/chart.js';
import type { OperationScore } from '../../../src/engine/train/metrics.js';

const history = Array.from({ length: 60 }, (_, i) => ({
  step: i + 1,
  loss: 3 * Math.exp(-i / 15) + 0.1,
  ...(i % 10 === 9 && { valLoss: 3 * Math.exp(-i / 15) + 0.3 }),
}));

/** Pixels of the decoded PNG close to `rgb` (anti-aliasing blends edges, so the core colour is counted). */
async function decode(png: Buffer): Promise<{ width: number; height: number; near(rgb: number[]): number }> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    near(rgb) {
      let n = 0;
      for (let o = 0; o < data.length; o += 3)
        if (
          Math.abs(data[o]! - rgb[0]!) + Math.abs(data[o + 1]! - rgb[1]!) + Math.abs(data[o + 2]! - rgb[2]!) <
          30
        )
          n++;
      return n;
    },
  };
}

describe('niceTicks', () => {
  it.each([
    [0, 3.2, 5, [0, 1, 2, 3, 4]],
    [0, 120, 8, [0, 20, 40, 60, 80, 100, 120]],
    [0, 0.37, 5, [0, 0.1, 0.2, 0.3, 0.4]],
    [0, 1, 5, [0, 0.2, 0.4, 0.6, 0.8, 1]],
  ])('covers [%d, %d] in about %d round steps', (lo, hi, count, ticks) => {
    expect(niceTicks(lo, hi, count)).toEqual(ticks);
  });
});

describe('loss chart', () => {
  it('names the run and its steps and labels both axes and both curves', () => {
    const svg = lossChartSvg(history, { title: 'pets-1234' });
    expect(svg).toContain('Loss — pets-1234 · 60 steps');
    for (const label of ['optimizer step', 'loss (cross-entropy)', 'training loss', 'validation loss'])
      expect(svg).toContain(label);
    expect(svg.match(/<polyline/g)).toHaveLength(3); // axes, train, validation
  });

  it('leaves the validation legend out when no validation loss was logged', () => {
    const svg = lossChartSvg(
      history.map((p) => ({ step: p.step, loss: p.loss })),
      { title: 'x' },
    );
    expect(svg).not.toContain('validation loss');
  });

  it('rasterises to a PNG of the asked size with both curve colours on white', async () => {
    const png = await lossChartPng(history, { title: 'pets-1234', width: 640, height: 360 });
    const img = await decode(png);
    expect([img.width, img.height]).toEqual([640, 360]);
    const total = img.width * img.height;
    expect(img.near([255, 255, 255])).toBeGreaterThan(total / 2);
    expect(img.near([0x1f, 0x77, 0xb4])).toBeGreaterThan(200);
    expect(img.near([0xd6, 0x27, 0x28])).toBeGreaterThan(100);
    expect(img.near([0x22, 0x22, 0x22])).toBeGreaterThan(200); // text
  });
});

describe('eval chart', () => {
  const op = (operationId: string, endpoint: number, exact: number): OperationScore => ({
    operation: `GET /${operationId}`,
    operationId,
    n: 10,
    endpointAccuracy: endpoint,
    exactMatch: exact,
    validRate: 1,
    paramF1: exact,
    confusedWith: endpoint < 1 ? { 'GET /other': 2 } : {},
  });

  it('has one row per operation with its scores, and escapes names', () => {
    const svg = evalChartSvg({
      title: 'pets v1',
      perOperation: [op('listPets', 0.8, 0.5), op('a<b&c', 1, 1)],
    });
    expect(svg).toContain('10 · 80% / 50% · GET /other');
    expect(svg).toContain('a&#60;b&#38;c');
    expect(svg).not.toContain('a<b');
  });

  it('grows with the operations and draws exact-call bars', async () => {
    const one = await decode(await evalChartPng({ title: 't', perOperation: [op('a', 1, 0.5)] }));
    const ops = Array.from({ length: 12 }, (_, i) => op(`op${i}`, 0.9, 0.6));
    const many = await decode(await evalChartPng({ title: 't', perOperation: ops }));
    expect(many.width).toBe(one.width);
    expect(many.height).toBe(one.height + 11 * 24);
    expect(many.near([0x1f, 0x77, 0xb4])).toBeGreaterThan(12 * 8 * 100);
  });
});
