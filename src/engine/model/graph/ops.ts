/**
 * The op table: for every primitive, its ONNX emission and its vector-Jacobian product, side by side
 * (after jax-js). `RULES` is typed as total over `Op`, so adding a primitive without a
 * gradient rule — or an explicit `nondiff` reason — fails `tsc`. Each VJP's comment is its derivative formula,
 * with ḡ the cotangent of the output y. Every VJP is checked against finite differences through onnxruntime in
 * test/engine/model/graph/ops.test.ts.
 */
import type { DType, Graph, Value } from './builder.js';
import { broadcastAxes, numel } from './shape.js';
import { SmolmapError } from '../../errors.js';

export enum Op {
  MatMul = 'MatMul',
  Add = 'Add',
  Sub = 'Sub',
  Mul = 'Mul',
  Div = 'Div',
  Neg = 'Neg',
  Pow = 'Pow',
  Sqrt = 'Sqrt',
  Reciprocal = 'Reciprocal',
  Exp = 'Exp',
  Log = 'Log',
  Sigmoid = 'Sigmoid',
  Silu = 'Silu',
  ReduceSum = 'ReduceSum',
  ReduceMean = 'ReduceMean',
  ReduceMax = 'ReduceMax',
  Softmax = 'Softmax',
  LogSoftmax = 'LogSoftmax',
  CrossEntropy = 'CrossEntropy',
  Transpose = 'Transpose',
  Reshape = 'Reshape',
  Unsqueeze = 'Unsqueeze',
  Squeeze = 'Squeeze',
  Concat = 'Concat',
  Slice = 'Slice',
  Split = 'Split',
  Pad = 'Pad',
  Gather = 'Gather',
  GatherElements = 'GatherElements',
  ScatterElements = 'ScatterElements',
  GatherND = 'GatherND',
  ScatterND = 'ScatterND',
  Expand = 'Expand',
  Where = 'Where',
  Cast = 'Cast',
  Equal = 'Equal',
  Trilu = 'Trilu',
  Shape = 'Shape',
  Identity = 'Identity',
  RMSNorm = 'RMSNorm',
  Rotary = 'Rotary',
  MatMulNBits = 'MatMulNBits',
  DynQMatMul = 'DynQMatMul',
  SkipRMSNorm = 'SkipRMSNorm',
  GroupQueryAttention = 'GroupQueryAttention',
}

type NoAttrs = Record<string, never>;
interface Reduce {
  axes: number[]; // normalised, ascending
  keepdims: boolean;
}
type Reduction = 'none' | 'add';

/** Static attributes per op. Tensor-valued ONNX inputs (axes, starts, shapes) are node inputs, not attrs. */
export interface OpAttrs {
  [Op.MatMul]: NoAttrs;
  [Op.Add]: NoAttrs;
  [Op.Sub]: NoAttrs;
  [Op.Mul]: NoAttrs;
  [Op.Div]: NoAttrs;
  [Op.Neg]: NoAttrs;
  [Op.Pow]: NoAttrs;
  [Op.Sqrt]: NoAttrs;
  [Op.Reciprocal]: NoAttrs;
  [Op.Exp]: NoAttrs;
  [Op.Log]: NoAttrs;
  [Op.Sigmoid]: NoAttrs;
  [Op.Silu]: NoAttrs;
  [Op.ReduceSum]: Reduce;
  [Op.ReduceMean]: Reduce;
  [Op.ReduceMax]: Reduce;
  [Op.Softmax]: { axis: number };
  [Op.LogSoftmax]: { axis: number };
  [Op.CrossEntropy]: NoAttrs;
  [Op.Transpose]: { perm: number[] };
  [Op.Reshape]: NoAttrs;
  [Op.Unsqueeze]: { axes: number[] };
  [Op.Squeeze]: { axes: number[] };
  [Op.Concat]: { axis: number };
  /** `starts` is set when the starts are graph constants (the VJP needs them). */
  [Op.Slice]: { axes: number[]; steps: number[]; starts: number[] | null };
  /** Static piece sizes along `axis` (also the op's `split` input). */
  [Op.Split]: { axis: number; sizes: number[] };
  [Op.Pad]: NoAttrs;
  [Op.Gather]: { axis: number };
  [Op.GatherElements]: { axis: number };
  [Op.ScatterElements]: { axis: number; reduction: Reduction };
  [Op.GatherND]: NoAttrs;
  [Op.ScatterND]: { reduction: Reduction };
  [Op.Expand]: NoAttrs;
  [Op.Where]: NoAttrs;
  [Op.Cast]: { to: DType };
  [Op.Equal]: NoAttrs;
  [Op.Trilu]: { upper: boolean };
  [Op.Shape]: NoAttrs;
  [Op.Identity]: NoAttrs;
  [Op.RMSNorm]: { epsilon: number };
  [Op.Rotary]: { numHeads: number | null };
  [Op.MatMulNBits]: { K: number; N: number; bits: 4 | 8; blockSize: number; accuracyLevel: number };
  [Op.DynQMatMul]: NoAttrs;
  [Op.SkipRMSNorm]: { epsilon: number };
  [Op.GroupQueryAttention]: { numHeads: number; kvNumHeads: number; doRotary: boolean };
}

