import type { JsonSchema } from '../specs/types.js';

/**
 * Catalog schemas → schemas Ajv (JSON Schema 2020-12) accepts with the meaning OpenAPI gives them.
 * - `nullable: true` (OpenAPI 3.0) becomes a `null` member of `type`; Ajv rejects `nullable` without `type`.
 * - OpenAPI 3.0 boolean `exclusiveMinimum/Maximum` become the numeric 2020-12 form.
 * - In a request, `readOnly` properties are not sent, so they are dropped from `required`
 *   (OpenAPI 3.0.3 §4.7.25 "readOnly": "If the property is marked as readOnly being true and is in the
 *   required list, the required will take effect on the response only").
 */
export function toAjvSchema(schema: JsonSchema, direction: 'request' | 'response' = 'request'): JsonSchema {
  return convertSchema(schema, direction) as JsonSchema;
}

/** Keywords whose value is a map name → schema. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
/** Keywords whose value is a list of schemas. */
const SCHEMA_LISTS = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);
/** Keywords whose value is one schema. */
const SCHEMA_ONE = new Set([
  'items',
  'additionalProperties',
  'not',
  'if',
  'then',
  'else',
  'contains',
  'propertyNames',
  'unevaluatedProperties',
  'unevaluatedItems',
  'additionalItems',
]);

function convertSchema(node: unknown, direction: 'request' | 'response'): unknown {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (SCHEMA_MAPS.has(key) && value !== null && typeof value === 'object') {
      const map: Record<string, unknown> = {};
      for (const [name, sub] of Object.entries(value)) map[name] = convertSchema(sub, direction);
      out[key] = map;
    } else if (SCHEMA_LISTS.has(key) && Array.isArray(value)) {
      out[key] = value.map((sub) => convertSchema(sub, direction));
    } else if (SCHEMA_ONE.has(key)) {
      out[key] = Array.isArray(value)
        ? value.map((sub) => convertSchema(sub, direction))
        : convertSchema(value, direction);
    } else {
      out[key] = value;
    }
  }
  fixNullable(out);
  fixExclusive(out, 'exclusiveMinimum', 'minimum');
  fixExclusive(out, 'exclusiveMaximum', 'maximum');
  if (Array.isArray(out.required) && out.properties && typeof out.properties === 'object') {
    const props = out.properties as Record<string, Record<string, unknown> | undefined>;
    const skip = direction === 'request' ? 'readOnly' : 'writeOnly';
    out.required = (out.required as string[]).filter((name) => props[name]?.[skip] !== true);
  }
  return out;
}

function fixNullable(s: Record<string, unknown>): void {
  if (!('nullable' in s)) return;
  const nullable = s.nullable === true;
  delete s.nullable;
  if (!nullable || s.type === undefined) return;
  const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
  if (!types.includes('null')) s.type = [...types, 'null'];
  if (Array.isArray(s.enum) && !s.enum.includes(null)) s.enum = [...s.enum, null];
}

function fixExclusive(s: Record<string, unknown>, key: string, bound: string): void {
  if (typeof s[key] !== 'boolean') return;
  if (s[key] === true && typeof s[bound] === 'number') {
    s[key] = s[bound];
    delete s[bound];
  } else {
    delete s[key];
  }
}

/** The JSON types a schema admits at its top level (empty = unconstrained). */
export function schemaTypes(schema: JsonSchema): string[] {
  if (Array.isArray(schema.type)) return schema.type;
  if (typeof schema.type === 'string') return [schema.type];
  return [];
}
