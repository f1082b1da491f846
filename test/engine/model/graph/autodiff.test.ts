import { describe, expect, it } from 'vitest';

import { grad } from '../../../../src/engine/model/graph/autodiff.js';
import { Graph, type Value } from '../../../../src/engine/model/graph/builder.js';
import { Op } from '../../../../src/engine/model/graph/ops.js';
import { checkGrad, rand } from './harness.js';

const F32 = { eps: 1e-2, rel: 1e-2, abs: 1e-3 };
const F64 = { eps: 1e-6, rel: 1e-6, abs: 1e-8 };

function weight(g: Graph, name: string, shape: number[], seed: number, scale = 0.5): Value {
  const n = shape.reduce((a, b) => a * b, 1);
  return g.initializer(name, { shape, data: Float32Array.from(rand(n, seed), (v) => v * scale) });
}

/**
 * A one-block transformer in miniature: RMSNorm → q/k/v (q with a LoRA-style A·B update) → causal softmax
 * attention → residual → RMSNorm → SiLU-gated MLP → logits → cross-entropy via LogSoftmax + GatherElements.
 * Frozen weights are initializers; x, A and B are inputs. [B=2, T=3, H=8, V=5]
 */
function tinyBlock(g: Graph, [x, a, b, labels]: Value[]): Value {
  const T = 3;
  const n1 = g.rmsnorm(x!, weight(g, 'n1', [8], 1, 1), 1e-5); // [2, 3, 8]
  const q = g.add(g.matmul(n1, weight(g, 'wq', [8, 8], 2)), g.matmul(g.matmul(n1, a!), b!));
  const k = g.matmul(n1, weight(g, 'wk', [8, 8], 3));
  const v = g.matmul(n1, weight(g, 'wv', [8, 8], 4));
  const scores = g.mul(g.matmul(q, g.transpose(k, [0, 2, 1])), 1 / Math.sqrt(8)); // [2, 3, 3]
  // Causal mask: −1e4 strictly above the diagonal (Trilu of a constant, k = 1).
  const mask = g.mul(g.trilu(g.constant(new Float32Array(T * T).fill(1), 'float32', [T, T]), true, 1), -1e4);
  const att = g.softmax(g.add(scores, mask), -1);
  const h = g.add(x!, g.matmul(g.matmul(att, v), weight(g, 'wo', [8, 8], 5)));
  const n2 = g.rmsnorm(h, weight(g, 'n2', [8], 6, 1), 1e-5);
  const mlp = g.mul(
    g.silu(g.matmul(n2, weight(g, 'wg', [8, 12], 7))),
    g.matmul(n2, weight(g, 'wu', [8, 12], 8)),
  );
  const out = g.add(h, g.matmul(mlp, weight(g, 'wd', [12, 8], 9)));
  const logp = g.logSoftmax(g.matmul(out, weight(g, 'head', [8, 5], 10)), -1); // [2, 3, 5]
  const picked = g.gatherElements(logp, g.unsqueeze(labels!, [2]), 2); // [2, 3, 1]
  return g.neg(g.reduceMean(picked, [0, 1, 2], false));
}

describe('grad', () => {
  it('differentiates a small attention + MLP block end to end (vs finite differences)', async () => {
    const r = await checkGrad(
      {
        dtype: 'float32',
        inputs: [
          { shape: [2, 3, 8] },
          { shape: [8, 2] },
          { shape: [2, 8] },
          { shape: [2, 3], dtype: 'int64', values: [0, 4, 2, 1, 3, 3] },
        ],
        build: tinyBlock,
      },
      F32,
    );
    expect(r.checked).toBe(48 + 16 + 16);
    expect(r.worst).toBeLessThanOrEqual(1);
  });

  it('accumulates cotangents at fan-out (x used three times)', async () => {
    const r = await checkGrad(
      { dtype: 'float64', inputs: [{ shape: [2, 3] }], build: (g, [x]) => g.mul(g.add(x!, g.exp(x!)), x!) },
      F64,
    );
    expect(r.worst).toBeLessThanOrEqual(1);
  });

  it('differentiates only along paths that reach wrt: no gradient work for frozen weights or lower layers', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['batch', 4]);
    const lower = g.matmul(x, weight(g, 'w0', [4, 4], 1)); // frozen layer below the adapter
    const a = g.input('a', 'float32', [4, 4]);
    const loss = g.reduceSum(g.matmul(g.matmul(lower, a), weight(g, 'w1', [4, 4], 2)), [0, 1], false);
    const before = g.nodes.length;
    const [ga] = grad(g, loss, [a]);
    const backward = g.nodes.slice(before);
    // dA = lowerᵀ·(ḡ·w1ᵀ): exactly two products; nothing for w0, w1 or x.
    expect(backward.filter((n) => n.op === Op.MatMul)).toHaveLength(2);
    expect(ga!.shape).toEqual([4, 4]);
  });

  it('gives zeros for a wrt value the loss does not depend on', async () => {
    const r = await checkGrad(
      { dtype: 'float64', inputs: [{ shape: [2] }, { shape: [3] }], build: (g, [x]) => g.exp(x!) },
      F64,
    );
    expect(r.worst).toBeLessThanOrEqual(1);
  });

  it('refuses integer losses and integer wrt values with a coded error', () => {
    const g = new Graph();
    const i = g.input('i', 'int64', [2]);
    const x = g.input('x', 'float32', [2]);
    expect(() => grad(g, i, [x])).toThrow(expect.objectContaining({ code: 'graph_not_differentiable' }));
    expect(() => grad(g, g.reduceSum(x, [0]), [i])).toThrow(
      expect.objectContaining({ code: 'graph_not_differentiable' }),
    );
  });

  it('refuses strided slices in the backward pass', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [6]);
    const loss = g.reduceSum(g.slice(x, [0], [6], [0], [2]), [0]);
    expect(() => grad(g, loss, [x])).toThrow(expect.objectContaining({ code: 'graph_not_differentiable' }));
  });
});
