/**
 * Reverse-mode autodiff over the builder's graph (micrograd's `backward`, on a static graph): walk the nodes in
 * reverse topological order, call each op's VJP from the op table and sum cotangents at fan-out. Only nodes on a
 * path from a `wrt` value to the loss are differentiated, so a training graph skips frozen weights and stops
 * below the lowest LoRA layer on its own.
 */
import { isFloat, type Graph, type Value } from './builder.js';
import { RULES } from './ops.js';
import { SmolmapError, internal } from '../../errors.js';

/** Float values that depend on some `wrt` value (forward sweep). */
function dependents(g: Graph, wrt: readonly Value[]): Set<Value> {
  const dep = new Set<Value>(wrt);
  for (const n of g.nodes) {
    if (!n.inputs.some((v) => dep.has(v))) continue;
    for (const o of n.outputs) if (isFloat(o.dtype)) dep.add(o);
  }
  return dep;
}

/**
 * Appends to `g` the gradient of `loss` with respect to each value of `wrt` and returns them in order.
 * A non-scalar loss is treated as the sum of its elements. A `wrt` value the loss does not depend on gets zeros.
 */
export function grad(g: Graph, loss: Value, wrt: readonly Value[]): Value[] {
  if (!isFloat(loss.dtype)) {
    throw new SmolmapError(
      'graph_not_differentiable',
      `the loss has dtype ${loss.dtype}; differentiate a float value`,
    );
  }
  for (const w of wrt) {
    if (!isFloat(w.dtype)) {
      throw new SmolmapError(
        'graph_not_differentiable',
        `cannot differentiate with respect to a ${w.dtype} value`,
      );
    }
  }
  const dep = dependents(g, wrt);
  const cot = new Map<Value, Value>();
  const accumulate = (v: Value, c: Value): void => {
    const prev = cot.get(v);
    cot.set(v, prev ? g.add(prev, c) : c);
  };
  cot.set(loss, loss.rank === 0 ? g.scalar(1, loss.dtype) : g.onesLike(loss));

  // Snapshot: the backward pass appends nodes to g.nodes while we walk the forward ones.
  const forward = g.nodes.slice();
  for (let i = forward.length - 1; i >= 0; i--) {
    const n = forward[i]!;
    const needs = n.inputs.map((v) => dep.has(v) && isFloat(v.dtype));
    if (!needs.some(Boolean)) continue;
    const gys = n.outputs.map((o) => cot.get(o) ?? null);
    const rule = RULES[n.op];
    const multi = typeof rule.vjp === 'object' && 'multi' in rule.vjp ? rule.vjp.multi : null;
    if (!multi && gys.slice(1).some(Boolean)) {
      throw internal(`${n.op}: a cotangent reached a secondary output, which no VJP handles`);
    }
    if (!gys.some(Boolean)) continue;
    if (typeof rule.vjp === 'object' && 'nondiff' in rule.vjp) {
      throw new SmolmapError('graph_not_differentiable', `${n.op} has no gradient (${rule.vjp.nondiff})`);
    }
    // The table is total and keyed by n.op, so this rule matches the node's attrs.
    type Node = typeof n;
    type Cot = readonly (Value | null)[];
    type Out = (Value | null)[];
    const gin = multi
      ? (multi as (gr: Graph, node: Node, c: Cot, nd: readonly boolean[]) => Out)(g, n, gys, needs)
      : (rule.vjp as (gr: Graph, node: Node, c: Value, nd: readonly boolean[]) => Out)(g, n, gys[0]!, needs);
    n.inputs.forEach((v, j) => {
      if (!needs[j]) return;
      const c = gin[j];
      if (!c) throw internal(`${n.op} VJP returned no cotangent for input ${j}`);
      accumulate(v, c);
    });
  }
  return wrt.map((w) => cot.get(w) ?? g.zerosLike(w));
}
