/**
 * Every VJP in the op table against central finite differences through onnxruntime. The case table is typed as
 * total over `Op` (like RULES), so a new op without a gradient test fails tsc.
 *
 * Bounds: float64 graphs use step 1e-6 and require |analytic − numeric| ≤ 1e-8 + 1e-6·|numeric|;
 * float32-only ops (ORT's RotaryEmbedding and the RMSNorm stash are float32) use step 1e-2 and require
 * ≤ 1e-3 + 1e-2·|numeric|.
 */
import { describe, expect, it } from 'vitest';

import { Op, RULES } from '../../../../src/engine/model/graph/ops.js';
import { checkGrad, rand, type GradCase } from './harness.js';

const F64 = { eps: 1e-6, rel: 1e-6, abs: 1e-8 };
const F32 = { eps: 1e-2, rel: 1e-2, abs: 1e-3 };

type Bound = typeof F64;
type Cases = { [P in Op]: (GradCase & { bound?: Bound; label: string })[] | { nondiff: true } };

const d = (label: string, c: GradCase, bound?: Bound): GradCase & { bound?: Bound; label: string } => ({
  ...c,
  label,
  ...(bound ? { bound } : {}),
});
const f64 = (inputs: GradCase['inputs'], build: GradCase['build']): GradCase => ({
  dtype: 'float64',
  inputs,
  build,
});
const f32 = (inputs: GradCase['inputs'], build: GradCase['build']): GradCase => ({
  dtype: 'float32',
  inputs,
  build,
});
const I64 = 'int64' as const;

/** RoPE caches [maxPos, D/2]: cos/sin of p·θ^(−2i/D). */
function ropeCaches(maxPos: number, dim: number, theta = 10000): { cos: Float32Array; sin: Float32Array } {
  const half = dim / 2;
  const cos = new Float32Array(maxPos * half);
  const sin = new Float32Array(maxPos * half);
  for (let p = 0; p < maxPos; p++) {
    for (let i = 0; i < half; i++) {
      const a = p * theta ** ((-2 * i) / dim);
      cos[p * half + i] = Math.cos(a);
      sin[p * half + i] = Math.sin(a);
    }
  }
  return { cos, sin };
}
const rope = ropeCaches(6, 8);

