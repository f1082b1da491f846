/**
 * Don't invent: ask. A required value (path, query or header parameter, or required top-level body field) that
 * the call carries but the task never states, and that is no default or fixed value of the spec, was made up by
 * the model. Such values become questions: the answer is the operation, the values the task gave, and one
 * question per missing value, instead of a call with an invented id, email or date.
 */
import type { ApiCall } from '../calls.js';
import { buildUrl } from '../calls/render.js';
import { findOperation } from '../calls/validate.js';
import { mergeAllOf } from '../data/body.js';
import { collectCodeNames, type CodeNames } from '../data/names.js';
import { valueStated } from '../data/stated.js';
import { humanize, identWords } from '../data/words.js';
import { stem } from '../language/lexicon.js';
import { statesToken, statesValue, taskEvidence, type TaskEvidence } from '../language/evidence.js';
import type { Catalog, JsonSchema, Operation } from '../specs/types.js';

/** One value the task does not state: where it goes, its name, and the question that asks for it. */
export interface Need {
  in: 'path' | 'query' | 'header' | 'body';
  name: string;
  question: string;
}

const codeNamesOf = new WeakMap<Catalog, CodeNames>();

/** The catalog's code names (data/names.ts), collected once per catalog. */
function codeNamesFor(catalog: Catalog): CodeNames {
  let names = codeNamesOf.get(catalog);
  if (!names) codeNamesOf.set(catalog, (names = collectCodeNames(catalog)));
  return names;
}

/** The required values of `call` the task does not state (empty when the call invents nothing). */
export function missingValues(task: string, call: ApiCall, catalog: Catalog): Need[] {
  const op = findOperation(catalog, call.method, call.path);
  if (!op) return [];
  const names = codeNamesFor(catalog);
  const e = taskEvidence(task);
  const given = (where: 'path' | 'query' | 'header'): Record<string, unknown> =>
    where === 'path' ? call.pathParams : where === 'query' ? call.query : call.headers;
  const needs: Need[] = [];
  for (const p of op.parameters) {
    if (!p.required || (p.in !== 'path' && p.in !== 'query' && p.in !== 'header')) continue;
    const value = given(p.in)[p.name];
    if (!told(e, p.name, value, p.schema, names, op) || (p.in === 'path' && namesOperation(value, op)))
      needs.push({
        in: p.in,
        name: p.name,
        question: question(p.name, p.description ?? p.schema.description),
      });
  }
  const schema = op.requestBody?.schema ? mergeAllOf(op.requestBody.schema) : null;
  const body = call.body;
  if (schema?.properties && body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const fields = body as Record<string, unknown>;
    for (const name of schema.required ?? []) {
      const field = schema.properties[name];
      if (!field || !(name in fields)) continue;
      if (!told(e, name, fields[name], field, names, op))
        needs.push({ in: 'body', name, question: question(name, field.description) });
    }
  }
  return needs;
}

/**
 * True when a path value is a word that names the operation itself ("delete the rate plan" → `{Sid}` =
 * "delete" for DeleteRatePlan): the task's verb or resource, copied where an id belongs, states no id.
 */
function namesOperation(value: unknown, op: Operation): boolean {
  if (typeof value !== 'string' || !/^[A-Za-z]+$/.test(value)) return false;
  const literal = op.path.split('/').filter((s) => !s.startsWith('{'));
  const words = identWords(`${op.method} ${op.operationId ?? ''} ${op.summary ?? ''} ${literal.join(' ')}`);
  return new Set(words.map(stem)).has(stem(value.toLowerCase()));
}

/** Where a value of a call sits: its section and its top-level name. */
export interface ValueRef {
  in: Need['in'];
  name: string;
}

/**
 * The optional values of `call` (query and header parameters, top-level body fields) the task never states: the
 * model's guesses, such as a spec's example id written into an optional field. A user's call carries only what
 * they asked for, so these are left out of the answer. Values the words imply (an enum named in words, a flag
 * said as "only federal ones") count as stated (data/stated.ts).
 */
