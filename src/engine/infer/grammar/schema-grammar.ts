import { numberToDecimal } from '../../calls/normalise.js';
import { IMPLIED_LABEL, isLabelMatcher } from '../../data/matcher.js';
import { schemaTypes } from '../../calls/schema.js';
import type { JsonSchema } from '../../specs/types.js';
import { FORMATS } from './formats.js';
import { integerBounds, integerRange, numberGrammar } from './numbers.js';
import { compilePattern } from './pattern.js';
import { MAX_STRING_CHARS, type Program } from './program.js';

/** Bounds that keep every output finite; targets beyond them are not in the grammar. */
export interface GrammarLimits {
  /** Characters of a string without maxLength (a schema's smaller maxLength wins). */
  maxStringLength: number;
  /** Items of an array without (or with a larger) maxItems. */
  maxArrayItems: number;
  /** Entries of a free-form map (an object whose schema declares no properties). */
  maxMapEntries: number;
  maxMapKeyLength: number;
  /** Nesting of values whose schema says nothing (any JSON). */
  anyJsonDepth: number;
}

export const DEFAULT_LIMITS: GrammarLimits = {
  maxStringLength: 256,
  maxArrayItems: 10,
  maxMapEntries: 8,
  maxMapKeyLength: 48,
  anyJsonDepth: 2,
};

/**
 * Compiles a request-side JSON schema (already through `toAjvSchema`) into grammar nodes that write exactly
 * the compact JSON values the schema accepts, within `limits`: declared object properties in schema order
 * (readOnly ones left out, required ones present, no undeclared keys unless the object is a free-form map),
 * enums and consts as literals, integer and number ranges, string formats and patterns, unions as branches.
 */
export function compileValue(p: Program, schema: JsonSchema, next: number, limits: GrammarLimits): number {
  const anyDepth = schema['x-any'];
  if (typeof anyDepth === 'number') return anyJson(p, anyDepth, next, limits);
  if (schema['x-circular'] === true) return anyJson(p, Math.min(1, limits.anyJsonDepth), next, limits);
  if ('const' in schema) return p.lit(canonicalJson(schema.const), next);
  if (Array.isArray(schema.enum)) return p.alt(schema.enum.map((v) => p.lit(canonicalJson(v), next)));
  if (Array.isArray(schema.allOf)) return compileValue(p, mergeAll(schema), next, limits);
  const union = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(union) && union.length > 0) {
    const { anyOf: _a, oneOf: _o, ...base } = schema;
    return p.alt(union.map((option) => compileValue(p, merge(base, option), next, limits)));
  }
  const types = schemaTypes(schema);
  const inferred = types.length > 0 ? types : inferTypes(schema);
  if (inferred.length === 0) return anyJson(p, limits.anyJsonDepth, next, limits);
  return p.alt(inferred.map((t) => compileTyped(p, t, schema, next, limits)));
}

function inferTypes(s: JsonSchema): string[] {
  if (s.properties || s.additionalProperties !== undefined || s.required) return ['object'];
  if (s.items) return ['array'];
  if (s.format || s.pattern || s.minLength !== undefined || s.maxLength !== undefined) return ['string'];
  if (s.minimum !== undefined || s.maximum !== undefined) return ['number'];
  return [];
}

function compileTyped(p: Program, type: string, s: JsonSchema, next: number, limits: GrammarLimits): number {
  switch (type) {
    case 'string':
      return stringGrammar(p, s, next, limits);
    case 'integer': {
      const [lo, hi] = integerBounds(s, s.format);
      return lo <= hi ? integerRange(p, lo, hi, next) : p.fail();
    }
    case 'number':
      return numberGrammar(p, s, next);
    case 'boolean':
      return p.alt([p.lit('true', next), p.lit('false', next)]);
    case 'null':
      return p.lit('null', next);
    case 'array':
      return arrayGrammar(p, nested(s.items ?? {}, limits), s.minItems ?? 0, s.maxItems, next, limits);
    case 'object':
      return objectGrammar(p, s, next, limits);
    default:
      return p.fail();
  }
}

/**
 * Formats whose values are normalised rather than quoted from a task ("tomorrow" → a date), so their content
 * is not a copy region. Patterns are not either: they mostly describe codes a user names in words ("Germany").
 */
const NOT_COPIED_FORMATS = new Set(['date', 'date-time', 'time', 'duration']);

function stringGrammar(p: Program, s: JsonSchema, next: number, limits: GrammarLimits): number {
  const close = p.lit('"', next);
  const from = p.nodes.length;
  const copied = (start: number): number => {
    if (!NOT_COPIED_FORMATS.has(s.format ?? '')) p.markCopy(from, p.nodes.length, suggestedStrings(s));
    return p.lit('"', start);
  };
  const format = s.format ? FORMATS[s.format] : undefined;
  if (format) return copied(format(p, close));
  if (typeof s.pattern === 'string') {
    const start = compilePattern(p, s.pattern, close);
    if (start !== null) return p.lit('"', start);
  }
  const min = Math.min(s.minLength ?? 0, MAX_STRING_CHARS);
  const max = Math.max(
    min,
    Math.min(s.maxLength ?? limits.maxStringLength, limits.maxStringLength, MAX_STRING_CHARS),
  );
  return copied(p.add({ k: 'str', min, max, next }));
}

/** The string values a schema suggests (`example`, `examples`, `default`). */
function suggestedStrings(s: JsonSchema): string[] {
  const values = [s.example, ...(Array.isArray(s.examples) ? s.examples : []), s.default];
  return [...new Set(values.filter((v): v is string => typeof v === 'string' && v.length > 0))];
}

