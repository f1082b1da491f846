/**
 * A small ONNX graph builder. Values carry a dtype and a static shape whose dims are numbers or names
 * ('batch', 'seq'); every op method infers its output shape, so mistakes surface while building, not in ORT.
 * Nodes are appended in order, so `graph.nodes` is always topologically sorted (autodiff relies on it).
 *
 * ```ts
 * const g = new Graph();
 * const x = g.input('x', 'float32', ['batch', 576]);
 * const w = g.initializer('w', { shape: [576, 64], data }); // Float32Array kept as is, never copied
 * const y = g.rmsnorm(g.matmul(x, w), g.initializer('n', norm), 1e-5); // [batch, 64]
 * const loss = g.reduceMean(g.mul(y, y), [0, 1], false);
 * const [dx] = grad(g, loss, [x]); // appends the backward pass to g
 * g.output('loss', loss);
 * g.output('dx', dx);
 * const { model } = serialize(g); // ONNX bytes for infer/ort.ts createSession
 * ```
 */
import { Op, RULES, type OpAttrs } from './ops.js';
import {
  broadcast,
  fmt,
  normAxis,
  reshapeShape,
  shapeError,
  sliceShape,
  type Dim,
  type Shape,
} from './shape.js';
import { SmolmapError } from '../../errors.js';

export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool' | 'uint8';
export type TensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;
export type { Dim, Shape };

const FLOAT: ReadonlySet<DType> = new Set(['float32', 'float64']);
export const isFloat = (d: DType): boolean => FLOAT.has(d);

/** A tensor in the graph: a graph input, a constant/initializer (with `data`), or a node output. */
export class Value {
  constructor(
    readonly id: number,
    readonly dtype: DType,
    readonly shape: Shape,
    readonly kind: 'input' | 'const' | 'node',
    /** Set for inputs, initializers and named outputs; others get `t<id>` when serialised. */
    public name: string | undefined,
    readonly data?: TensorData,
    /** Statically known contents of a 1-D int64 shape tensor (from a constant or a Shape op). */
    readonly known?: Shape,
  ) {}
  get rank(): number {
    return this.shape.length;
  }
}

export interface Node<P extends Op = Op> {
  readonly op: P;
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
  readonly attrs: OpAttrs[P];
}

type Operand = Value | number;
const BIG = 2 ** 62;

