import { jsonEqual, normaliseScalars, validateCall, type ApiCall, type ExpectedCall } from '../calls.js';
import type { Catalog } from '../specs/types.js';

/** One scored task: the model's call (null when its answer could not be parsed) and the expected one. */
export interface ScoredItem {
  predicted: ApiCall | null;
  expected: ExpectedCall;
}

export interface OperationScore {
  /** `METHOD /path/template` of the expected call. */
  operation: string;
  operationId: string | null;
  n: number;
  endpointAccuracy: number;
  exactMatch: number;
  validRate: number;
  paramF1: number;
  /** How often each wrong endpoint was predicted instead (`unparsed` when there was no call). */
  confusedWith: Record<string, number>;
}

export interface CallScores {
  n: number;
  endpointAccuracy: number;
  exactMatch: number;
  validRate: number;
  paramF1: number;
  /** Per expected operation, in catalog order (operations without tasks are left out). */
  perOperation: OperationScore[];
}

/**
 * Scores predicted calls against the expected calls of a task file:
 * - endpoint: method and path template equal;
 * - exact: endpoint and pathParams, query and body equal after scalar normalisation (objects key-order-free,
 *   arrays in order); a one-item array query value equals the plain string, the README's canonical form;
 * - valid: `validateCall` finds no issue (an unparsed answer is invalid);
 * - parameter F1: micro-averaged over (location, name, normalised value) items, body flattened to leaf paths
 *   (`source.name`, `text[0]`); counts are summed over all items before precision and recall.
 * F1 is 1 when no task has any expected or predicted item (nothing could be got wrong); n = 0 scores 0.
 */
export function scoreCalls(items: readonly ScoredItem[], catalog: Catalog): CallScores {
  const total = new Tally();
  const perOp = new Map<
    string,
    { operationId: string | null; tally: Tally; confusedWith: Record<string, number> }
  >();
  for (const { predicted, expected } of items) {
    const key = `${expected.method} ${expected.path}`;
    let entry = perOp.get(key);
    if (!entry) {
      entry = { operationId: expected.operationId, tally: new Tally(), confusedWith: {} };
      perOp.set(key, entry);
    }
    const outcome = scoreOne(predicted, expected, catalog);
    total.add(outcome);
    entry.tally.add(outcome);
    if (!outcome.endpoint) {
      const wrong = predicted ? `${predicted.method} ${predicted.path}` : 'unparsed';
      entry.confusedWith[wrong] = (entry.confusedWith[wrong] ?? 0) + 1;
    }
  }
  const order = new Map(catalog.operations.map((op, i) => [`${op.method} ${op.path}`, i]));
  const perOperation = [...perOp.entries()]
    .sort(([a], [b]) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity) || a.localeCompare(b))
    .map(([operation, e]) => ({
      operation,
      operationId: e.operationId,
      ...e.tally.rates(),
      confusedWith: e.confusedWith,
    }));
  return { ...total.rates(), perOperation };
}

/** The mean of each metric over several specs' scores (the README's headline figure). */
export function meanScores(
  scores: readonly Omit<CallScores, 'perOperation'>[],
): Omit<CallScores, 'perOperation'> {
  const mean = (pick: (s: Omit<CallScores, 'perOperation'>) => number): number =>
    scores.length === 0 ? 0 : scores.reduce((acc, s) => acc + pick(s), 0) / scores.length;
  return {
    n: scores.reduce((acc, s) => acc + s.n, 0),
    endpointAccuracy: mean((s) => s.endpointAccuracy),
    exactMatch: mean((s) => s.exactMatch),
    validRate: mean((s) => s.validRate),
    paramF1: mean((s) => s.paramF1),
  };
}

interface Outcome {
  endpoint: boolean;
  exact: boolean;
  valid: boolean;
  tp: number;
  fp: number;
  fn: number;
}

