import type { ApiCall, ExpectedCall } from '../calls.js';
import { buildUrl, findOperation, normaliseScalars } from '../calls.js';
import { schemaTypes } from '../calls/schema.js';
import { SmolmapError } from '../errors.js';
import type { ChatMessage } from '../model/tokenizer/types.js';
import type { Catalog, JsonSchema, Operation } from '../specs/types.js';
import { canonicalJson } from './grammar/schema-grammar.js';
import { isCompleteTarget, opName, targetLayout } from './grammar/target.js';

/**
 * The one definition of what the model reads and writes, shared by training and inference.
 *
 * Output (the "target"): compact JSON `{"op":"GET /bookings/{bookingId}","path":{..},"query":{..},"body":..}`.
 * Why this shape, for a 135M model under a grammar: `op` first, so one early decision fixes the rest and the
 * grammar can force every key that follows; `METHOD /path` rather than an operationId because every operation
 * has one, it is unique, and it is what users and the untrained prompt show; short keys and no whitespace to
 * keep the output a few dozen tokens; sections only where the operation has them (see `targetLayout`), keys in
 * spec order so the grammar has one spelling per call; values typed as the schema says (numbers, booleans,
 * arrays), so the model never learns string-encoded numbers.
 */

export interface PromptOptions {
  catalog?: Catalog;
  /** List the spec's operations in the prompt: for an untrained (base) model that must pick from them. */
  includeOperations?: boolean;
}

/**
 * The system line of a trained adapter. Every training example pays for these tokens in forward and backward,
 * and an adapter is trained for one spec, so it names neither the API nor the format (the adapter has learnt
 * both): 9 tokens instead of 25, about 13 % fewer tokens per example.
 */
export const TRAINED_SYSTEM = 'Reply with the API call as JSON.';

/** System + user messages for a task. */
export function buildMessages(task: string, options: PromptOptions = {}): ChatMessage[] {
  const untrained = options.includeOperations === true && options.catalog !== undefined;
  const api = options.catalog ? ` of the API "${options.catalog.title}"` : '';
  const lines = [
    untrained
      ? `Turn the user's task into one call${api}. Reply with the call as JSON only.`
      : TRAINED_SYSTEM,
  ];
  if (untrained && options.catalog) {
    lines.push(
      'Format: {"op":"METHOD /path","path":{...},"query":{...},"body":...} with only the sections the operation has.',
      'Operations:',
      ...options.catalog.operations.map(describeOperation),
    );
  }
  return [
    { role: 'system', content: lines.join('\n') },
    { role: 'user', content: task.trim() },
  ];
}

function describeOperation(op: Operation): string {
  const layout = targetLayout(op);
  const params = (s: JsonSchema | null, label: string): string => {
    const names = Object.keys(s?.properties ?? {});
    return names.length > 0 ? ` ${label}: ${names.join(', ')}` : '';
  };
  const bodyFields = layout.body ? Object.keys(layout.body.schema.properties ?? {}) : [];
  const body = layout.body ? ` body${bodyFields.length > 0 ? `: ${bodyFields.join(', ')}` : ''}` : '';
  const summary = op.summary ? ` (${op.summary.replace(/\s+/g, ' ').trim()})` : '';
  return `- ${layout.opName}${summary}${params(layout.path, 'path')}${params(layout.query, 'query')}${body}`;
}

/**
 * The target text the model is trained to write for a call. Parameter strings become the schema's types;
 * object keys follow the schema's order. Throws `target_outside_grammar` when the call cannot be written
 * within the grammar (so no training example teaches an output the decoder would refuse).
 */
export function callToTarget(call: ApiCall | ExpectedCall, catalog: Catalog): string {
  const op = findOperation(catalog, call.method, call.path);
  if (!op) {
    throw new SmolmapError(
      'target_unknown_operation',
      `${call.method} ${call.path} is not an operation of the spec; fix the example's method or path`,
    );
  }
  const layout = targetLayout(op);
  let text = `{"op":${JSON.stringify(layout.opName)}`;
  if (layout.path) text += `,"path":${paramsJson(call.pathParams, layout.path)}`;
  if (layout.query) text += `,"query":${paramsJson(call.query, layout.query)}`;
  if (layout.body) text += `,"body":${canonicalJson(orderBySchema(call.body ?? null, layout.body.schema))}`;
  text += '}';
  if (!isCompleteTarget(catalog, text)) {
    throw new SmolmapError(
      'target_outside_grammar',
      `the call to ${layout.opName} does not fit the spec grammar (unknown or missing parameter, wrong type, or a value beyond ` +
        'the grammar limits); fix the example so it validates against the spec',
      { details: { target: text } },
    );
  }
  return text;
}