export type OnnxAttr = { i: number } | { f: number } | { s: string } | { ints: number[] };
export interface Emission {
  opType: string;
  domain?: 'com.microsoft';
  attrs?: Record<string, OnnxAttr>;
}

export interface NodeView<P extends Op> {
  readonly op: P;
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
  readonly attrs: OpAttrs[P];
}

/** Returns one cotangent per input (null where `needs[i]` is false or the input is not differentiable). */
export type Vjp<P extends Op> = (
  g: Graph,
  n: NodeView<P>,
  gy: Value,
  needs: readonly boolean[],
) => (Value | null)[];

/**
 * VJP of an op with several differentiable outputs: one cotangent per output (null where none reached it), so
 * the rule sees them all at once instead of one per output.
 */
export interface MultiVjp<P extends Op> {
  multi: (
    g: Graph,
    n: NodeView<P>,
    gys: readonly (Value | null)[],
    needs: readonly boolean[],
  ) => (Value | null)[];
}

/** An op whose outputs carry no gradient, with the reason. */
export interface NonDiff {
  nondiff: string;
}

export interface Rule<P extends Op> {
  emit: (a: OpAttrs[P]) => Emission;
  vjp: Vjp<P> | MultiVjp<P> | NonDiff;
}

const DTYPE_CODE: Record<DType, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9, float64: 11 };

/** Sums a cotangent over the axes along which `like` was broadcast, giving it `like`'s shape. */
export function unbroadcast(g: Graph, grad: Value, like: Value): Value {
  const { lead, axes } = broadcastAxes(like.shape, grad.shape);
  if (axes.length === 0) return grad;
  const summed = g.reduceSum(grad, axes, true);
  return lead > 0 ? g.squeeze(summed, [...Array(lead).keys()]) : summed;
}

function transposeLast2(g: Graph, x: Value): Value {
  const r = x.rank;
  const perm = [...Array(r).keys()];
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return g.transpose(x, perm);
}

