/**
 * Gradient checking through onnxruntime: build y = f(inputs), take loss = Σ (½y² + R⊙y) with a fixed random R
 * (so every output element gets a different cotangent), and compare `grad` with central finite differences of
 * the same ORT session.
 */
import { grad } from '../../../../src/engine/model/graph/autodiff.js';
import {
  Graph,
  type Dim,
  type DType,
  type TensorData,
  type Value,
} from '../../../../src/engine/model/graph/builder.js';
import { serialize, externalDataFiles } from '../../../../src/engine/model/graph/serialize.js';
import { createSession, type HostTensor } from '../../../../src/engine/infer/ort.js';

/** Deterministic uniform [-1, 1) values (mulberry32). */
export function rand(n: number, seed: number): number[] {
  let a = seed >>> 0;
  return Array.from({ length: n }, () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  });
}

export interface CaseInput {
  shape: number[];
  /** The shape declared to the builder, with named dims (default: `shape`). */
  declared?: Dim[];
  /** Differentiate with respect to this input (default true for float inputs). */
  wrt?: boolean;
  dtype?: DType;
  /** Explicit values (else seeded uniform [-1, 1), shifted by `offset`). */
  values?: number[];
  offset?: number;
}

export interface GradCase {
  dtype: 'float32' | 'float64';
  inputs: CaseInput[];
  build: (g: Graph, xs: Value[]) => Value;
}

export interface GradReport {
  /** max over elements of |analytic − numeric| / (abs + rel·|numeric|); ≤ 1 means within the bound. */
  worst: number;
  checked: number;
  maxAbsGrad: number;
}

function toData(dtype: DType, xs: number[]): TensorData {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(xs);
    case 'float64':
      return Float64Array.from(xs);
    case 'int64':
      return BigInt64Array.from(xs, (x) => BigInt(Math.round(x)));
    case 'int32':
      return Int32Array.from(xs, Math.round);
    case 'bool':
      return Uint8Array.from(xs, (x) => (x ? 1 : 0));
    case 'uint8':
      return Uint8Array.from(xs, Math.round);
  }
}

export async function checkGrad(
  c: GradCase,
  bound: { eps: number; rel: number; abs: number },
): Promise<GradReport> {
  const g = new Graph();
  const xs = c.inputs.map((inp, i) => g.input(`x${i}`, inp.dtype ?? c.dtype, inp.declared ?? inp.shape));
  const y = c.build(g, xs);
  const numeric = y.shape.every((d): d is number => typeof d === 'number');
  const n = numeric ? (y.shape as number[]).reduce((a, b) => a * b, 1) : 0;
  const r = numeric
    ? g.constant(toData(c.dtype, rand(n, 99)), c.dtype, y.shape as number[])
    : g.scalar(1, c.dtype);
  const loss = g.reduceSum(g.add(g.mul(g.mul(y, y), 0.5), g.mul(y, r)), [...Array(y.rank).keys()], false);
  const wrtIdx = c.inputs.map((inp, i) => ((inp.wrt ?? (inp.dtype ?? c.dtype).startsWith('float')) ? i : -1));
  const wrt = wrtIdx.filter((i) => i >= 0);
  const grads = grad(
    g,
    loss,
    wrt.map((i) => xs[i]!),
  );
  g.output('loss', loss);
  grads.forEach((gv, j) => g.output(`g${j}`, gv));
  const m = serialize(g);
  const s = await createSession(m.model, { threads: 1, externalData: externalDataFiles(m) });

  const feeds: Record<string, HostTensor> = {};
  c.inputs.forEach((inp, i) => {
    const count = inp.shape.reduce((a, b) => a * b, 1);
    const vals = inp.values ?? rand(count, 7 + i).map((v) => v + (inp.offset ?? 0));
    feeds[`x${i}`] = {
      dtype: inp.dtype ?? c.dtype,
      dims: inp.shape,
      data: toData(inp.dtype ?? c.dtype, vals),
    } as HostTensor;
  });
  const analytic = await s.run(feeds);
  let worst = 0;
  let checked = 0;
  let maxAbsGrad = 0;
  for (const [j, i] of wrt.entries()) {
    const x = feeds[`x${i}`]!.data as Float32Array | Float64Array;
    const ga = analytic[`g${j}`]!.data as Float32Array | Float64Array;
    for (let k = 0; k < x.length; k++) {
      const orig = x[k]!;
      x[k] = orig + bound.eps;
      const lp = Number((await s.run(feeds, ['loss'])).loss!.data[0]);
      x[k] = orig - bound.eps;
      const lm = Number((await s.run(feeds, ['loss'])).loss!.data[0]);
      x[k] = orig;
      const num = (lp - lm) / (2 * bound.eps);
      const err = Math.abs(ga[k]! - num) / (bound.abs + bound.rel * Math.abs(num));
      worst = Math.max(worst, err);
      maxAbsGrad = Math.max(maxAbsGrad, Math.abs(num));
      checked++;
    }
  }
  await s.release();
  return { worst, checked, maxAbsGrad };
}
