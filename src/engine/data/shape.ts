import type { JsonSchema } from '../specs/types.js';
import { patternString } from './fit.js';
import { schemaType, type ValueCtx } from './values.js';
import { humanize } from './words.js';

/**
 * Readings of object schemas the body sampler needs beyond `properties`: required names a spec forgot to
 * declare, and maps (`additionalProperties`) that must hold an entry.
 */

const isEmptySchema = (x: unknown): boolean =>
  x !== null && typeof x === 'object' && Object.keys(x).length === 0;

/**
 * The properties of an object schema, plus each required name it does not declare (a spec slip such as
 * `required: [key]` beside a `blob_key` property), typed by `additionalProperties` or as a string. A required name
 * the object forbids (`additionalProperties: false`) is left out: no value can satisfy it.
 */
export function withUndeclared(s: JsonSchema): Record<string, JsonSchema> {
  const props = s.properties ?? {};
  const ap = s.additionalProperties;
  if (ap === false || (typeof ap === 'object' && isEmptySchema(ap.not))) return props;
  const missing = (s.required ?? []).filter((k) => !Object.hasOwn(props, k));
  if (missing.length === 0) return props;
  const schema: JsonSchema = typeof ap === 'object' && schemaType(ap) !== undefined ? ap : { type: 'string' };
  return { ...props, ...Object.fromEntries(missing.map((k) => [k, schema])) };
}

/**
 * The value schema of a map that must hold at least one entry (`minProperties` ≥ 1, no named properties) and
 * whose values are not plain strings (those are label maps, sampled apart); null otherwise.
 */
export function objectMapEntry(s: JsonSchema): JsonSchema | null {
  const ap = s.additionalProperties;
  if (s.properties || typeof ap !== 'object' || schemaType(ap) === 'string') return null;
  const min = s['minProperties'];
  const max = s['maxProperties'];
  return typeof min === 'number' && min > 0 && (typeof max !== 'number' || max >= 1) ? ap : null;
}

const LOCALES = ['en_US', 'en_GB', 'de_DE', 'fr_FR', 'es_ES', 'it_IT', 'ja_JP'];

/** A key for one map entry: from `propertyNames` when the spec constrains keys, else from the map's name. */
export function mapKey(s: JsonSchema, name: string, ctx: ValueCtx): string | null {
  const names = (s['propertyNames'] ?? {}) as JsonSchema;
  if (Array.isArray(names.enum) && names.enum.length > 0) return String(ctx.rng.pick(names.enum));
  if (typeof names.pattern === 'string') return patternString(names, ctx.rng);
  const text = `${humanize(name)} ${s.description ?? ''}`;
  if (/\blocale/i.test(text)) return ctx.rng.pick(LOCALES);
  if (/\blanguage/i.test(text)) return ctx.rng.pick(['en', 'de', 'fr', 'es', 'ja']);
  return `${ctx.faker.word
    .noun()
    .toLowerCase()
    .replace(/[^a-z]/g, '')}${ctx.rng.int(1, 9)}`;
}
