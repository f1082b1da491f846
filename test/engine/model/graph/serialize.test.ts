import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { Graph } from '../../../../src/engine/model/graph/builder.js';
import { ModelProto } from '../../../../src/engine/model/graph/onnx-proto.js';
import { externalDataFiles, serialize, writeModel } from '../../../../src/engine/model/graph/serialize.js';
import { createSession, f32, run } from '../../../../src/engine/infer/ort.js';

/** y = x·W + b with W [3, 2] = 1..6, b = [10, 20]; for x = [[1, 0, 1]] y = [[16, 28]]. */
function affine(): Graph {
  const g = new Graph();
  const x = g.input('x', 'float32', ['batch', 3]);
  const w = g.initializer('w', { shape: [3, 2], data: Float32Array.of(1, 2, 3, 4, 5, 6) });
  const b = g.initializer('b', { shape: [2], data: Float32Array.of(10, 20) });
  g.output('y', g.add(g.matmul(x, w), b));
  return g;
}
const feed = { x: f32(Float32Array.of(1, 0, 1, 0, 1, 0), [2, 3]) };
const expected = [16, 28, 13, 24];

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('serialize', () => {
  it('writes a ModelProto with opset 17, named inputs/outputs and symbolic dims', () => {
    const { model, external } = serialize(affine());
    expect(external).toEqual([]);
    const m = ModelProto.toObject(ModelProto.decode(model), { longs: Number, defaults: true }) as {
      opsetImport: { domain: string; version: number }[];
      graph: {
        input: { name: string; type: { tensorType: { shape: { dim: object[] } } } }[];
        output: { name: string }[];
      };
    };
    expect(m.opsetImport).toEqual([{ domain: '', version: 17 }]);
    expect(m.graph.input[0]!.name).toBe('x');
    const dims = m.graph.input[0]!.type.tensorType.shape.dim;
    expect(dims[0]).toMatchObject({ dimParam: 'batch' });
    expect(dims[1]).toMatchObject({ dimValue: 3 });
    expect(m.graph.output.map((o) => o.name)).toEqual(['y']);
  });

  it('runs inline, with in-memory external data, and from a file with an external .bin', async () => {
    const inline = serialize(affine());
    const s1 = await createSession(inline.model, { threads: 1 });
    expect([...(await run(s1, feed)).y!.data]).toEqual(expected);

    const mem = serialize(affine(), { externalThreshold: 0 });
    expect(mem.external.map((c) => c.location)).toEqual(['ext_0.bin', 'ext_1.bin']);
    const s2 = await createSession(mem.model, { threads: 1, externalData: externalDataFiles(mem) });
    expect([...(await run(s2, feed)).y!.data]).toEqual(expected);

    const dir = mkdtempSync(join(tmpdir(), 'smolmap-graph-'));
    dirs.push(dir);
    const onDisk = serialize(affine(), { externalThreshold: 0, externalFile: 'model.onnx.data' });
    expect(onDisk.external.map((c) => c.offset)).toEqual([0, 65536]);
    writeModel(join(dir, 'model.onnx'), onDisk);
    expect(readdirSync(dir).sort()).toEqual(['model.onnx', 'model.onnx.data']);
    expect(statSync(join(dir, 'model.onnx.data')).size).toBe(65536 + 8);
    const s3 = await createSession(join(dir, 'model.onnx'), { threads: 1 });
    expect([...(await run(s3, feed)).y!.data]).toEqual(expected);
    await Promise.all([s1.release(), s2.release(), s3.release()]);
  });

  it('writes big inline tensors as merged graph fragments that decode and run', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [1, 256]);
    const w = Float32Array.from({ length: 256 * 128 }, (_, i) => (i % 7) - 3); // 128 KiB: the appended path
    g.output('y', g.matmul(x, g.initializer('w', { shape: [256, 128], data: w })));
    const { model } = serialize(g);
    const m = ModelProto.toObject(ModelProto.decode(model), { longs: Number }) as {
      graph: { initializer: { name: string; dims: number[]; rawData: Uint8Array }[]; node: object[] };
    };
    expect(m.graph.node).toHaveLength(1);
    const init = m.graph.initializer.find((t) => t.name === 'w')!;
    expect(init.dims).toEqual([256, 128]);
    expect(Buffer.compare(Buffer.from(init.rawData), Buffer.from(w.buffer))).toBe(0);
    const s = await createSession(model, { threads: 1 });
    const ones = f32(new Float32Array(256).fill(1), [1, 256]);
    const y = (await run(s, { x: ones })).y!.data;
    const want = Array.from({ length: 128 }, (_, j) => {
      let acc = 0;
      for (let i = 0; i < 256; i++) acc += w[i * 128 + j]!;
      return acc;
    });
    expect([...y]).toEqual(want);
    await s.release();
  });

  it('leaves out nodes no output depends on', () => {
    const g = affine();
    const x = g.inputs[0]!;
    g.neg(g.matmul(x, g.input('unused_w', 'float32', [3, 4]))); // read by nothing
    const m = ModelProto.decode(serialize(g).model) as unknown as { graph: { node: { opType: string }[] } };
    expect(m.graph.node.map((n) => n.opType)).toEqual(['MatMul', 'Add']);
  });

  it('adds the com.microsoft opset only when a contrib op is used', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [1, 2, 3, 4]);
    const pos = g.input('pos', 'int64', [1, 3]);
    const c = g.constant(new Float32Array(8), 'float32', [4, 2]);
    g.output('y', g.rotary(x, pos, c, c));
    const m = ModelProto.toObject(ModelProto.decode(serialize(g).model), {
      longs: Number,
      defaults: true,
    }) as {
      opsetImport: { domain: string; version: number }[];
    };
    expect(m.opsetImport).toContainEqual({ domain: 'com.microsoft', version: 1 });
  });

  it('outputs an input or a constant through Identity so names stay unique', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2]);
    g.output('same', x);
    g.output('again', x);
    const s = await createSession(serialize(g).model, { threads: 1 });
    const out = await run(s, { x: f32(Float32Array.of(1, 2), [2]) });
    expect([...out.same!.data, ...out.again!.data]).toEqual([1, 2, 1, 2]);
    await s.release();
  });

  it('rejects a duplicate value name and a shape mismatch while building', () => {
    const g = new Graph();
    g.input('x', 'float32', [2, 3]);
    expect(() => g.input('x', 'float32', [2])).toThrow(
      expect.objectContaining({ code: 'graph_duplicate_name' }),
    );
    const a = g.input('a', 'float32', [2, 3]);
    const b = g.input('b', 'float32', [4, 5]);
    expect(() => g.matmul(a, b)).toThrow(expect.objectContaining({ code: 'graph_shape_error' }));
    expect(() => g.add(a, b)).toThrow(expect.objectContaining({ code: 'graph_shape_error' }));
  });
});
