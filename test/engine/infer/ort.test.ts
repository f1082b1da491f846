import { describe, expect, it } from 'vitest';

import { Graph } from '../../../src/engine/model/graph/builder.js';
import { serialize } from '../../../src/engine/model/graph/serialize.js';
import { createSession, f32, i64, run } from '../../../src/engine/infer/ort.js';

describe('ort', () => {
  it('converts tensors both ways and computes only the requested outputs', async () => {
    const g = new Graph();
    const ids = g.input('ids', 'int64', ['n']);
    const table = g.initializer('t', { shape: [4, 2], data: Float32Array.of(0, 1, 2, 3, 4, 5, 6, 7) });
    g.output('rows', g.gather(table, ids, 0));
    g.output('shape', g.shapeOf(table));
    const s = await createSession(serialize(g).model, { threads: 1, optimization: 'basic' });
    expect(s.inputNames).toEqual(['ids']);
    const out = await run(s, { ids: i64([3, 0, 3], [3]) });
    expect(out.rows!.dtype).toBe('float32');
    expect(out.rows!.dims).toEqual([3, 2]);
    expect([...out.rows!.data]).toEqual([6, 7, 0, 1, 6, 7]);
    expect(out.shape!.dtype).toBe('int64');
    expect([...(out.shape!.data as BigInt64Array)]).toEqual([4n, 2n]);
    const only = await run(s, { ids: i64([1], [1]) }, ['rows']);
    expect(Object.keys(only)).toEqual(['rows']);
    await s.release();
  });

  it('reports bad models, wrong element counts and bad feeds with coded errors', async () => {
    await expect(createSession(Uint8Array.of(1, 2, 3))).rejects.toMatchObject({ code: 'ort_session_failed' });
    const g = new Graph();
    g.output('y', g.neg(g.input('x', 'float32', [2])));
    const s = await createSession(serialize(g).model, { threads: 1 });
    await expect(run(s, { x: f32(Float32Array.of(1, 2, 3), [2]) })).rejects.toMatchObject({
      code: 'tensor_shape_mismatch',
    });
    await expect(run(s, { z: f32(Float32Array.of(1, 2), [2]) })).rejects.toMatchObject({
      code: 'ort_run_failed',
    });
    await s.release();
  });
});
