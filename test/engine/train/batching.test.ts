import { describe, expect, it } from 'vitest';

import { collate, IGNORE_INDEX, planEpoch, planEval } from '../../../src/engine/train/batching.js';
import { Rng } from '../../../src/engine/rng.js';

describe('collate', () => {
  it('right-pads to a multiple, masks padding, and counts shifted label positions', () => {
    const b = collate(
      [
        { ids: [5, 6, 7], labels: [IGNORE_INDEX, 6, 7] },
        { ids: [1, 2, 3, 4, 5], labels: [IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX, 4, 5] },
      ],
      0,
      4,
    );
    expect([b.batchSize, b.seqLen, b.tokens, b.labelTokens]).toEqual([2, 8, 8, 4]);
    expect([...b.inputIds].map(Number)).toEqual([5, 6, 7, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 0, 0, 0]);
    expect([...b.labels].map(Number).slice(0, 8)).toEqual([-100, 6, 7, -100, -100, -100, -100, -100]);
  });
});

describe('epoch plans', () => {
  const lengths = Array.from({ length: 103 }, (_, i) => 5 + ((i * 37) % 60));

  it('covers every example once, groups similar lengths, and is reproducible from the RNG state', () => {
    const rng = new Rng(9);
    const state = rng.state;
    const plan = planEpoch(lengths, 8, rng);
    expect(plan.flat().sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
    expect(plan.filter((b) => b.length < 8)).toHaveLength(1);
    const spread = plan.map(
      (b) => Math.max(...b.map((i) => lengths[i]!)) - Math.min(...b.map((i) => lengths[i]!)),
    );
    expect(Math.max(...spread)).toBeLessThan(10);
    expect(planEpoch(lengths, 8, Rng.fromState(state))).toEqual(plan);
    expect(planEpoch(lengths, 8, rng)).not.toEqual(plan);
  });

  it('plans validation batches in a fixed, length-sorted order', () => {
    const plan = planEval(lengths, 10);
    expect(plan).toHaveLength(11);
    expect(plan).toEqual(planEval(lengths, 10));
    expect(lengths[plan[0]![0]!]).toBe(Math.min(...lengths));
  });
});
