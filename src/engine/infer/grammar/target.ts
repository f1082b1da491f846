import { pathTemplateNames } from '../../calls/validate.js';
import { toAjvSchema } from '../../calls/schema.js';
import type { Catalog, JsonSchema, Operation } from '../../specs/types.js';
import { LazyDfa } from './dfa.js';
import { Program } from './program.js';
import { compileValue, DEFAULT_LIMITS, type GrammarLimits } from './schema-grammar.js';

/**
 * The target text, one definition for training, grammar and parsing:
 *   {"op":"METHOD /path/{template}","path":{..},"query":{..},"body":..}
 * `op` comes first so that, once it is written, the grammar fixes the rest. A section appears exactly when
 * the operation has it: `path` when the template has placeholders (all of them, template order), `query`
 * when the operation declares query parameters (the given ones, spec order), `body` when it takes a request
 * body (`null` allowed unless required). Values are compact JSON with the schema's types.
 */
export interface TargetLayout {
  op: Operation;
  /** `METHOD /path` as written in the `op` field. */
  opName: string;
  /** Object schema of the `path` section, or null when the template has no placeholders. */
  path: JsonSchema | null;
  /** Object schema of the `query` section, or null when the operation has no query parameters. */
  query: JsonSchema | null;
  /** Request-side schema of the body, or null when the operation takes none. */
  body: { schema: JsonSchema; required: boolean } | null;
}

export function opName(op: Pick<Operation, 'method' | 'path'>): string {
  return `${op.method} ${op.path}`;
}

export function targetLayout(op: Operation): TargetLayout {
  const placeholders = pathTemplateNames(op.path);
  const pathProps: Record<string, JsonSchema> = {};
  for (const name of placeholders) {
    const declared = op.parameters.find((p) => p.in === 'path' && p.name === name);
    pathProps[name] = nonEmpty(toAjvSchema(declared?.schema ?? { type: 'string' }));
  }
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const queryProps: Record<string, JsonSchema> = {};
  for (const p of queryParams) queryProps[p.name] = toAjvSchema(p.schema);
  const object = (properties: Record<string, JsonSchema>, required: string[]): JsonSchema => ({
    type: 'object',
    properties,
    required,
    additionalProperties: false,
  });
  return {
    op,
    opName: opName(op),
    path: placeholders.length > 0 ? object(pathProps, placeholders) : null,
    query:
      queryParams.length > 0
        ? object(
            queryProps,
            queryParams.filter((p) => p.required).map((p) => p.name),
          )
        : null,
    body: op.requestBody
      ? {
          schema: op.requestBody.schema ? toAjvSchema(op.requestBody.schema) : {},
          required: op.requestBody.required,
        }
      : null,
  };
}

/** A path value is a URL segment: a string there must not be empty. */
function nonEmpty(schema: JsonSchema): JsonSchema {
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : ['string'];
  if (!types.includes('string') || schema.enum || schema.format || schema.pattern) return schema;
  return { ...schema, minLength: Math.max(1, schema.minLength ?? 0) };
}

/** The grammar of every target of the catalog, as a program and its start node. */
export function buildTargetProgram(
  catalog: Catalog,
  limits: GrammarLimits = DEFAULT_LIMITS,
): { program: Program; start: number } {
  const p = new Program();
  const end = p.end();
  const close = p.lit('}', end);
  const ops = catalog.operations.map((op) => {
    const layout = targetLayout(op);
    let at = close;
    if (layout.body) {
      const value = compileValue(p, layout.body.schema, at, limits);
      at = p.lit(',"body":', layout.body.required ? value : p.alt([value, p.lit('null', at)]));
    }
    if (layout.query) at = p.lit(',"query":', compileValue(p, layout.query, at, limits));
    if (layout.path) at = p.lit(',"path":', compileValue(p, layout.path, at, limits));
    return p.lit(JSON.stringify(layout.opName), at);
  });
  return { program: p, start: p.lit('{"op":', p.alt(ops)) };
}

const byteDfas = new WeakMap<Catalog, LazyDfa>();

/** True when `text` is a complete target of the catalog (byte-level check, no tokenizer needed). */
export function isCompleteTarget(catalog: Catalog, text: string): boolean {
  let dfa = byteDfas.get(catalog);
  if (!dfa) {
    const { program, start } = buildTargetProgram(catalog);
    dfa = new LazyDfa(program, start);
    byteDfas.set(catalog, dfa);
  }
  const at = dfa.run(dfa.start, new TextEncoder().encode(text));
  return at >= 0 && dfa.state(at).accepting;
}