function inversePerm(perm: readonly number[]): number[] {
  const inv: number[] = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

function notDifferentiable(what: string): SmolmapError {
  return new SmolmapError(
    'graph_not_differentiable',
    `${what} is not differentiable in smolmap's graph engine; take the gradient with respect to another value`,
  );
}

const unary =
  (opType: string): ((a: unknown) => Emission) =>
  () => ({ opType });
const reduceEmit =
  (opType: string, axesAsInput: boolean) =>
  (a: Reduce): Emission => ({
    opType,
    attrs: axesAsInput
      ? { keepdims: { i: a.keepdims ? 1 : 0 } }
      : { axes: { ints: a.axes }, keepdims: { i: a.keepdims ? 1 : 0 } },
  });

/** ḡ brought back to x's rank with the reduced axes restored as size 1 (for Expand against x). */
function keepReduced(g: Graph, v: Value, a: Reduce): Value {
  return a.keepdims ? v : g.unsqueeze(v, a.axes);
}

export const RULES: { [P in Op]: Rule<P> } = {
  [Op.MatMul]: {
    emit: unary('MatMul'),
    // ∂A = ḡ·Bᵀ, ∂B = Aᵀ·ḡ, each summed over broadcast batch axes.
    vjp: (g, { inputs: [a, b] }, gy, needs) => {
      const ga = needs[0] ? unbroadcast(g, g.matmul(gy, transposeLast2(g, b!)), a!) : null;
      let gb: Value | null = null;
      if (needs[1]) {
        const k = a!.shape[a!.rank - 1]!;
        const nOut = gy.shape[gy.rank - 1]!;
        if (b!.rank === 2 && a!.rank > 2 && typeof k === 'number' && typeof nOut === 'number') {
          // Flatten the batch into rows: one [K, rows]·[rows, N] product instead of a batched one and a sum.
          gb = g.matmul(g.transpose(g.reshape(a!, [-1, k]), [1, 0]), g.reshape(gy, [-1, nOut]));
        } else gb = unbroadcast(g, g.matmul(transposeLast2(g, a!), gy), b!);
      }
      return [ga, gb];
    },
  },
  [Op.Add]: {
    emit: unary('Add'),
    // ∂a = ḡ, ∂b = ḡ (reduced over broadcast axes).
    vjp: (g, { inputs: [a, b] }, gy, needs) => [
      needs[0] ? unbroadcast(g, gy, a!) : null,
      needs[1] ? unbroadcast(g, gy, b!) : null,
    ],
  },
  [Op.Sub]: {
    emit: unary('Sub'),
    // ∂a = ḡ, ∂b = −ḡ.
    vjp: (g, { inputs: [a, b] }, gy, needs) => [
      needs[0] ? unbroadcast(g, gy, a!) : null,
      needs[1] ? unbroadcast(g, g.neg(gy), b!) : null,
    ],
  },
  [Op.Mul]: {
    emit: unary('Mul'),
    // ∂a = ḡ·b, ∂b = ḡ·a.
    vjp: (g, { inputs: [a, b] }, gy, needs) => [
      needs[0] ? unbroadcast(g, g.mul(gy, b!), a!) : null,
      needs[1] ? unbroadcast(g, g.mul(gy, a!), b!) : null,
    ],
  },
  [Op.Div]: {
    emit: unary('Div'),
    // y = a/b: ∂a = ḡ/b, ∂b = −ḡ·y/b.
    vjp: (g, { inputs: [a, b], outputs: [y] }, gy, needs) => [
      needs[0] ? unbroadcast(g, g.div(gy, b!), a!) : null,
      needs[1] ? unbroadcast(g, g.neg(g.div(g.mul(gy, y!), b!)), b!) : null,
    ],
  },
  [Op.Neg]: {
    emit: unary('Neg'),
    // ∂x = −ḡ.
    vjp: (g, _n, gy) => [g.neg(gy)],
  },
  [Op.Pow]: {
    emit: unary('Pow'),
    // y = xᵖ: ∂x = ḡ·p·xᵖ⁻¹, ∂p = ḡ·y·ln x.
    vjp: (g, { inputs: [x, p], outputs: [y] }, gy, needs) => [
      needs[0] ? unbroadcast(g, g.mul(gy, g.mul(p!, g.pow(x!, g.sub(p!, 1)))), x!) : null,
      needs[1] ? unbroadcast(g, g.mul(gy, g.mul(y!, g.log(x!))), p!) : null,
    ],
  },
  [Op.Sqrt]: {
    emit: unary('Sqrt'),
    // y = √x: ∂x = ḡ / (2y).
    vjp: (g, { outputs: [y] }, gy) => [g.div(g.mul(gy, 0.5), y!)],
  },
  [Op.Reciprocal]: {
    emit: unary('Reciprocal'),
    // y = 1/x: ∂x = −ḡ·y².
    vjp: (g, { outputs: [y] }, gy) => [g.neg(g.mul(gy, g.mul(y!, y!)))],
  },
  [Op.Exp]: {
    emit: unary('Exp'),
    // y = eˣ: ∂x = ḡ·y.
    vjp: (g, { outputs: [y] }, gy) => [g.mul(gy, y!)],
  },
  [Op.Log]: {
    emit: unary('Log'),
    // ∂x = ḡ / x.
    vjp: (g, { inputs: [x] }, gy) => [g.div(gy, x!)],
  },
  [Op.Sigmoid]: {
    emit: unary('Sigmoid'),
    // y = σ(x): ∂x = ḡ·y·(1 − y).
    vjp: (g, { outputs: [y] }, gy) => [g.mul(gy, g.mul(y!, g.sub(1, y!)))],
  },
  [Op.Silu]: {
    // SiLU(x) = x·σ(x) is com.microsoft QuickGelu with alpha 1 (one kernel, nothing extra kept for backward).
    emit: (): Emission => ({ opType: 'QuickGelu', domain: 'com.microsoft', attrs: { alpha: { f: 1 } } }),
    // ∂x = ḡ·σ(x)·(1 + x·(1 − σ(x))) = ḡ·(σ + y·(1 − σ)) with y = x·σ the output (kept anyway when it feeds a
    // product, as in SwiGLU): σ(x) recomputed from x, one element-wise pass fewer than the first form.
    vjp: (g, { inputs: [x], outputs: [y] }, gy) => {
      const s = g.sigmoid(x!);
      return [g.mul(gy, g.add(s, g.mul(y!, g.sub(1, s))))];
    },
  },
  [Op.ReduceSum]: {
    emit: reduceEmit('ReduceSum', true),
    // ∂x = ḡ broadcast back over the reduced axes.
    vjp: (g, { inputs: [x], attrs }, gy) => [g.expand(keepReduced(g, gy, attrs), g.shapeOf(x!)), null],
  },
  [Op.ReduceMean]: {
    emit: reduceEmit('ReduceMean', false),
    // ∂x = ḡ / N broadcast back, N = number of elements reduced into each output.
    vjp: (g, { inputs: [x], attrs }, gy) => {
      const spread = g.expand(keepReduced(g, gy, attrs), g.shapeOf(x!));
      const n = numel(attrs.axes.map((a) => x!.shape[a]!));
      const count = n !== null ? n : g.reduceSum(g.onesLike(x!), attrs.axes, true);
      return [g.div(spread, count)];
    },
  },
  [Op.ReduceMax]: {
    emit: reduceEmit('ReduceMax', false),
    // ∂x = ḡ·[x = y] / #ties: the cotangent is shared equally among the maxima.
    vjp: (g, { inputs: [x], outputs: [y], attrs }, gy) => {
      const mask = g.cast(g.equal(x!, keepReduced(g, y!, attrs)), x!.dtype);
      const ties = g.reduceSum(mask, attrs.axes, true);
      return [g.mul(mask, g.div(keepReduced(g, gy, attrs), ties))];
    },
  },
  [Op.Softmax]: {
    emit: (a) => ({ opType: 'Softmax', attrs: { axis: { i: a.axis } } }),
    // ∂x = y·(ḡ − Σ_axis ḡ·y).
    vjp: (g, { outputs: [y], attrs }, gy) => [
      g.mul(y!, g.sub(gy, g.reduceSum(g.mul(gy, y!), [attrs.axis], true))),
    ],
  },
  [Op.LogSoftmax]: {
    emit: (a) => ({ opType: 'LogSoftmax', attrs: { axis: { i: a.axis } } }),
    // ∂x = ḡ − eʸ·Σ_axis ḡ.
    vjp: (g, { outputs: [y], attrs }, gy) => [
      g.sub(gy, g.mul(g.exp(y!), g.reduceSum(gy, [attrs.axis], true))),
    ],
  },
  [Op.CrossEntropy]: {
    // ℓᵢ = logsumexp(xᵢ) − xᵢ[yᵢ] for logits x [N, C] and targets y [N] (ONNX SoftmaxCrossEntropyLoss, no
    // reduction), with its second output log_prob = log softmax(x) [N, C], which the op computes anyway.
    emit: (): Emission => ({ opType: 'SoftmaxCrossEntropyLoss', attrs: { reduction: { s: 'none' } } }),
    // ∂x = ḡᵢ·(softmax(xᵢ) − onehot(yᵢ)): exp(log_prob) scaled by ḡ, then −ḡ scatter-added at the targets.
    // Backward keeps log_prob rather than x (same size): one Exp instead of recomputing the softmax.
    vjp: (g, { inputs: [, y], outputs: [, logp] }, gy) => {
      const gcol = g.unsqueeze(gy, [1]); // [N, 1]
      const scaled = g.mul(g.exp(logp!), gcol); // [N, C]
      return [g.scatterElements(scaled, g.unsqueeze(y!, [1]), g.neg(gcol), 1, 'add'), null];
    },
  },
  [Op.Transpose]: {
    emit: (a) => ({ opType: 'Transpose', attrs: { perm: { ints: a.perm } } }),
    // ∂x = ḡ transposed by the inverse permutation.
    vjp: (g, { attrs }, gy) => [g.transpose(gy, inversePerm(attrs.perm))],
  },
  [Op.Reshape]: {
    emit: unary('Reshape'),
    // ∂x = ḡ reshaped to x's shape (the target shape input is not differentiable).
    vjp: (g, { inputs: [x] }, gy) => [g.reshape(gy, g.shapeOf(x!)), null],
  },
  [Op.Unsqueeze]: {
    emit: unary('Unsqueeze'),
    // ∂x = ḡ with the inserted axes squeezed out.
    vjp: (g, { attrs }, gy) => [g.squeeze(gy, attrs.axes), null],
  },
  [Op.Squeeze]: {
    emit: unary('Squeeze'),
    // ∂x = ḡ with the removed axes re-inserted.
    vjp: (g, { attrs }, gy) => [g.unsqueeze(gy, attrs.axes), null],
  },
  [Op.Concat]: {
    emit: (a) => ({ opType: 'Concat', attrs: { axis: { i: a.axis } } }),
    // ∂xᵢ = ḡ sliced along the axis at xᵢ's offset.
    vjp: (g, { inputs, attrs }, gy, needs) => concatVjp(g, inputs, attrs.axis, gy, needs),
  },
  [Op.Slice]: {
    emit: unary('Slice'),
    // ∂x = ḡ zero-padded back to x's shape (unit steps only).
    vjp: (g, { inputs: [x, starts], attrs }, gy) => [
      sliceVjp(g, x!, starts!, attrs, gy),
      null,
      null,
      null,
      null,
    ],
  },
  [Op.Split]: {
    emit: (a) => ({ opType: 'Split', attrs: { axis: { i: a.axis } } }),
    // ∂x = Concat(ḡ₁, …, ḡₙ) along the axis, zeros for a piece no cotangent reached. Unlike Slice's padding
    // VJP it needs no run-time shape of x, so x is not kept alive until the backward pass.
    vjp: { multi: (g, { attrs }, gys) => [splitVjp(g, attrs, gys), null] },
  },
  [Op.Pad]: {
    emit: (): Emission => ({ opType: 'Pad', attrs: { mode: { s: 'constant' } } }),
    // ∂x = ḡ sliced back to the unpadded region [pads_begin, pads_begin + shape(x)).
    vjp: (g, { inputs: [x, pads] }, gy) => {
      const r = x!.rank;
      const begin = g.sliceDyn(pads!, g.ints([0]), g.ints([r]), [0]);
      return [g.sliceDyn(gy, begin, g.add(begin, g.shapeOf(x!)), [...Array(r).keys()]), null];
    },
  },
  [Op.Gather]: {
    emit: (a) => ({ opType: 'Gather', attrs: { axis: { i: a.axis } } }),
    // ∂x = scatter-add of ḡ into zeros at the gathered indices (repeated indices accumulate).
    vjp: (g, { inputs: [x, idx], attrs }, gy) => [gatherVjp(g, x!, idx!, attrs.axis, gy), null],
  },
  [Op.GatherElements]: {
    emit: (a) => ({ opType: 'GatherElements', attrs: { axis: { i: a.axis } } }),
    // ∂x = ScatterElements-add of ḡ into zeros.
    vjp: (g, { inputs: [x, idx], attrs }, gy) => [
      g.scatterElements(g.zerosLike(x!), idx!, gy, attrs.axis, 'add'),
      null,
    ],
  },
  [Op.ScatterElements]: {
    emit: (a) => ({
      opType: 'ScatterElements',
      attrs: { axis: { i: a.axis }, reduction: { s: a.reduction } },
    }),
    // add: ∂data = ḡ; none: ∂data = ḡ with overwritten cells zeroed. ∂updates = ḡ gathered at the indices.
    vjp: (g, { inputs: [, idx, upd], attrs }, gy, needs) => [
      needs[0]
        ? attrs.reduction === 'add'
          ? gy
          : g.scatterElements(gy, idx!, g.zerosLike(upd!), attrs.axis, 'none')
        : null,
      null,
      needs[2] ? g.gatherElements(gy, idx!, attrs.axis) : null,
    ],
  },
  [Op.GatherND]: {
    emit: unary('GatherND'),
    // ∂x = ScatterND-add of ḡ into zeros.
    vjp: (g, { inputs: [x, idx] }, gy) => [g.scatterND(g.zerosLike(x!), idx!, gy, 'add'), null],
  },
  [Op.ScatterND]: {
    emit: (a) => ({ opType: 'ScatterND', attrs: { reduction: { s: a.reduction } } }),
    // add: ∂data = ḡ; none: ḡ with overwritten cells zeroed. ∂updates = GatherND(ḡ, indices).
    vjp: (g, { inputs: [, idx, upd], attrs }, gy, needs) => [
      needs[0] ? (attrs.reduction === 'add' ? gy : g.scatterND(gy, idx!, g.zerosLike(upd!), 'none')) : null,
      null,
      needs[2] ? g.gatherND(gy, idx!) : null,
    ],
  },
  [Op.Expand]: {
    emit: unary('Expand'),
    // ∂x = ḡ summed over the broadcast axes.
    vjp: (g, { inputs: [x] }, gy) => [unbroadcast(g, gy, x!), null],
  },
  [Op.Where]: {
    emit: unary('Where'),
    // ∂a = ḡ where c else 0; ∂b = ḡ where ¬c else 0 (the condition is not differentiable).
    vjp: (g, { inputs: [c, a, b] }, gy, needs) => {
      const zero = g.scalar(0, gy.dtype);
      return [
        null,
        needs[1] ? unbroadcast(g, g.where(c!, gy, zero), a!) : null,
        needs[2] ? unbroadcast(g, g.where(c!, zero, gy), b!) : null,
      ];
    },
  },
  [Op.Cast]: {
    emit: (a) => ({ opType: 'Cast', attrs: { to: { i: DTYPE_CODE[a.to] } } }),
    // Between float types ∂x = ḡ cast back; casts to integer types carry no gradient (ḡ never reaches them).
    vjp: (g, { inputs: [x] }, gy) => [g.cast(gy, x!.dtype)],
  },
  [Op.Equal]: { emit: unary('Equal'), vjp: { nondiff: 'boolean output' } },
  [Op.Trilu]: {
    emit: (a) => ({ opType: 'Trilu', attrs: { upper: { i: a.upper ? 1 : 0 } } }),
    // Trilu is a fixed 0/1 mask M: ∂x = M ⊙ ḡ = Trilu(ḡ).
    vjp: (g, { inputs: [, k], attrs }, gy) => [g.trilu(gy, attrs.upper, k), null],
  },
  [Op.Shape]: { emit: unary('Shape'), vjp: { nondiff: 'integer output' } },
  [Op.Identity]: {
    emit: unary('Identity'),
    // ∂x = ḡ.
    vjp: (_g, _n, gy) => [gy],
  },
  [Op.RMSNorm]: {
    // HF LlamaRMSNorm: y = w ⊙ x·r, r = 1/√(mean(x²) + ε). ORT's SimplifiedLayerNormalization also returns r.
    emit: (a) => ({
      opType: 'SimplifiedLayerNormalization',
      attrs: { axis: { i: -1 }, epsilon: { f: a.epsilon }, stash_type: { i: 1 } },
    }),
    // n = x·r: ∂w = Σ_rows ḡ⊙n; ∂x = r·(ḡ⊙w − n·mean(ḡ⊙w⊙n)) (mean over the normalised axis), computed as
    // r·gn − x·(r³·mean(gn⊙x)) with gn = ḡ⊙w: the r³ factor is per row, so n is never materialised for ∂x.
    vjp: (g, { inputs: [x, w], outputs: [, r] }, gy, needs) => {
      const rr = r!.dtype === x!.dtype ? r! : g.cast(r!, x!.dtype);
      const gw = needs[1] ? unbroadcast(g, g.mul(gy, g.mul(x!, rr)), w!) : null;
      let gx: Value | null = null;
      if (needs[0]) {
        const gn = g.mul(gy, w!);
        const c = g.mul(g.mul(rr, g.mul(rr, rr)), g.reduceMean(g.mul(gn, x!), [-1], true)); // [..., 1]
        gx = g.sub(g.mul(rr, gn), g.mul(x!, c));
      }
      return [gx, gw];
    },
  },
  [Op.Rotary]: {
    // com.microsoft RotaryEmbedding, half-rotation (HF rotate_half): pairs (i, i + D/2) rotate by θ = pos·f_i.
    emit: (a) => ({
      opType: 'RotaryEmbedding',
      domain: 'com.microsoft',
      attrs: {
        interleaved: { i: 0 },
        ...(a.numHeads === null ? {} : { num_heads: { i: a.numHeads } }),
      } as Record<string, OnnxAttr>,
    }),
    // A rotation's transpose is the rotation by −θ: ∂x = Rotary(ḡ, pos, cos, −sin). Caches are constants.
    vjp: (g, { inputs: [, pos, cos, sin], attrs }, gy, needs) => {
      if (needs[2] || needs[3]) throw notDifferentiable('a rotary cos/sin cache');
      return [g.rotary(gy, pos!, cos!, g.neg(sin!), attrs.numHeads), null, null, null];
    },
  },
  [Op.MatMulNBits]: {
    // com.microsoft MatMulNBits: Y = A·dequant(B)ᵀ, w = (q − zp)·scale per K-block.
    emit: (a) => ({
      opType: 'MatMulNBits',
      domain: 'com.microsoft',
      attrs: {
        K: { i: a.K },
        N: { i: a.N },
        bits: { i: a.bits },
        block_size: { i: a.blockSize },
        accuracy_level: { i: a.accuracyLevel },
      },
    }),
    vjp: { nondiff: 'quantised weights serve inference only; training differentiates the f32 graph' },
  },
  [Op.DynQMatMul]: {
    // com.microsoft DynamicQuantizeMatMul: A quantised to uint8 per tensor at run time, times an 8-bit B [K, N]
    // with per-column scales (and zero points), output float.
    emit: () => ({ opType: 'DynamicQuantizeMatMul', domain: 'com.microsoft' }),
    vjp: { nondiff: 'quantised weights serve inference only; training differentiates the f32 graph' },
  },
  [Op.SkipRMSNorm]: {
    // com.microsoft SkipSimplifiedLayerNormalization: s = input + skip; y = γ ⊙ s/√(mean(s²) + ε); outputs
    // y, mean (unused), inv_std_var and s (the residual stream carried to the next block).
    emit: (a) => ({
      opType: 'SkipSimplifiedLayerNormalization',
      domain: 'com.microsoft',
      attrs: { epsilon: { f: a.epsilon } },
    }),
    vjp: { nondiff: 'inference-only fused op; the training graph uses RMSNorm and Add, which have VJPs' },
  },
  [Op.GroupQueryAttention]: {
    // com.microsoft GroupQueryAttention: causal GQA with BNSH past/present caches and,
    // with do_rotary, rotate-half RoPE of q and k inside the kernel.
    emit: (a) => ({
      opType: 'GroupQueryAttention',
      domain: 'com.microsoft',
      attrs: {
        num_heads: { i: a.numHeads },
        kv_num_heads: { i: a.kvNumHeads },
        do_rotary: { i: a.doRotary ? 1 : 0 },
        rotary_interleaved: { i: 0 },
      },
    }),
    vjp: {
      nondiff: 'ORT has no GroupQueryAttention gradient; the training graph uses the standard attention',
    },
  },
};

function concatVjp(
  g: Graph,
  inputs: readonly Value[],
  axis: number,
  gy: Value,
  needs: readonly boolean[],
): (Value | null)[] {
  const sizes = inputs.map((x) => x.shape[axis]!);
  if (sizes.every((s): s is number => typeof s === 'number')) {
    // One Split kernel for all pieces rather than a Slice per input.
    if (needs.filter(Boolean).length > 1) {
      const parts = g.split(gy, sizes, axis);
      return parts.map((p, i) => (needs[i] ? p : null));
    }
    let off = 0;
    return inputs.map((_, i) => {
      const start = off;
      off += sizes[i]!;
      return needs[i] ? g.slice(gy, [start], [off], [axis]) : null;
    });
  }
  // Named dims: offsets computed at run time from the inputs' shapes.
  let off = g.ints([0]);
  return inputs.map((x, i) => {
    const end = g.add(off, g.sliceDyn(g.shapeOf(x), g.ints([axis]), g.ints([axis + 1]), [0]));
    const out = needs[i] ? g.sliceDyn(gy, off, end, [axis]) : null;
    off = end;
    return out;
  });
}

function splitVjp(g: Graph, a: OpAttrs[Op.Split], gys: readonly (Value | null)[]): Value {
  const ref = gys.find((v): v is Value => v !== null);
  if (!ref) throw notDifferentiable('a Split none of whose outputs has a gradient');
  if (gys.length === 1) return ref;
  // A missing piece is zeros of a present cotangent's shape with the split axis set to the piece's size.
  const keep = ref.shape.map((_, i) => (i === a.axis ? 0 : 1));
  const zeros = (size: number): Value => {
    const at = ref.shape.map((_, i) => (i === a.axis ? size : 0));
    return g.expand(g.scalar(0, ref.dtype), g.add(g.mul(g.shapeOf(ref), g.ints(keep)), g.ints(at)));
  };
  return g.concat(
    gys.map((v, i) => v ?? zeros(a.sizes[i]!)),
    a.axis,
  );
}

function sliceVjp(g: Graph, x: Value, startsV: Value, a: OpAttrs[Op.Slice], gy: Value): Value {
  if (a.steps.some((s) => s !== 1)) throw notDifferentiable('a Slice with steps other than 1');
  const r = x.rank;
  const sx = g.shapeOf(x);
  let begin: Value;
  if (a.starts !== null) {
    // begin = starts (negative ones counted from the end: + shape(x)) on the sliced axes, 0 elsewhere.
    const full = new Array<number>(r).fill(0);
    const neg = new Array<number>(r).fill(0);
    a.axes.forEach((ax, j) => {
      full[ax] = a.starts![j]!;
      neg[ax] = a.starts![j]! < 0 ? 1 : 0;
    });
    begin = neg.some((v) => v) ? g.add(g.ints(full), g.mul(sx, g.ints(neg))) : g.ints(full);
  } else if (a.axes.length === r && a.axes.every((ax, i) => ax === i)) {
    begin = startsV;
  } else throw notDifferentiable('a Slice with run-time starts on a subset of axes');
  const endPad = g.sub(g.sub(sx, begin), g.shapeOf(gy));
  return g.pad(gy, g.concat([begin, endPad], 0));
}

/** Scatter-add ḡ back for Gather on any axis: move the axis to the front, ScatterND, move it back. */
function gatherVjp(g: Graph, x: Value, idx: Value, axis: number, gy: Value): Value {
  const r = x.rank;
  const q = idx.rank;
  const idxCol = g.unsqueeze(idx, [q]); // [...idx, 1]
  if (axis === 0) return g.scatterND(g.zerosLike(x), idxCol, gy, 'add');
  const p = [axis, ...[...Array(r).keys()].filter((i) => i !== axis)];
  // gy: [x[:axis], idx…, x[axis+1:]] → [idx…, x[:axis], x[axis+1:]]
  const gperm = [
    ...[...Array(q).keys()].map((i) => axis + i),
    ...[...Array(axis).keys()],
    ...[...Array(r - axis - 1).keys()].map((i) => axis + q + i),
  ];
  const scattered = g.scatterND(g.zerosLike(g.transpose(x, p)), idxCol, g.transpose(gy, gperm), 'add');
  return g.transpose(scattered, inversePerm(p));
}