class Tally {
  n = 0;
  endpoint = 0;
  exact = 0;
  valid = 0;
  tp = 0;
  fp = 0;
  fn = 0;
  add(o: Outcome): void {
    this.n += 1;
    this.endpoint += Number(o.endpoint);
    this.exact += Number(o.exact);
    this.valid += Number(o.valid);
    this.tp += o.tp;
    this.fp += o.fp;
    this.fn += o.fn;
  }
  rates(): Omit<CallScores, 'perOperation'> {
    const share = (k: number): number => (this.n === 0 ? 0 : k / this.n);
    return {
      n: this.n,
      endpointAccuracy: share(this.endpoint),
      exactMatch: share(this.exact),
      validRate: share(this.valid),
      paramF1: f1(this.tp, this.fp, this.fn, this.n),
    };
  }
}

function f1(tp: number, fp: number, fn: number, n: number): number {
  if (n === 0) return 0;
  if (tp + fp + fn === 0) return 1;
  // F1 = 2PR/(P+R) = 2tp / (2tp + fp + fn), which is also defined when tp = 0.
  return (2 * tp) / (2 * tp + fp + fn);
}

function scoreOne(predicted: ApiCall | null, expected: ExpectedCall, catalog: Catalog): Outcome {
  const expItems = paramItems(expected);
  if (!predicted) return { endpoint: false, exact: false, valid: false, tp: 0, fp: 0, fn: expItems.length };
  const endpoint = predicted.method === expected.method && predicted.path === expected.path;
  const exact =
    endpoint &&
    jsonEqual(normaliseScalars(predicted.pathParams), normaliseScalars(expected.pathParams)) &&
    jsonEqual(canonicalQuery(predicted.query), canonicalQuery(expected.query)) &&
    jsonEqual(normaliseScalars(predicted.body ?? null), normaliseScalars(expected.body ?? null));
  const valid = validateCall(predicted, catalog).length === 0;
  const predItems = paramItems(predicted);
  const remaining = new Map<string, number>();
  for (const item of expItems) remaining.set(item, (remaining.get(item) ?? 0) + 1);
  let tp = 0;
  for (const item of predItems) {
    const left = remaining.get(item) ?? 0;
    if (left > 0) {
      tp += 1;
      remaining.set(item, left - 1);
    }
  }
  return { endpoint, exact, valid, tp, fp: predItems.length - tp, fn: expItems.length - tp };
}

/** Query values normalised, a one-item array as its plain string (the task-file convention). */
function canonicalQuery(query: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(query)) {
    const n = normaliseScalars(v);
    out[k] = Array.isArray(n) && n.length === 1 ? n[0] : n;
  }
  return out;
}

/**
 * The (location, name, value) items of a call as comparable keys. Path and query parameters are items as a
 * whole (an array query value is one item); the body is flattened to its leaf paths.
 */
export function paramItems(call: Pick<ApiCall, 'pathParams' | 'query' | 'body'>): string[] {
  const items: string[] = [];
  const push = (loc: string, name: string, value: unknown): void => {
    items.push(`${loc}\u0000${name}\u0000${JSON.stringify(value)}`);
  };
  for (const [k, v] of Object.entries(normaliseScalars(call.pathParams) as Record<string, unknown>))
    push('path', k, v);
  for (const [k, v] of Object.entries(canonicalQuery(call.query))) push('query', k, v);
  if (call.body !== null && call.body !== undefined) {
    for (const [path, v] of flattenLeaves(normaliseScalars(call.body), '')) push('body', path, v);
  }
  return items;
}

/** Leaf paths of a JSON value: `a.b`, `a[0]`, `[0].labels.x`; empty objects and arrays are leaves themselves. */
export function flattenLeaves(value: unknown, prefix: string): [string, unknown][] {
  if (Array.isArray(value)) {
    if (value.length === 0) return [[prefix, value]];
    return value.flatMap((v, i) => flattenLeaves(v, `${prefix}[${i}]`));
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return [[prefix, value]];
    return entries.flatMap(([k, v]) => flattenLeaves(v, prefix === '' ? k : `${prefix}.${k}`));
  }
  return [[prefix, value]];
}