/** `[` item (`,` item)* `]` with min..max items (max capped by the limits). */
function arrayGrammar(
  p: Program,
  item: JsonSchema,
  min: number,
  max: number | undefined,
  next: number,
  limits: GrammarLimits,
): number {
  const upper = Math.max(min, Math.min(max ?? limits.maxArrayItems, limits.maxArrayItems));
  const close = p.lit(']', next);
  if (upper === 0) return p.lit('[', close);
  const more = p.repeat(
    Math.max(min - 1, 0),
    upper - 1,
    (n) => p.lit(',', compileValue(p, item, n, limits)),
    close,
  );
  const items = compileValue(p, item, more, limits);
  return p.lit('[', min === 0 ? p.alt([close, items]) : items);
}

/**
 * Objects: declared properties in schema order, each optional unless required. `A_i` = before property i
 * with nothing written yet, `B_i` = the same after at least one entry (so the next entry needs a comma).
 */
function objectGrammar(p: Program, s: JsonSchema, next: number, limits: GrammarLimits): number {
  const props = Object.entries(s.properties ?? {}).filter(([, v]) => v.readOnly !== true);
  const required = new Set(s.required ?? []);
  const close = p.lit('}', next);
  let a = close;
  let b = close;
  const extra = props.length === 0 ? freeMapValue(s, limits) : null;
  if (extra !== null) {
    // chain[k]: the map may still take k more `,entry`; the first entry has no comma.
    const entry = (n: number): number => mapEntry(p, extra, n, limits);
    let chain = close;
    let beforeLast = close;
    for (let k = 1; k <= limits.maxMapEntries; k++) {
      beforeLast = chain;
      chain = p.alt([close, p.lit(',', entry(chain))]);
    }
    b = chain;
    a = p.alt([close, entry(beforeLast)]);
  }
  const matcher = isLabelMatcher(s);
  for (let i = props.length - 1; i >= 0; i--) {
    const [name, declared] = props[i] as [string, JsonSchema];
    const schema = matcher && name === 'name' ? withImpliedLabel(declared) : declared;
    const entry = p.lit(`${JSON.stringify(name)}:`, compileValue(p, schema, b, limits));
    const withComma = p.lit(',', entry);
    const req = required.has(name);
    b = req ? withComma : p.alt([withComma, b]);
    a = req ? entry : p.alt([entry, a]);
  }
  return p.lit('{', a);
}

/**
 * A label matcher's `name` may also be `alertname`, the label a task names by saying "HighCPU alerts" (data/
 * matcher.ts writes matchers that way): the copy constraint takes it as a suggested value, since the task does
 * not spell it.
 */
function withImpliedLabel(s: JsonSchema): JsonSchema {
  return { ...s, examples: [...(Array.isArray(s.examples) ? s.examples : []), IMPLIED_LABEL] };
}

/** The value schema of a free-form map's entries, or null when the object admits no undeclared keys. */
function freeMapValue(s: JsonSchema, limits: GrammarLimits): JsonSchema | null {
  if (s.additionalProperties === false) return null;
  if (typeof s.additionalProperties === 'object') return nested(s.additionalProperties, limits);
  return nested({}, limits);
}

/** A member schema that says nothing is any JSON one level shallower than its container allows. */
function nested(schema: JsonSchema, limits: GrammarLimits): JsonSchema {
  return Object.keys(schema).length === 0 ? { 'x-any': Math.max(0, limits.anyJsonDepth - 1) } : schema;
}

/**
 * `"key":value` of a free-form map. The key is user data like a string value (an alert's label names, a
 * header's name), so it is a copy region too: a copy-constrained matcher takes it from the task, which keeps
 * the model from inventing keys (such as writing a body field name like `startsAt` as an alert annotation).
 */
function mapEntry(p: Program, value: JsonSchema, next: number, limits: GrammarLimits): number {
  const colon = p.lit(':', compileValue(p, value, next, limits));
  const from = p.nodes.length;
  const key = p.add({ k: 'str', min: 1, max: limits.maxMapKeyLength, next: colon });
  p.markCopy(from, p.nodes.length, []);
  return p.lit('"', key);
}

/** Any JSON value nested at most `depth` levels (containers hold at most 4 members). */
function anyJson(p: Program, depth: number, next: number, limits: GrammarLimits): number {
  const scalars = [
    p.lit('"', p.add({ k: 'str', min: 0, max: limits.maxStringLength, next })),
    numberGrammar(p, {}, next),
    p.lit('true', next),
    p.lit('false', next),
    p.lit('null', next),
  ];
  if (depth <= 0) return p.alt(scalars);
  const inner: GrammarLimits = { ...limits, maxArrayItems: 4, maxMapEntries: 4, anyJsonDepth: depth - 1 };
  const arr = arrayGrammar(p, { 'x-any': depth - 1 }, 0, 4, next, inner);
  const obj = objectGrammar(p, { type: 'object', additionalProperties: { 'x-any': depth - 1 } }, next, inner);
  return p.alt([...scalars, arr, obj]);
}

/** Shallow merge of a base schema with one alternative (properties and required united). */
function merge(base: JsonSchema, extra: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...base, ...extra };
  if (base.properties || extra.properties) out.properties = { ...base.properties, ...extra.properties };
  if (base.required || extra.required)
    out.required = [...new Set([...(base.required ?? []), ...(extra.required ?? [])])];
  if (base.type && extra.type === undefined) out.type = base.type;
  return out;
}

function mergeAll(schema: JsonSchema): JsonSchema {
  const { allOf = [], ...rest } = schema;
  return allOf.reduce<JsonSchema>((acc, s) => merge(acc, s), rest);
}

/** Compact JSON with numbers in shortest plain decimals (never exponent form), as the grammar writes them. */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'number') return numberToDecimal(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