export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Value[] = [];
  readonly consts: Value[] = [];
  readonly outputs: { name: string; value: Value }[] = [];
  readonly producer = new Map<Value, Node>();
  private nextId = 0;
  private names = new Set<string>();

  // ---- leaves -------------------------------------------------------------------------------------------------

  input(name: string, dtype: DType, shape: Shape): Value {
    const v = new Value(this.nextId++, dtype, shape, 'input', this.claim(name));
    this.inputs.push(v);
    return v;
  }

  /** A named weight. The data array is referenced, not copied (views into a big file buffer are fine). */
  initializer(
    name: string,
    t: { shape: readonly number[]; data: TensorData },
    dtype: DType = 'float32',
  ): Value {
    return this.constant(t.data, dtype, t.shape, this.claim(name));
  }

  constant(data: TensorData, dtype: DType, shape: readonly number[], name?: string): Value {
    const n = shape.reduce((a, b) => a * b, 1);
    if (data.length !== n)
      throw shapeError(`constant of shape ${fmt(shape)} needs ${n} values, got ${data.length}`);
    const known =
      dtype === 'int64' && shape.length === 1 ? Array.from(data as BigInt64Array, Number) : undefined;
    const v = new Value(this.nextId++, dtype, shape, 'const', name, data, known);
    this.consts.push(v);
    return v;
  }

  scalar(x: number, dtype: DType = 'float32'): Value {
    const data =
      dtype === 'float32'
        ? Float32Array.of(x)
        : dtype === 'float64'
          ? Float64Array.of(x)
          : dtype === 'int64'
            ? BigInt64Array.of(BigInt(x))
            : dtype === 'int32'
              ? Int32Array.of(x)
              : Uint8Array.of(x ? 1 : 0);
    return this.constant(data, dtype, []);
  }

  /** A 1-D int64 constant (axes, starts, target shapes). */
  ints(xs: readonly number[]): Value {
    return this.constant(
      BigInt64Array.from(xs, (x) => BigInt(x)),
      'int64',
      [xs.length],
    );
  }

  output(name: string, v: Value): void {
    const src = v.kind === 'node' && v.name === undefined ? v : this.identity(v);
    src.name = this.claim(name);
    this.outputs.push({ name, value: src });
  }

  // ---- elementwise ----------------------------------------------------------------------------------------------

  add(a: Operand, b: Operand): Value {
    return this.binary(Op.Add, a, b);
  }
  sub(a: Operand, b: Operand): Value {
    return this.binary(Op.Sub, a, b);
  }
  mul(a: Operand, b: Operand): Value {
    return this.binary(Op.Mul, a, b);
  }
  div(a: Operand, b: Operand): Value {
    return this.binary(Op.Div, a, b);
  }
  pow(a: Operand, b: Operand): Value {
    return this.binary(Op.Pow, a, b);
  }
  neg(x: Value): Value {
    return this.same(Op.Neg, x);
  }
  sqrt(x: Value): Value {
    return this.same(Op.Sqrt, x);
  }
  reciprocal(x: Value): Value {
    return this.same(Op.Reciprocal, x);
  }
  exp(x: Value): Value {
    return this.same(Op.Exp, x);
  }
  log(x: Value): Value {
    return this.same(Op.Log, x);
  }
  sigmoid(x: Value): Value {
    return this.same(Op.Sigmoid, x);
  }
  /** SiLU(x) = x·σ(x) (the Llama MLP activation) as one primitive. */
  silu(x: Value): Value {
    return this.same(Op.Silu, x);
  }
  identity(x: Value): Value {
    return this.same(Op.Identity, x);
  }
  equal(a: Value, b: Value): Value {
    return this.node(Op.Equal, [a, b], {}, [['bool', broadcast(a.shape, b.shape)]])[0]!;
  }
  where(c: Value, a: Value, b: Value): Value {
    const shape = broadcast(c.shape, broadcast(a.shape, b.shape));
    return this.node(Op.Where, [c, a, b], {}, [[a.dtype, shape]])[0]!;
  }
  cast(x: Value, to: DType): Value {
    return this.node(Op.Cast, [x], { to }, [[to, x.shape]])[0]!;
  }

  // ---- linear algebra and reductions -----------------------------------------------------------------------------

  /** Batched matrix product, both operands of rank >= 2 ([..., M, K]·[..., K, N] → [..., M, N]). */
  matmul(a: Value, b: Value): Value {
    if (a.rank < 2 || b.rank < 2)
      throw shapeError(`matmul needs rank >= 2, got ${fmt(a.shape)}·${fmt(b.shape)}`);
    const [m, k1] = a.shape.slice(-2) as [Dim, Dim];
    const [k2, n] = b.shape.slice(-2) as [Dim, Dim];
    if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) {
      throw shapeError(`matmul inner dims differ: ${fmt(a.shape)}·${fmt(b.shape)}`);
    }
    const batch = broadcast(a.shape.slice(0, -2), b.shape.slice(0, -2));
    return this.node(Op.MatMul, [a, b], {}, [[a.dtype, [...batch, m, n]]])[0]!;
  }

  reduceSum(x: Value, axes: readonly number[], keepdims = true): Value {
    return this.reduce(Op.ReduceSum, x, axes, keepdims);
  }
  reduceMean(x: Value, axes: readonly number[], keepdims = true): Value {
    return this.reduce(Op.ReduceMean, x, axes, keepdims);
  }
  reduceMax(x: Value, axes: readonly number[], keepdims = true): Value {
    return this.reduce(Op.ReduceMax, x, axes, keepdims);
  }
  softmax(x: Value, axis = -1): Value {
    return this.node(Op.Softmax, [x], { axis: normAxis(axis, x.rank) }, [[x.dtype, x.shape]])[0]!;
  }
  logSoftmax(x: Value, axis = -1): Value {
    return this.node(Op.LogSoftmax, [x], { axis: normAxis(axis, x.rank) }, [[x.dtype, x.shape]])[0]!;
  }
  /** Per-row cross-entropy [N] of logits [N, C] against int64 targets [N]: logsumexp(x) − x[y]. */
  crossEntropy(logits: Value, targets: Value): Value {
    if (logits.rank !== 2 || targets.rank !== 1)
      throw shapeError(
        `crossEntropy needs logits [N, C] and targets [N], got ${fmt(logits.shape)} and ${fmt(targets.shape)}`,
      );
    return this.node(Op.CrossEntropy, [logits, targets], {}, [
      [logits.dtype, [logits.shape[0]!]],
      [logits.dtype, logits.shape], // log_prob, read by the VJP
    ])[0]!;
  }
  /** Llama RMSNorm over the last axis (ORT SimplifiedLayerNormalization): w ⊙ x / √(mean(x²) + ε). */
  rmsnorm(x: Value, w: Value, epsilon: number): Value {
    const rShape = [...x.shape.slice(0, -1), 1];
    return this.node(Op.RMSNorm, [x, w], { epsilon }, [
      [x.dtype, x.shape],
      ['float32', rShape],
    ])[0]!;
  }
  /**
   * Rotary position embedding, HF rotate-half convention (com.microsoft RotaryEmbedding, interleaved = 0).
   * x: [B, S, heads·D] with `numHeads`, or [B, heads, S, D] with numHeads null; pos: int64 [B, S];
   * cos/sin: [maxPos, D/2] with cos[p][i] = cos(p·θ^(−2i/D)).
   */
  rotary(x: Value, pos: Value, cos: Value, sin: Value, numHeads: number | null = null): Value {
    return this.node(Op.Rotary, [x, pos, cos, sin], { numHeads }, [[x.dtype, x.shape]])[0]!;
  }
  trilu(x: Value, upper: boolean, k?: Value | number): Value {
    const ins = k === undefined ? [x] : [x, typeof k === 'number' ? this.scalar(k, 'int64') : k];
    return this.node(Op.Trilu, ins, { upper }, [[x.dtype, x.shape]])[0]!;
  }

  // ---- shape ops --------------------------------------------------------------------------------------------------

  shapeOf(x: Value): Value {
    return this.node(Op.Shape, [x], {}, [['int64', [x.rank]]], x.shape)[0]!;
  }
  transpose(x: Value, perm: readonly number[]): Value {
    if (perm.length !== x.rank)
      throw shapeError(`transpose perm [${perm.join(', ')}] does not fit ${fmt(x.shape)}`);
    // Transpose of a Transpose composes (y[i] = x[p1[p2[i]]]) and the identity cancels, so the MatMul VJP of
    // x·Wᵀ reads W itself instead of a second folded copy of every frozen weight.
    const inner = this.producer.get(x);
    if (inner?.op === Op.Transpose) {
      const p1 = (inner.attrs as OpAttrs[Op.Transpose]).perm;
      const combined = perm.map((p) => p1[p]!);
      const src = inner.inputs[0]!;
      return combined.every((p, i) => p === i) ? src : this.transpose(src, combined);
    }
    return this.node(Op.Transpose, [x], { perm: [...perm] }, [[x.dtype, perm.map((p) => x.shape[p]!)]])[0]!;
  }
  /** ONNX Reshape: in a numeric target 0 copies the input dim and -1 is inferred; or a run-time shape tensor. */
  reshape(x: Value, target: readonly number[] | Value): Value {
    const t = Array.isArray(target) ? this.ints(target) : (target as Value);
    const shape = t.known ? reshapeShape(x.shape, t.known, this.fresh) : this.freshDims(t);
    return this.node(Op.Reshape, [x, t], {}, [[x.dtype, shape]])[0]!;
  }
  unsqueeze(x: Value, axes: readonly number[]): Value {
    const r = x.rank + axes.length;
    const ax = axes.map((a) => normAxis(a, r)).sort((a, b) => a - b);
    const shape: Dim[] = [...x.shape];
    for (const a of ax) shape.splice(a, 0, 1);
    return this.node(Op.Unsqueeze, [x, this.ints(ax)], { axes: ax }, [[x.dtype, shape]])[0]!;
  }
  squeeze(x: Value, axes: readonly number[]): Value {
    const ax = axes.map((a) => normAxis(a, x.rank)).sort((a, b) => a - b);
    for (const a of ax) if (x.shape[a] !== 1) throw shapeError(`cannot squeeze axis ${a} of ${fmt(x.shape)}`);
    const shape = x.shape.filter((_, i) => !ax.includes(i));
    return this.node(Op.Squeeze, [x, this.ints(ax)], { axes: ax }, [[x.dtype, shape]])[0]!;
  }
  concat(xs: readonly Value[], axis: number): Value {
    const first = xs[0];
    if (!first) throw shapeError('concat needs at least one value');
    const a = normAxis(axis, first.rank);
    const dims = xs.map((x) => x.shape[a]!);
    const shape: Dim[] = [...first.shape];
    shape[a] = dims.every((d) => typeof d === 'number')
      ? (dims as number[]).reduce((p, q) => p + q, 0)
      : this.fresh();
    const known = xs.every((x) => x.known) ? xs.flatMap((x) => [...x.known!]) : undefined;
    return this.node(Op.Concat, [...xs], { axis: a }, [[first.dtype, shape]], known)[0]!;
  }
  /** Static slice; `ends` beyond a dim are clamped (use Infinity for "to the end"). */
  slice(
    x: Value,
    starts: readonly number[],
    ends: readonly number[],
    axes?: readonly number[],
    steps?: readonly number[],
  ): Value {
    const ax = (axes ?? starts.map((_, i) => i)).map((a) => normAxis(a, x.rank));
    const st = steps ?? ax.map(() => 1);
    const e = ends.map((v) => (v === Infinity ? BIG : v));
    const shape = sliceShape(x.shape, starts, e, ax, st, this.fresh);
    const ins = [x, this.ints(starts), this.ints(e), this.ints(ax), this.ints(st)];
    return this.node(Op.Slice, ins, { axes: ax, steps: [...st], starts: [...starts] }, [
      [x.dtype, shape],
    ])[0]!;
  }
  /** ONNX Split along `axis` into pieces of static `sizes` (their sum must be the axis's size when known). */
  split(x: Value, sizes: readonly number[], axis: number): Value[] {
    const a = normAxis(axis, x.rank);
    const total = sizes.reduce((p, q) => p + q, 0);
    const d = x.shape[a]!;
    if (sizes.length === 0 || sizes.some((n) => n < 0) || (typeof d === 'number' && d !== total)) {
      throw shapeError(`cannot split axis ${a} of ${fmt(x.shape)} into [${sizes.join(', ')}]`);
    }
    // Splitting a Concat back into its own pieces is the pieces: no kernel, no copy (the Concat is left
    // unused if nothing else reads it, and serialisation drops unused nodes).
    const cat = this.producer.get(x);
    if (
      cat?.op === Op.Concat &&
      (cat.attrs as OpAttrs[Op.Concat]).axis === a &&
      cat.inputs.length === sizes.length &&
      cat.inputs.every((v, i) => v.shape[a] === sizes[i])
    )
      return [...cat.inputs];
    const types = sizes.map((n): [DType, Shape] => [x.dtype, x.shape.map((dim, i) => (i === a ? n : dim))]);
    return this.node(Op.Split, [x, this.ints(sizes)], { axis: a, sizes: [...sizes] }, types);
  }
  /** Slice with run-time starts/ends (1-D int64 tensors), unit steps. */
  sliceDyn(x: Value, starts: Value, ends: Value, axes: readonly number[]): Value {
    const ax = axes.map((a) => normAxis(a, x.rank));
    const shape = x.shape.map((d, i) => (ax.includes(i) ? this.fresh() : d));
    const steps = ax.map(() => 1);
    const ins = [x, starts, ends, this.ints(ax), this.ints(steps)];
    return this.node(Op.Slice, ins, { axes: ax, steps, starts: null }, [[x.dtype, shape]])[0]!;
  }
  /** Zero padding; `pads` is int64 [2·rank] = begins then ends (ONNX Pad, mode constant). */
  pad(x: Value, pads: Value): Value {
    const shape = x.shape.map(() => this.fresh());
    return this.node(Op.Pad, [x, pads], {}, [[x.dtype, shape]])[0]!;
  }
  expand(x: Value, shape: readonly number[] | Value): Value {
    const s = Array.isArray(shape) ? this.ints(shape) : (shape as Value);
    const out = s.known ? broadcast(x.shape, s.known) : this.freshDims(s);
    return this.node(Op.Expand, [x, s], {}, [[x.dtype, out]])[0]!;
  }
  gather(x: Value, idx: Value, axis = 0): Value {
    const a = normAxis(axis, x.rank);
    const shape = [...x.shape.slice(0, a), ...idx.shape, ...x.shape.slice(a + 1)];
    return this.node(Op.Gather, [x, idx], { axis: a }, [[x.dtype, shape]])[0]!;
  }
  gatherElements(x: Value, idx: Value, axis: number): Value {
    return this.node(Op.GatherElements, [x, idx], { axis: normAxis(axis, x.rank) }, [
      [x.dtype, idx.shape],
    ])[0]!;
  }
  scatterElements(x: Value, idx: Value, upd: Value, axis: number, reduction: 'none' | 'add'): Value {
    const attrs = { axis: normAxis(axis, x.rank), reduction };
    return this.node(Op.ScatterElements, [x, idx, upd], attrs, [[x.dtype, x.shape]])[0]!;
  }
  gatherND(x: Value, idx: Value): Value {
    const k = idx.shape[idx.rank - 1];
    if (typeof k !== 'number')
      throw shapeError(`GatherND needs a numeric last index dim, got ${fmt(idx.shape)}`);
    const shape = [...idx.shape.slice(0, -1), ...x.shape.slice(k)];
    return this.node(Op.GatherND, [x, idx], {}, [[x.dtype, shape]])[0]!;
  }
  scatterND(x: Value, idx: Value, upd: Value, reduction: 'none' | 'add'): Value {
    return this.node(Op.ScatterND, [x, idx, upd], { reduction }, [[x.dtype, x.shape]])[0]!;
  }
  /** com.microsoft DynamicQuantizeMatMul: a [..., K] · B [K, N] (8-bit, per-column scale / zero point). */
  dynQMatmul(a: Value, b: Value, scale: Value, zeroPoint: Value): Value {
    const n = b.shape[1]!;
    return this.node(Op.DynQMatMul, [a, b, scale, zeroPoint], {}, [
      [a.dtype, [...a.shape.slice(0, -1), n]],
    ])[0]!;
  }
  zerosLike(x: Value): Value {
    return this.expand(this.scalar(0, x.dtype), this.shapeOf(x));
  }
  onesLike(x: Value): Value {
    return this.expand(this.scalar(1, x.dtype), this.shapeOf(x));
  }

  /**
   * com.microsoft MatMulNBits: a [..., K] times a block-quantised weight W [N, K] (packed by model/quant.ts)
   * → [..., N]. `zeroPoints` null means the op's default 2^(bits−1).
   */
  matmulNBits(
    a: Value,
    packed: Value,
    scales: Value,
    zeroPoints: Value | null,
    attrs: OpAttrs[Op.MatMulNBits],
  ): Value {
    if (a.shape[a.rank - 1] !== attrs.K)
      throw shapeError(`MatMulNBits of ${fmt(a.shape)} with K = ${attrs.K}`);
    const ins = zeroPoints ? [a, packed, scales, zeroPoints] : [a, packed, scales];
    return this.node(Op.MatMulNBits, ins, attrs, [[a.dtype, [...a.shape.slice(0, -1), attrs.N]]])[0]!;
  }

  // ---- plumbing ---------------------------------------------------------------------------------------------------

  /** Appends a node; `types` gives each output's dtype and shape. */
  node<P extends Op>(
    op: P,
    inputs: Value[],
    attrs: OpAttrs[P],
    types: [DType, Shape][],
    known?: Shape,
  ): Value[] {
    const outputs = types.map(
      ([d, s]) => new Value(this.nextId++, d, s, 'node', undefined, undefined, known),
    );
    const n: Node<P> = { op, inputs, outputs, attrs };
    this.nodes.push(n as unknown as Node);
    for (const o of outputs) this.producer.set(o, n as unknown as Node);
    return outputs;
  }

  private binary(op: Op.Add | Op.Sub | Op.Mul | Op.Div | Op.Pow, a: Operand, b: Operand): Value {
    const av = typeof a === 'number' ? this.scalar(a, (b as Value).dtype) : a;
    const bv = typeof b === 'number' ? this.scalar(b, av.dtype) : b;
    if (op !== Op.Pow && av.dtype !== bv.dtype) {
      throw shapeError(`${op} of ${av.dtype} and ${bv.dtype}: cast one side first`);
    }
    return this.node(op, [av, bv], {}, [[av.dtype, broadcast(av.shape, bv.shape)]])[0]!;
  }

  private same(
    op: Op.Neg | Op.Sqrt | Op.Reciprocal | Op.Exp | Op.Log | Op.Sigmoid | Op.Silu | Op.Identity,
    x: Value,
  ): Value {
    return this.node(op, [x], {}, [[x.dtype, x.shape]], x.known)[0]!;
  }

  private reduce(
    op: Op.ReduceSum | Op.ReduceMean | Op.ReduceMax,
    x: Value,
    axes: readonly number[],
    keepdims: boolean,
  ): Value {
    const ax = [...new Set(axes.map((a) => normAxis(a, x.rank)))].sort((a, b) => a - b);
    const shape = keepdims
      ? x.shape.map((d, i) => (ax.includes(i) ? 1 : d))
      : x.shape.filter((_, i) => !ax.includes(i));
    const ins = op === Op.ReduceSum ? [x, this.ints(ax)] : [x];
    return this.node(op, ins, { axes: ax, keepdims }, [[x.dtype, shape]])[0]!;
  }

  private fresh = (): string => `_${this.nextId++}`;

  private freshDims(shapeTensor: Value): Dim[] {
    const r = shapeTensor.shape[0];
    if (typeof r !== 'number') throw shapeError('a run-time shape tensor needs a static length');
    return Array.from({ length: r }, () => this.fresh());
  }

  private claim(name: string): string {
    if (this.names.has(name)) {
      throw new SmolmapError(
        'graph_duplicate_name',
        `the graph already has a value named "${name}"; pick another name`,
      );
    }
    this.names.add(name);
    return name;
  }
}

/** The rule table entry for a node (used by serialisation and autodiff). */
export function ruleOf(n: Node): (typeof RULES)[Op] {
  return RULES[n.op];
}
