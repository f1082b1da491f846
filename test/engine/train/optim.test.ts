import { describe, expect, it } from 'vitest';

import {
  accumulate,
  adamwUpdate,
  clipGradNorm,
  createAdamWState,
  gradNorm,
  lrAt,
  type Tensors,
} from '../../../src/engine/train/optim.js';

describe('AdamW', () => {
  it('matches torch.optim.AdamW step by step (values from the PyTorch update rule in float64)', () => {
    const params: Tensors = new Map([['w', { shape: [1], data: Float32Array.of(1) }]]);
    const state = createAdamWState(params);
    const hp = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };
    const expected = [0.899000002, 0.9347113542385653, 0.9474457089827375];
    [0.5, -1, 0.25].forEach((g, i) => {
      adamwUpdate(params, new Map([['w', Float32Array.of(g)]]), state, hp, 0.1, i + 1);
      expect(params.get('w')!.data[0]).toBeCloseTo(expected[i]!, 6);
    });
  });

  it('decays weights even where the gradient is zero (decoupled decay)', () => {
    const params: Tensors = new Map([['w', { shape: [2], data: Float32Array.of(2, -2) }]]);
    adamwUpdate(
      params,
      new Map([['w', new Float32Array(2)]]),
      createAdamWState(params),
      {
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0.5,
      },
      0.1,
      1,
    );
    expect([...params.get('w')!.data]).toEqual([Math.fround(1.9), Math.fround(-1.9)]);
  });
});

describe('schedule', () => {
  it('warms up linearly then decays along a cosine to the floor', () => {
    expect(lrAt(0, 100, 10, 1, 0)).toBeCloseTo(0.1);
    expect(lrAt(9, 100, 10, 1, 0)).toBeCloseTo(1);
    expect(lrAt(10, 100, 10, 1, 0)).toBeCloseTo(1);
    expect(lrAt(55, 100, 10, 1, 0)).toBeCloseTo(0.5);
    expect(lrAt(100, 100, 10, 1, 0.1)).toBeCloseTo(0.1);
    expect(lrAt(0, 1, 0, 2, 0)).toBeCloseTo(2);
  });
});

describe('gradients', () => {
  it('clips the global norm across tensors and reports the norm before clipping', () => {
    const grads = new Map([
      ['a', Float32Array.of(3, 0)],
      ['b', Float32Array.of(4)],
    ]);
    expect(clipGradNorm(grads, 1)).toBeCloseTo(5);
    expect(gradNorm(grads)).toBeCloseTo(1, 5);
    expect(grads.get('a')![0]).toBeCloseTo(0.6, 5);
    const small = new Map([['a', Float32Array.of(0.3)]]);
    expect(clipGradNorm(small, 1)).toBeCloseTo(0.3);
    expect(small.get('a')![0]).toBeCloseTo(0.3);
  });

  it('accumulates weighted micro-batch gradients', () => {
    const acc = new Map<string, Float32Array>();
    accumulate(acc, new Map([['a', Float32Array.of(1, 2)]]), 0.25);
    accumulate(acc, new Map([['a', Float32Array.of(3, 4)]]), 0.75);
    expect([...acc.get('a')!]).toEqual([2.5, 3.5]);
  });
});
