/**
 * Schema normalisation for the catalog: local `$ref`s inlined, `allOf` merged where the parts agree, and
 * recursion cut (the cut point is `{ "x-circular": true, title }`), so the result is finite plain JSON.
 */
import type { SpecBudget } from './budget.js';
import type { JsonSchema } from './types.js';
import { escapePointer, isObject, type JsonObject, type RefResolver } from './refs.js';
import { openLargeRepeats, unwrapDelimited } from './patterns.js';
import { normalizeUnion } from './unions.js';

/** Keywords whose value is one subschema / a list of subschemas / a map of subschemas (JSON Schema 2020-12). */
const ONE = ['items', 'not', 'if', 'then', 'else', 'contains', 'additionalProperties', 'propertyNames'];
const LIST = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const MAP = ['properties', 'patternProperties'];
/** Keywords that may differ between allOf parts without making the merge wrong (first one wins). */
const ANNOTATIONS = new Set([
  'description',
  'title',
  'example',
  'examples',
  'default',
  'deprecated',
  'readOnly',
  'writeOnly',
  'discriminator',
  'xml',
  'externalDocs',
]);

/** Guards against specs whose schemas share so much that inlining them would explode in size. */
const MAX_REF_DEPTH = 16;
const MAX_NODES = 5_000;

export interface SchemaContext {
  resolver: RefResolver;
  /** Schema nodes left for this top-level schema; past zero, further references are cut (`x-truncated`). */
  budget: number;
  /** What the whole spec has spent; past its limits the spec is refused (budget.ts). */
  spec: SpecBudget;
}

export function newSchemaContext(resolver: RefResolver, spec: SpecBudget): SchemaContext {
  return { resolver, budget: MAX_NODES, spec };
}

function refName(ref: string): string {
  return decodeURIComponent(ref.split('/').at(-1) ?? ref);
}

/**
 * Normalises one schema. `stack` holds the references being expanded above this node (a repeat is recursion,
 * cut here); `chain` the references followed since the last real schema node (a repeat there is a pure
 * `$ref` loop that describes nothing, which is an error).
 */
export function normalizeSchema(
  node: unknown,
  at: string,
  ctx: SchemaContext,
  stack: string[] = [],
  chain: string[] = [],
): JsonSchema {
  if (node === true || node === undefined) return {};
  if (node === false) return { not: {} };
  if (!isObject(node)) return {};
  ctx.budget--;
  ctx.spec.node(at);
  const ref = node['$ref'];
  if (typeof ref === 'string') {
    if (chain.includes(ref)) throw ctx.resolver.cycle([...chain, ref], at);
    const target = ctx.resolver.lookup(ref, at);
    if (stack.includes(ref)) return { 'x-circular': true, title: refName(ref) };
    if (stack.length >= MAX_REF_DEPTH || ctx.budget <= 0) return { 'x-truncated': true, title: refName(ref) };
    const { $ref: _ignored, ...siblings } = node;
    const merged = isObject(target) ? { ...target, ...siblings } : siblings;
    return normalizeSchema(merged, ref, ctx, [...stack, ref], [...chain, ref]);
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    const here = `${at}/${escapePointer(key)}`;
    if (ONE.includes(key) && (isObject(value) || typeof value === 'boolean')) {
      out[key] = normalizeSchema(value, here, ctx, stack);
    } else if (LIST.includes(key) && Array.isArray(value)) {
      out[key] = value.map((v, i) => normalizeSchema(v, `${here}/${i}`, ctx, stack));
    } else if (MAP.includes(key) && isObject(value)) {
      const map: Record<string, JsonSchema> = {};
      for (const [name, sub] of Object.entries(value)) {
        const subAt = `${here}/${escapePointer(name)}`;
        if (key === 'patternProperties' && !ctx.spec.pattern(name, subAt)) continue;
        ctx.spec.value(name, subAt);
        map[name] = normalizeSchema(sub, subAt, ctx, stack);
      }
      out[key] = map;
    } else if (key !== '$defs' && key !== 'definitions') {
      const v =
        key === 'pattern' && typeof value === 'string' ? openLargeRepeats(unwrapDelimited(value)) : value;
      if (key === 'pattern' && typeof v === 'string' && !ctx.spec.pattern(v, here)) continue;
      ctx.spec.value(v, here);
      out[key] = v;
    }
  }
  // OpenAPI 3.1 moved `example` to `examples: [...]`; keep `example` too, which is what readers look for first.
  if (out.example === undefined && Array.isArray(out.examples) && out.examples.length > 0)
    out.example = out.examples[0];
  normalizeUnion(node, out);
  return out.allOf ? mergeAllOf(out) : out;
}

/**
 * Folds `allOf` parts into their parent when no two parts disagree on a validation keyword (properties of the
 * same name must be equal, `type`s must match). Otherwise the `allOf` stays, which is still correct.
 */
export function mergeAllOf(schema: JsonSchema): JsonSchema {
  const { allOf = [], ...rest } = schema;
  const merged: JsonObject = { ...rest };
  for (const part of allOf) {
    if (part['x-circular'] || part['x-truncated']) return schema;
    for (const [key, value] of Object.entries(part)) {
      if (key === 'properties' && isObject(value)) {
        const props = { ...((merged['properties'] as JsonObject | undefined) ?? {}) };
        for (const [name, sub] of Object.entries(value)) {
          if (props[name] !== undefined && !sameJson(props[name], sub)) return schema;
          props[name] = sub;
        }
        merged['properties'] = props;
      } else if (key === 'required' && Array.isArray(value)) {
        const req = (merged['required'] as string[] | undefined) ?? [];
        merged['required'] = [...req, ...value.filter((v: string) => !req.includes(v))];
      } else if (merged[key] === undefined) {
        merged[key] = value;
      } else if (!ANNOTATIONS.has(key) && !sameJson(merged[key], value)) {
        return schema;
      }
    }
  }
  return merged as JsonSchema;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
