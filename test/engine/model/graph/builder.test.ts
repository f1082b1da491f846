import { describe, expect, it } from 'vitest';

import { Graph } from '../../../../src/engine/model/graph/builder.js';
import { serialize } from '../../../../src/engine/model/graph/serialize.js';
import { createSession, f32, run } from '../../../../src/engine/infer/ort.js';

describe('Graph builder', () => {
  it('infers shapes with named dims through matmul, reshape, slice and reductions', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['batch', 'seq', 8]);
    const w = g.input('w', 'float32', [8, 6]);
    const y = g.matmul(x, w);
    expect(y.shape).toEqual(['batch', 'seq', 6]);
    expect(g.reshape(y, [0, 0, 2, 3]).shape).toEqual(['batch', 'seq', 2, 3]);
    expect(g.slice(y, [0], [Infinity], [1]).shape).toEqual(['batch', 'seq', 6]);
    expect(g.slice(y, [1], [4], [2]).shape).toEqual(['batch', 'seq', 3]);
    expect(g.reduceSum(y, [-1], false).shape).toEqual(['batch', 'seq']);
    expect(g.add(y, g.input('b', 'float32', [1, 1, 6])).shape).toEqual(['batch', 'seq', 6]);
    expect(g.reshape(g.matmul(y, g.input('w2', 'float32', [6, 8])), g.shapeOf(x)).shape).toEqual([
      'batch',
      'seq',
      8,
    ]);
  });

  it('composes and cancels consecutive transposes, and the composition computes the same thing', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2, 3, 4]);
    expect(g.transpose(g.transpose(x, [1, 0, 2]), [1, 0, 2])).toBe(x);
    const once = g.transpose(g.transpose(x, [2, 0, 1]), [1, 2, 0]); // = x
    expect(once).toBe(x);
    const composed = g.transpose(g.transpose(x, [1, 2, 0]), [0, 2, 1]); // [3, 2, 4]
    expect(composed.shape).toEqual([3, 2, 4]);
    expect(g.producer.get(composed)!.inputs[0]).toBe(x);
    g.output('y', composed);
    const s = await createSession(serialize(g).model, { threads: 1 });
    const data = Float32Array.from({ length: 24 }, (_, i) => i);
    const y = (await run(s, { x: f32(data, [2, 3, 4]) })).y!.data;
    // y[j][i][k] = x[i][j][k]
    const want: number[] = [];
    for (let j = 0; j < 3; j++)
      for (let i = 0; i < 2; i++) for (let k = 0; k < 4; k++) want.push(i * 12 + j * 4 + k);
    expect([...y]).toEqual(want);
    await s.release();
  });

  it('splits along an axis, and hands back the pieces of a Concat split at its own sizes', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['batch', 5]);
    const [a, b] = g.split(x, [2, 3], -1);
    expect([a!.shape, b!.shape]).toEqual([
      ['batch', 2],
      ['batch', 3],
    ]);
    expect(() => g.split(x, [2, 2], 1)).toThrow(expect.objectContaining({ code: 'graph_shape_error' }));
    const c = g.concat([b!, a!], 1);
    const [p, q] = g.split(c, [3, 2], 1);
    expect([p, q]).toEqual([b, a]);
    expect(g.split(c, [2, 3], 1)[0]).not.toBe(b); // other sizes: a real Split
    g.output('y', g.sub(p!, g.slice(x, [2], [5], [1]))); // b − x[:, 2:] = 0
    g.output('z', g.split(c, [2, 3], 1)[0]!); // [b0, b1]
    const s = await createSession(serialize(g).model, { threads: 1 });
    const out = await run(s, { x: f32(Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), [2, 5]) });
    expect([...out.y!.data]).toEqual([0, 0, 0, 0, 0, 0]);
    expect([...out.z!.data]).toEqual([3, 4, 8, 9]);
    await s.release();
  });

  it('keeps initializer data by reference', () => {
    const g = new Graph();
    const data = new Float32Array(6);
    const w = g.initializer('w', { shape: [2, 3], data });
    expect(w.data).toBe(data);
    expect(() => g.initializer('v', { shape: [4], data })).toThrow(
      expect.objectContaining({ code: 'graph_shape_error' }),
    );
  });
});
