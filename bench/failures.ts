/**
 * Non-exact answers of an `evaluate` run, grouped by error kind: wrong operation, unparsable, or per parameter
 * item missing / extra / wrong value (items flattened as parameter F1 counts them). Shared by the benches that
 * score a task set (mapper.ts on eval-dev, tuning.ts on the tuning set).
 */
import { parseTarget, type ApiCall, type Catalog, type EvalFailure } from '../src/engine/index.js';

export interface Expected {
  method: string;
  path: string;
  pathParams: Record<string, string>;
  query: Record<string, string | string[]>;
  body: unknown;
}

/** Flattened (location, name) → normalised value items, as parameter F1 counts them. */
function items(c: Pick<Expected, 'pathParams' | 'query' | 'body'>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(c.pathParams)) out.set(`path.${k}`, String(v));
  for (const [k, v] of Object.entries(c.query)) out.set(`query.${k}`, [v].flat().map(String).join('|'));
  const walk = (v: unknown, at: string): void => {
    if (Array.isArray(v) && v.some((x) => x !== null && typeof x === 'object'))
      v.forEach((x, i) => walk(x, `${at}[${i}]`));
    else if (v !== null && typeof v === 'object' && !Array.isArray(v))
      for (const [k, x] of Object.entries(v)) walk(x, at ? `${at}.${k}` : k);
    else out.set(`body.${at}`, Array.isArray(v) ? v.map(String).join('|') : String(v));
  };
  if (c.body !== null && c.body !== undefined) walk(c.body, '');
  return out;
}

/** Error kinds of one non-exact answer: wrong-op, unparsable, or missing / extra / wrong-value per item. */
export function classify(f: EvalFailure, expected: Expected, catalog: Catalog): string[] {
  let call: ApiCall;
  try {
    call = f.call ?? parseTarget(f.output, catalog);
  } catch {
    return ['unparsable'];
  }
  if (call.method !== expected.method || call.path !== expected.path) return ['wrong operation'];
  const [want, got] = [items(expected), items(call)];
  const kinds: string[] = [];
  for (const [k, v] of want) {
    if (!got.has(k)) kinds.push(`missing ${k}`);
    else if (got.get(k) !== v) kinds.push(`wrong value ${k}`);
  }
  for (const k of got.keys()) if (!want.has(k)) kinds.push(`extra ${k}`);
  return kinds.length > 0 ? kinds : ['other (typed/array difference)'];
}

/**
 * Prints the failures grouped by their first error kind, largest group first. `groupOf` may name the group of a
 * task instead (e.g. a task whose right answer is a question).
 */
export function reportFailures(
  spec: string,
  failures: readonly EvalFailure[],
  expectedByTask: ReadonlyMap<string, Expected>,
  catalog: Catalog,
  groupOf: (task: string) => string | undefined = () => undefined,
): void {
  const groups = new Map<string, string[]>();
  for (const f of failures) {
    const exp = expectedByTask.get(f.task);
    const kinds = exp ? classify(f, exp, catalog) : ['unknown task'];
    const kind = groupOf(f.task) ?? kinds[0]!.replace(/^(missing|extra|wrong value) .*/, '$1 parameter');
    const line = `${f.task}\n        expected ${JSON.stringify(exp)}\n        got      ${f.call ? JSON.stringify(answered(f.call)) : f.output}  [${kinds.join('; ')}]`;
    groups.set(kind, [...(groups.get(kind) ?? []), line]);
  }
  for (const [kind, ls] of [...groups].sort((a, b) => b[1].length - a[1].length)) {
    console.log(`  ${spec} — ${kind} (${ls.length})`);
    for (const l of ls) console.log(`    ✗ ${l}`);
  }
}

/** The parts of an answered call a reader compares with the expected one. */
function answered(c: ApiCall): Record<string, unknown> {
  return { op: `${c.method} ${c.path}`, path: c.pathParams, query: c.query, body: c.body };
}