export function unstatedOptionals(task: string, call: ApiCall, catalog: Catalog): ValueRef[] {
  const op = findOperation(catalog, call.method, call.path);
  if (!op) return [];
  const names = codeNamesFor(catalog);
  const e = taskEvidence(task);
  const out: ValueRef[] = [];
  for (const p of op.parameters) {
    if (p.required || (p.in !== 'query' && p.in !== 'header')) continue;
    const value = (p.in === 'query' ? call.query : call.headers)[p.name];
    if (value !== undefined && !told(e, p.name, value, p.schema, names, op))
      out.push({ in: p.in, name: p.name });
  }
  const schema = op.requestBody?.schema ? mergeAllOf(op.requestBody.schema) : null;
  const body = call.body;
  if (schema?.properties && body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const required = new Set(schema.required ?? []);
    for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
      const field = schema.properties[name];
      if (field && !required.has(name) && !told(e, name, value, field, names, op))
        out.push({ in: 'body', name });
    }
  }
  return out;
}

/** True when the task gives `value` (any scalar of it, for arrays), or the value is the spec's own. */
function told(
  e: TaskEvidence,
  name: string,
  value: unknown,
  schema: JsonSchema,
  names: CodeNames,
  op: Operation,
): boolean {
  if (value === undefined || value === null) return true;
  if (fixed(schema, value)) return true;
  if (Array.isArray(value)) {
    const items = (schema.items && !Array.isArray(schema.items) ? schema.items : {}) as JsonSchema;
    return value.length === 0 || value.some((v) => told(e, name, v, items, names, op));
  }
  // Objects (a nested structure) are judged by the model's grammar and the data, not asked for whole.
  if (typeof value === 'object') return true;
  const typed = typeof value === 'string' && isNumeric(schema) && value !== '' ? Number(value) : value;
  const bool = typeof value === 'string' && schema.type === 'boolean' ? value === 'true' : typed;
  // A free string is told only as a whole token of the task: a value inside a longer word was cut from it.
  if (typeof bool === 'string' && !Array.isArray(schema.enum) && !DATED.has(schema.format ?? ''))
    return (
      statesToken(e, bool) ||
      (/^\d{4}-\d{2}-\d{2}/.test(bool) && valueStated(e.task, name, bool, schema, names, op))
    );
  return statesValue(e, bool) || valueStated(e.task, name, bool, schema, names, op);
}

const DATED = new Set(['date', 'date-time']);

const isNumeric = (s: JsonSchema): boolean => s.type === 'integer' || s.type === 'number';

/** The spec's default, its const, or the only value of its enum: part of the operation, not of the task. */
function fixed(schema: JsonSchema, value: unknown): boolean {
  const same = (x: unknown): boolean => x !== undefined && String(x) === String(value);
  if (same(schema.default) || same(schema.const)) return true;
  return Array.isArray(schema.enum) && schema.enum.length === 1 && same(schema.enum[0]);
}

/** "Which pet id? (ID of pet to return)": the field's words, and its description's first sentence. */
function question(name: string, description: string | undefined): string {
  const said =
    (description ?? '')
      .split(/(?<=[.!?])\s/)[0]
      ?.trim()
      .replace(/[.!?]$/, '') ?? '';
  const hint = said.length > 0 && said.length <= 90 ? ` (${said})` : '';
  return `Which ${humanize(name)}?${hint}`;
}

/**
 * The call with the values in `needs` taken out (the values the task gave), its url rebuilt: a missing path
 * parameter stays a `{name}` placeholder there.
 */
export function withoutNeeds(call: ApiCall, needs: readonly ValueRef[], catalog: Catalog): ApiCall {
  if (needs.length === 0) return call;
  const drop = (where: ValueRef['in'], from: Record<string, unknown>): Record<string, never> =>
    Object.fromEntries(
      Object.entries(from).filter(([k]) => !needs.some((n) => n.in === where && n.name === k)),
    ) as Record<string, never>;
  const body =
    call.body !== null && typeof call.body === 'object' && !Array.isArray(call.body)
      ? drop('body', call.body as Record<string, unknown>)
      : call.body;
  const have: ApiCall = {
    ...call,
    pathParams: drop('path', call.pathParams),
    query: drop('query', call.query),
    headers: drop('header', call.headers),
    body,
  };
  return { ...have, url: buildUrl(have, catalog) };
}
