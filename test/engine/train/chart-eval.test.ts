/** The held-out sample an end-of-training evaluation maps: validation examples only, a few per operation. */
import { describe, expect, it } from 'vitest';
import { heldOutSample, type TaskExample } from '../../../src/engine/index.js';

const example = (task: string, path: string, split: 'train' | 'validation'): TaskExample => ({
  task,
  expected: { method: 'GET', path, operationId: null, pathParams: {}, query: {}, body: null },
  meta: { family: 'f', operationId: null, source: 'synthetic', split },
});

describe('heldOutSample', () => {
  it('takes up to N validation examples per operation, in dataset order, and no training example', () => {
    const examples = [
      example('a1', '/a', 'validation'),
      example('a-train', '/a', 'train'),
      example('b1', '/b', 'validation'),
      example('a2', '/a', 'validation'),
      example('a3', '/a', 'validation'),
      example('b-train', '/b', 'train'),
    ];
    expect(heldOutSample(examples, 2).map((e) => e.task)).toEqual(['a1', 'b1', 'a2']);
    expect(heldOutSample(examples, 1).map((e) => e.task)).toEqual(['a1', 'b1']);
    expect(
      heldOutSample(
        examples.filter((e) => e.meta.split === 'train'),
        2,
      ),
    ).toEqual([]);
  });
});
