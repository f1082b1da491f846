/**
 * Static shape algebra for the builder: numeric dims are checked, named dims (`'batch'`, `'seq'`) are carried
 * symbolically. Convention: a dim that broadcasts must be the literal 1, so broadcast axes are known when the
 * graph is built and the VJPs can reduce over them without runtime Shape arithmetic.
 */
import { SmolmapError } from '../../errors.js';

export type Dim = number | string;
export type Shape = readonly Dim[];

export function shapeError(message: string): SmolmapError {
  return new SmolmapError('graph_shape_error', `${message}; fix the shapes passed to the graph builder`);
}

export function fmt(s: Shape): string {
  return `[${s.join(', ')}]`;
}

/** Normalises a possibly negative axis against a rank (ONNX semantics). */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw shapeError(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Numpy-style broadcast of two shapes, aligned from the right. */
export function broadcast(a: Shape, b: Shape): Dim[] {
  const r = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x === 1) out.push(y);
    else if (y === 1 || x === y) out.push(x);
    else if (typeof x === 'number' && typeof y === 'number') {
      throw shapeError(`shapes ${fmt(a)} and ${fmt(b)} do not broadcast`);
    } else out.push(typeof x === 'number' ? x : y); // a named dim meets a number: the number pins it
  }
  return out;
}

/**
 * The axes of `out` along which a value of shape `src` was broadcast: the leading extra axes, and every axis
 * where `src` has a literal 1 and `out` does not.
 */
export function broadcastAxes(src: Shape, out: Shape): { lead: number; axes: number[] } {
  const lead = out.length - src.length;
  if (lead < 0) throw shapeError(`cannot reduce ${fmt(out)} to the larger shape ${fmt(src)}`);
  const axes: number[] = [];
  for (let i = 0; i < out.length; i++) {
    if (i < lead || (src[i - lead] === 1 && out[i] !== 1)) axes.push(i);
  }
  return { lead, axes };
}

export function numel(s: Shape): number | null {
  let n = 1;
  for (const d of s) {
    if (typeof d !== 'number') return null;
    n *= d;
  }
  return n;
}

/** Output shape of ONNX Reshape given the target (0 copies the input dim, -1 is inferred). */
export function reshapeShape(input: Shape, target: Shape, fresh: () => string): Dim[] {
  const out: Dim[] = target.map((t, i) => {
    if (t !== 0) return t;
    const d = input[i];
    if (d === undefined)
      throw shapeError(`reshape target ${fmt(target)} copies dim ${i} past the rank of ${fmt(input)}`);
    return d;
  });
  const hole = out.indexOf(-1);
  if (hole >= 0) {
    const total = numel(input);
    const rest = numel(out.filter((_, i) => i !== hole));
    out[hole] = total !== null && rest !== null && rest > 0 ? total / rest : fresh();
  }
  const a = numel(input);
  const b = numel(out);
  if (a !== null && b !== null && a !== b) throw shapeError(`cannot reshape ${fmt(input)} to ${fmt(target)}`);
  return out;
}

const BIG = 2 ** 62;

/** Output dims of ONNX Slice (static starts/ends/steps per axis). */
export function sliceShape(
  input: Shape,
  starts: readonly number[],
  ends: readonly number[],
  axes: readonly number[],
  steps: readonly number[],
  fresh: () => string,
): Dim[] {
  const out: Dim[] = [...input];
  axes.forEach((ax, j) => {
    const a = normAxis(ax, input.length);
    const d = input[a]!;
    const s = starts[j]!;
    const e = ends[j]!;
    const st = steps[j] ?? 1;
    if (typeof d === 'number') {
      const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
      const len = st > 0 ? Math.ceil((clamp(e) - clamp(s)) / st) : Math.ceil((clamp(s) - clamp(e)) / -st);
      out[a] = Math.max(0, len);
    } else {
      out[a] = s === 0 && e >= BIG / 2 && st === 1 ? d : fresh();
    }
  });
  return out;
}