const CASES: Cases = {
  [Op.MatMul]: [
    d(
      '2-D',
      f64([{ shape: [2, 3] }, { shape: [3, 4] }], (g, [a, b]) => g.matmul(a!, b!)),
    ),
    d(
      'batched × 2-D (flattened dB)',
      f64([{ shape: [2, 2, 3] }, { shape: [3, 4] }], (g, [a, b]) => g.matmul(a!, b!)),
    ),
    d(
      'broadcast batch',
      f64([{ shape: [2, 1, 2, 3] }, { shape: [3, 3, 2] }], (g, [a, b]) => g.matmul(a!, b!)),
    ),
  ],
  [Op.Add]: [
    d(
      'row broadcast',
      f64([{ shape: [2, 3] }, { shape: [3] }], (g, [a, b]) => g.add(a!, b!)),
    ),
    d(
      'outer broadcast',
      f64([{ shape: [2, 1] }, { shape: [1, 3] }], (g, [a, b]) => g.add(a!, b!)),
    ),
  ],
  [Op.Sub]: [
    d(
      'broadcast',
      f64([{ shape: [2, 3] }, { shape: [2, 1] }], (g, [a, b]) => g.sub(a!, b!)),
    ),
  ],
  [Op.Mul]: [
    d(
      'broadcast',
      f64([{ shape: [2, 3] }, { shape: [1, 3] }], (g, [a, b]) => g.mul(a!, b!)),
    ),
  ],
  [Op.Div]: [
    d(
      'broadcast',
      f64([{ shape: [2, 3] }, { shape: [3], offset: 2 }], (g, [a, b]) => g.div(a!, b!)),
    ),
  ],
  [Op.Neg]: [
    d(
      'plain',
      f64([{ shape: [2, 3] }], (g, [x]) => g.neg(x!)),
    ),
  ],
  [Op.Pow]: [
    d(
      'base and exponent',
      f64(
        [
          { shape: [2, 3], offset: 2 },
          { shape: [3], offset: 1.5 },
        ],
        (g, [x, p]) => g.pow(x!, p!),
      ),
    ),
  ],
  [Op.Sqrt]: [
    d(
      'positive',
      f64([{ shape: [2, 3], offset: 2 }], (g, [x]) => g.sqrt(x!)),
    ),
  ],
  [Op.Reciprocal]: [
    d(
      'positive',
      f64([{ shape: [2, 3], offset: 2 }], (g, [x]) => g.reciprocal(x!)),
    ),
  ],
  [Op.Exp]: [
    d(
      'plain',
      f64([{ shape: [2, 3] }], (g, [x]) => g.exp(x!)),
    ),
  ],
  [Op.Log]: [
    d(
      'positive',
      f64([{ shape: [2, 3], offset: 2 }], (g, [x]) => g.log(x!)),
    ),
  ],
  [Op.Sigmoid]: [
    d(
      'plain',
      f64([{ shape: [2, 3] }], (g, [x]) => g.sigmoid(x!)),
    ),
  ],
  // ORT's QuickGelu kernel is float32 only.
  [Op.Silu]: [
    d(
      'plain',
      f32([{ shape: [2, 3], offset: 0.5 }], (g, [x]) => g.silu(x!)),
      F32,
    ),
  ],
  [Op.ReduceSum]: [
    d(
      'keepdims',
      f64([{ shape: [2, 3, 4] }], (g, [x]) => g.reduceSum(x!, [1], true)),
    ),
    d(
      'drop dims',
      f64([{ shape: [2, 3, 4] }], (g, [x]) => g.reduceSum(x!, [0, 2], false)),
    ),
  ],
  [Op.ReduceMean]: [
    d(
      'static count',
      f64([{ shape: [2, 3, 4] }], (g, [x]) => g.reduceMean(x!, [-1], false)),
    ),
    d(
      'named dim count',
      f64([{ shape: [2, 3, 4], declared: ['b', 's', 4] }], (g, [x]) => g.reduceMean(x!, [1], true)),
    ),
  ],
  [Op.ReduceMax]: [
    d(
      'last axis',
      f64([{ shape: [2, 3, 4] }], (g, [x]) => g.reduceMax(x!, [2], false)),
    ),
  ],
  [Op.Softmax]: [
    d(
      'last axis',
      f64([{ shape: [2, 3, 4] }], (g, [x]) => g.softmax(x!, -1)),
    ),
  ],
  [Op.LogSoftmax]: [
    d(
      'middle axis',
      f64([{ shape: [2, 3, 4] }], (g, [x]) => g.logSoftmax(x!, 1)),
    ),
  ],
  // ORT's SoftmaxCrossEntropyLoss kernel is float32 only.
  [Op.CrossEntropy]: [
    d(
      'rows × classes, repeated target',
      f32([{ shape: [3, 5] }, { shape: [3], dtype: I64, values: [4, 0, 4] }], (g, [x, y]) =>
        g.crossEntropy(x!, y!),
      ),
      F32,
    ),
  ],
  [Op.Transpose]: [
    d(
      '3-D',
      f64([{ shape: [2, 3, 4] }], (g, [x]) => g.transpose(x!, [2, 0, 1])),
    ),
  ],
  [Op.Reshape]: [
    d(
      'infer -1',
      f64([{ shape: [2, 3, 4] }], (g, [x]) => g.reshape(x!, [6, -1])),
    ),
  ],
  [Op.Unsqueeze]: [
    d(
      'two axes',
      f64([{ shape: [2, 3] }], (g, [x]) => g.unsqueeze(x!, [0, -1])),
    ),
  ],
  [Op.Squeeze]: [
    d(
      'middle',
      f64([{ shape: [2, 1, 3] }], (g, [x]) => g.squeeze(x!, [1])),
    ),
  ],
  [Op.Concat]: [
    d(
      'static sizes',
      f64([{ shape: [2, 3] }, { shape: [2, 2] }], (g, [a, b]) => g.concat([a!, b!], 1)),
    ),
    d(
      'named sizes',
      f64(
        [
          { shape: [3, 2], declared: ['n', 2] },
          { shape: [2, 2], declared: ['m', 2] },
        ],
        (g, [a, b]) => g.concat([a!, b!], 0),
      ),
    ),
  ],
  [Op.Slice]: [
    d(
      'negative start, open end',
      f64([{ shape: [3, 5] }], (g, [x]) => g.slice(x!, [1, -3], [3, Infinity], [0, 1])),
    ),
    d(
      'rotate-half halves',
      f64([{ shape: [2, 6] }], (g, [x]) =>
        g.concat([g.neg(g.slice(x!, [3], [6], [1])), g.slice(x!, [0], [3], [1])], 1),
      ),
    ),
  ],
  [Op.Split]: [
    d(
      'every piece used',
      f64([{ shape: [2, 5] }], (g, [x]) => {
        const [a, b, c] = g.split(x!, [1, 3, 1], 1);
        return g.concat([g.mul(c!, a!), g.neg(b!)], 1);
      }),
    ),
    d(
      'an unused piece gets zeros',
      f64([{ shape: [3, 4], declared: ['n', 4] }], (g, [x]) => {
        const [a, , c] = g.split(x!, [1, 2, 1], -1);
        return g.mul(a!, g.exp(c!));
      }),
    ),
    d(
      'concat gradient split back',
      f64([{ shape: [2, 2] }, { shape: [2, 3] }], (g, [a, b]) =>
        g.mul(g.concat([a!, b!], 1), g.concat([b!, a!], 1)),
      ),
    ),
  ],
  [Op.Pad]: [
    d(
      'begin and end',
      f64([{ shape: [2, 3] }], (g, [x]) => g.pad(x!, g.ints([1, 0, 0, 2]))),
    ),
  ],
  [Op.Gather]: [
    d(
      'axis 0, repeated indices',
      f64([{ shape: [5, 3] }, { shape: [2, 2], dtype: I64, values: [1, 4, 1, 0] }], (g, [x, i]) =>
        g.gather(x!, i!, 0),
      ),
    ),
    d(
      'axis 1',
      f64([{ shape: [2, 5, 3] }, { shape: [4], dtype: I64, values: [4, 0, 2, 4] }], (g, [x, i]) =>
        g.gather(x!, i!, 1),
      ),
    ),
  ],
  [Op.GatherElements]: [
    d(
      'axis 1',
      f64([{ shape: [3, 4] }, { shape: [3, 2], dtype: I64, values: [0, 3, 1, 1, 2, 0] }], (g, [x, i]) =>
        g.gatherElements(x!, i!, 1),
      ),
    ),
  ],
  [Op.ScatterElements]: (['add', 'none'] as const).map((red) =>
    d(
      red,
      f64(
        [{ shape: [3, 4] }, { shape: [3, 2], dtype: I64, values: [0, 3, 1, 2, 2, 0] }, { shape: [3, 2] }],
        (g, [x, i, u]) => g.scatterElements(x!, i!, u!, 1, red),
      ),
    ),
  ),
  [Op.GatherND]: [
    d(
      'rows',
      f64([{ shape: [3, 4] }, { shape: [2, 1], dtype: I64, values: [2, 0] }], (g, [x, i]) =>
        g.gatherND(x!, i!),
      ),
    ),
  ],
  [Op.ScatterND]: (['add', 'none'] as const).map((red) =>
    d(
      red,
      f64(
        [{ shape: [4, 3] }, { shape: [2, 1], dtype: I64, values: [3, 1] }, { shape: [2, 3] }],
        (g, [x, i, u]) => g.scatterND(x!, i!, u!, red),
      ),
    ),
  ),
  [Op.Expand]: [
    d(
      'broadcast',
      f64([{ shape: [3, 1] }], (g, [x]) => g.expand(x!, [2, 3, 4])),
    ),
  ],
  [Op.Where]: [
    d(
      'broadcast branches',
      f64(
        [{ shape: [2, 3], dtype: 'bool', values: [1, 0, 1, 0, 0, 1] }, { shape: [2, 3] }, { shape: [3] }],
        (g, [c, a, b]) => g.where(c!, a!, b!),
      ),
    ),
  ],
  [Op.Cast]: [
    // The float32 round trip limits precision, hence the looser bound.
    d(
      'f64 → f32 → f64',
      f64([{ shape: [2, 3] }], (g, [x]) => g.cast(g.cast(x!, 'float32'), 'float64')),
      F32,
    ),
  ],
  [Op.Equal]: { nondiff: true },
  [Op.Trilu]: [
    d(
      'upper',
      f64([{ shape: [3, 4] }], (g, [x]) => g.trilu(x!, true)),
    ),
    d(
      'lower, k = 1',
      f64([{ shape: [3, 4] }], (g, [x]) => g.trilu(x!, false, 1)),
    ),
  ],
  [Op.Shape]: { nondiff: true },
  [Op.Identity]: [
    d(
      'plain',
      f64([{ shape: [2, 3] }], (g, [x]) => g.identity(x!)),
    ),
  ],
  [Op.RMSNorm]: [
    d(
      'x and weight',
      f32([{ shape: [2, 3, 8] }, { shape: [8], offset: 1 }], (g, [x, w]) => g.rmsnorm(x!, w!, 1e-5)),
      F32,
    ),
  ],
  [Op.Rotary]: [
    d(
      '[B, heads, S, D]',
      f32([{ shape: [1, 2, 3, 8] }, { shape: [1, 3], dtype: I64, values: [0, 2, 5] }], (g, [x, p]) =>
        g.rotary(x!, p!, g.constant(rope.cos, 'float32', [6, 4]), g.constant(rope.sin, 'float32', [6, 4])),
      ),
      F32,
    ),
    d(
      '[B, S, heads·D]',
      f32([{ shape: [1, 3, 16] }, { shape: [1, 3], dtype: I64, values: [1, 2, 3] }], (g, [x, p]) =>
        g.rotary(x!, p!, g.constant(rope.cos, 'float32', [6, 4]), g.constant(rope.sin, 'float32', [6, 4]), 2),
      ),
      F32,
    ),
  ],
  [Op.MatMulNBits]: { nondiff: true },
  [Op.DynQMatMul]: { nondiff: true },
  [Op.SkipRMSNorm]: { nondiff: true },
  [Op.GroupQueryAttention]: { nondiff: true },
};

describe('op table VJPs vs finite differences (onnxruntime)', () => {
  for (const op of Object.values(Op)) {
    const cases = CASES[op];
    if ('nondiff' in cases) {
      it(`${op} declares itself non-differentiable`, () => {
        expect('nondiff' in RULES[op].vjp).toBe(true);
      });
      continue;
    }
    for (const c of cases) {
      it(`${op}: ${c.label}`, async () => {
        const bound = c.bound ?? (c.dtype === 'float64' ? F64 : F32);
        const r = await checkGrad(c, bound);
        expect(r.checked).toBeGreaterThan(0);
        expect(r.maxAbsGrad).toBeGreaterThan(0);
        expect(r.worst).toBeLessThanOrEqual(1);
      });
    }
  }
});

it('the seeded generator used for inputs is deterministic and spread over [-1, 1)', () => {
  const a = rand(1000, 3);
  expect(rand(1000, 3)).toEqual(a);
  expect(Math.min(...a)).toBeLessThan(-0.9);
  expect(Math.max(...a)).toBeGreaterThan(0.9);
});