function paramsJson(given: Record<string, string | string[]>, section: JsonSchema): string {
  const props = section.properties ?? {};
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(props)) {
    const value = given[name];
    if (value !== undefined) out[name] = typedParam(value, props[name] ?? {});
  }
  for (const name of Object.keys(given)) if (!(name in props)) out[name] = given[name];
  return canonicalJson(out);
}

/** A URL-string parameter as the JSON value of its schema's type (a lone value of an array is one item). */
function typedParam(value: string | string[], schema: JsonSchema): unknown {
  const types = schemaTypes(schema);
  if (types.includes('array') || (types.length === 0 && Array.isArray(value))) {
    return (Array.isArray(value) ? value : [value]).map((v) => typedScalar(v, schema.items ?? {}));
  }
  return typedScalar(Array.isArray(value) ? (value[0] ?? '') : value, schema);
}

function typedScalar(value: string, schema: JsonSchema): unknown {
  if (Array.isArray(schema.enum)) {
    const member = schema.enum.find((e) => normaliseScalars(e) === value);
    if (member !== undefined) return member;
  }
  const types = schemaTypes(schema);
  if (types.includes('string') || types.length === 0) return value;
  if ((types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?$/.test(value))
    return Number(value);
  if (types.includes('boolean') && (value === 'true' || value === 'false')) return value === 'true';
  if (types.includes('null') && value === 'null') return null;
  return value;
}

/** Reorders object keys as the schema declares them (alternatives' declarations united), recursively. */
export function orderBySchema(value: unknown, schema: JsonSchema | undefined): unknown {
  const alts = schema ? flattenAlternatives(schema) : [];
  if (Array.isArray(value)) {
    const items = alts.find((s) => s.items)?.items;
    return value.map((v) => orderBySchema(v, items));
  }
  if (value === null || typeof value !== 'object') return value;
  const declared = new Map<string, JsonSchema>();
  for (const s of alts)
    for (const [k, v] of Object.entries(s.properties ?? {})) if (!declared.has(k)) declared.set(k, v);
  const extra = alts.map((s) => s.additionalProperties).find((a): a is JsonSchema => typeof a === 'object');
  const src = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, s] of declared) if (k in src) out[k] = orderBySchema(src[k], s);
  for (const [k, v] of Object.entries(src)) if (!declared.has(k)) out[k] = orderBySchema(v, extra);
  return out;
}

function flattenAlternatives(schema: JsonSchema): JsonSchema[] {
  const nested = [...(schema.allOf ?? []), ...(schema.anyOf ?? []), ...(schema.oneOf ?? [])];
  return [schema, ...nested.flatMap(flattenAlternatives)];
}

/**
 * Parses the model's output into an ApiCall (url filled from the catalog's first server). Throws
 * `target_unparsable` for text that is not a target JSON object and `target_unknown_operation` for an `op`
 * the spec lacks. The call is not validated here (`validateCall` does that).
 */
export function parseTarget(text: string, catalog: Catalog): ApiCall {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new SmolmapError('target_unparsable', `the model's answer is not JSON: ${clip(text)}`, { cause });
  }
  if (
    doc === null ||
    typeof doc !== 'object' ||
    Array.isArray(doc) ||
    typeof (doc as { op?: unknown }).op !== 'string'
  ) {
    throw new SmolmapError('target_unparsable', `the model's answer has no "op" field: ${clip(text)}`);
  }
  const d = doc as { op: string; path?: unknown; query?: unknown; body?: unknown };
  const op = catalog.operations.find((o) => opName(o) === d.op);
  if (!op)
    throw new SmolmapError(
      'target_unknown_operation',
      `the model answered with ${JSON.stringify(d.op)}, which is not an operation of the spec`,
    );
  const call: ApiCall = {
    operationId: op.operationIdDerived ? null : op.operationId,
    method: op.method,
    path: op.path,
    pathParams: stringMap(d.path, false) as Record<string, string>,
    query: stringMap(d.query, true),
    headers: {},
    body: d.body === undefined ? null : d.body,
    url: '',
  };
  call.url = buildUrl(call, catalog);
  return call;
}

function stringMap(section: unknown, arrays: boolean): Record<string, string | string[]> {
  if (section === null || section === undefined) return {};
  if (typeof section !== 'object' || Array.isArray(section)) {
    throw new SmolmapError(
      'target_unparsable',
      `a parameter section of the answer is not an object: ${clip(JSON.stringify(section))}`,
    );
  }
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(section))
    out[k] = arrays && Array.isArray(v) ? v.map(asString) : asString(v);
  return out;
}

function asString(v: unknown): string {
  const n = normaliseScalars(v);
  return typeof n === 'string' ? n : n === null ? 'null' : JSON.stringify(n);
}

function clip(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
