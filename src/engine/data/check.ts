import type { ApiCall } from '../calls.js';
import { pathTemplateNames, validateCall } from '../calls/validate.js';
import { Rng, hash32 } from '../rng.js';
import type { Catalog, JsonSchema, Operation } from '../specs/types.js';
import { mergeAllOf } from './body.js';
import type { CodeNames } from './names.js';
import { unstatedValues } from './stated.js';
import type { ExpectedCall, RejectedExamples, TaskExample } from './types.js';
import { sampleScalar, schemaType, type ValueCtx } from './values.js';

/**
 * The gate every generated example passes before it is kept: its call conforms to the spec (`validateCall`),
 * every path placeholder is filled, and every free value the call carries is stated in the task (the copy rule:
 * a model trained on a value its task does not state learns to invent values). A rejected example is counted by
 * reason, never silently dropped.
 */
export type RejectCode = 'unfilled_path' | 'unstated_value' | ReturnType<typeof validateCall>[number]['code'];

const asCall = (e: ExpectedCall): ApiCall => ({
  operationId: e.operationId ?? '',
  method: e.method,
  path: e.path,
  pathParams: e.pathParams,
  query: e.query,
  headers: {},
  body: e.body,
  url: '',
});

/** Why an example must not be kept: one line per defect, each with its code. */
export function exampleDefects(
  e: Pick<TaskExample, 'task' | 'expected'>,
  catalog: Catalog,
  codeNames: CodeNames,
): { code: RejectCode; detail: string }[] {
  const out: { code: RejectCode; detail: string }[] = [];
  for (const name of pathTemplateNames(e.expected.path))
    if (!e.expected.pathParams[name]) out.push({ code: 'unfilled_path', detail: `{${name}} is not filled` });
  for (const i of validateCall(asCall(e.expected), catalog)) out.push({ code: i.code, detail: i.message });
  const example = {
    ...e,
    meta: { family: '', operationId: null, source: 'synthetic' as const, split: 'train' as const },
  };
  for (const v of unstatedValues(example, catalog, codeNames))
    out.push({ code: 'unstated_value', detail: `${v} is not stated in the task` });
  return out;
}

/**
 * Compiles an operation's validators once; a schema ajv cannot compile (a pattern JavaScript rejects) makes the
 * operation unusable for data, and the message says which schema to fix.
 */
export function uncheckableReason(op: Operation, catalog: Catalog): string | null {
  try {
    validateCall(
      asCall({ method: op.method, path: op.path, operationId: null, pathParams: {}, query: {}, body: null }),
      catalog,
    );
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Nesting past which required fields are not followed (the body sampler stops at the same depth). */
const MAX_DEPTH = 16;
/** Draws of a constrained string before it counts as one no value fits. */
const FIT_TRIES = 8;

/** Required strings with both a `pattern` and a `format`, at any depth of required fields and array items. */
function constrainedLeaves(s0: JsonSchema, name: string, depth: number, out: [string, JsonSchema][]): void {
  const s = mergeAllOf(s0);
  if (depth > MAX_DEPTH || s.oneOf || s.anyOf || s['x-circular'] === true) return;
  const t = schemaType(s);
  if (t === 'array' && s.items) constrainedLeaves(s.items, `${name}[]`, depth + 1, out);
  else if (t === 'object' || s.properties)
    for (const k of s.required ?? []) {
      const p = s.properties?.[k];
      if (p) constrainedLeaves(p, name ? `${name}.${k}` : k, depth + 1, out);
    }
  else if (t === 'string' && typeof s.pattern === 'string' && s.format !== undefined) out.push([name, s]);
}

/**
 * A required string no value can fit, because its pattern and its format contradict each other (an email whose
 * pattern asks for a backslash): every draft of the operation would be rejected, so the operation is skipped
 * with a reason that names the field. Draws use their own seeded RNG, so the data set's draws are unchanged.
 */
export function unsatisfiableReason(op: Operation, ctx: ValueCtx): string | null {
  const leaves: [string, JsonSchema][] = [];
  for (const p of op.parameters)
    if (p.required && p.in !== 'header') constrainedLeaves(p.schema, p.name, 0, leaves);
  if (op.requestBody?.required && op.requestBody.schema)
    constrainedLeaves(op.requestBody.schema, 'body', 0, leaves);
  for (const [name, schema] of leaves) {
    const own: ValueCtx = { ...ctx, rng: new Rng(hash32(`${op.operationId} ${name}`)) };
    const field = { name: name.split('.').at(-1) ?? name, schema, description: schema.description };
    const fits = Array.from({ length: FIT_TRIES }).some(() => sampleScalar(field, own) !== null);
    if (!fits)
      return `required ${name} admits no value: its pattern ${schema.pattern} and its format ${schema.format} contradict each other`;
  }
  return null;
}

/** Counts rejections by code, keeping a few examples of each for `data show`. */
export class RejectionLog {
  private readonly byCode = new Map<string, { count: number; samples: string[] }>();
  total = 0;

  add(task: string, expected: ExpectedCall, defects: { code: RejectCode; detail: string }[]): void {
    this.total++;
    for (const code of new Set(defects.map((d) => d.code))) {
      const entry = this.byCode.get(code) ?? { count: 0, samples: [] };
      entry.count++;
      if (entry.samples.length < 3) {
        const detail = defects.find((d) => d.code === code)?.detail ?? '';
        entry.samples.push(`${expected.method} ${expected.path}: "${task}" (${detail})`);
      }
      this.byCode.set(code, entry);
    }
  }

  report(): RejectedExamples {
    return {
      total: this.total,
      reasons: [...this.byCode].map(([code, e]) => ({ code, count: e.count, samples: e.samples })),
    };
  }
}
