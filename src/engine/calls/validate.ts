import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ApiCall } from '../calls.js';
import { SmolmapError } from '../errors.js';
import { re2RegExp } from '../specs/patterns.js';
import type { Catalog, JsonSchema, Operation, Parameter } from '../specs/types.js';
import { toAjvSchema } from './schema.js';

// ajv-formats is CommonJS; under NodeNext its default export arrives as `.default`.
const addFormats = addFormatsModule.default;

/** One reason a call does not conform to its spec (a call with none counts as valid in scores). */
export interface CallIssue {
  code:
    | 'unknown_operation'
    | 'missing_parameter'
    | 'unknown_parameter'
    | 'invalid_value'
    | 'missing_body'
    | 'unexpected_body'
    | 'invalid_body';
  location: 'operation' | 'path' | 'query' | 'header' | 'body';
  /** Parameter name, or the body's JSON pointer ('' = the whole body). */
  name: string;
  message: string;
}

/** The operation with this method and path template, if the catalog has it. */
export function findOperation(catalog: Catalog, method: string, path: string): Operation | undefined {
  const m = method.toUpperCase();
  return catalog.operations.find((op) => op.method === m && op.path === path);
}

/** Names of the `{placeholders}` of a path template, in order. */
export function pathTemplateNames(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? '');
}

/**
 * Checks a call against the spec: the operation exists, every path placeholder is filled, required query
 * parameters and required body fields are present, no parameter is unknown, values fit their schemas (type,
 * enum, format) and the body validates against the request schema. Returns [] for a conforming call.
 * Parameter values arrive as strings (the URL form), so they are coerced to the schema's type before checking;
 * an array parameter given one string is a one-item array (the task-file convention).
 * Undeclared headers are not issues: auth and content negotiation headers belong to the transport.
 */
export function validateCall(call: ApiCall, catalog: Catalog): CallIssue[] {
  const op = findOperation(catalog, call.method, call.path);
  if (!op) {
    return [
      {
        code: 'unknown_operation',
        location: 'operation',
        name: `${call.method} ${call.path}`,
        message: `the spec has no operation ${call.method} ${call.path}`,
      },
    ];
  }
  const compiled = compiledOperation(catalog, op);
  const issues: CallIssue[] = [];
  checkParams(compiled.path, call.pathParams, 'path', issues);
  checkParams(compiled.query, call.query, 'query', issues);
  checkHeaders(compiled.header, call.headers, issues);
  checkBody(op, compiled.body, call.body, issues);
  return issues;
}

interface CompiledParam {
  param: Parameter;
  validate: ValidateFunction;
}
interface CompiledOperation {
  path: Map<string, CompiledParam>;
  query: Map<string, CompiledParam>;
  header: Map<string, CompiledParam>;
  body: ValidateFunction | null;
}
interface CatalogValidators {
  strict: Ajv2020;
  coercing: Ajv2020;
  ops: Map<Operation, CompiledOperation>;
  /**
   * Validators by schema text: operations repeat the same parameter and body schemas (an AWS spec declares
   * `{ type: string }` thousands of times), and compiling is what costs, not validating.
   */
  byText: Map<string, ValidateFunction>;
}

const cache = new WeakMap<Catalog, CatalogValidators>();

/**
 * An Ajv for spec schemas. strict: false because OpenAPI schemas carry keywords JSON Schema lacks (example, xml,
 * discriminator...); unicodeRegExp: false because spec patterns are often written for non-unicode engines;
 * patterns run in RE2 (linear time), so a spec's `^(a+)+$` cannot stall validation on a long value. URL values
 * are strings: the coercing one converts them to the declared type, and a lone value to a one-item array.
 */
function specAjv(coerce: boolean): Ajv2020 {
  const ajv = new Ajv2020({
    strict: false,
    allErrors: true,
    logger: false,
    unicodeRegExp: false,
    code: { regExp: re2RegExp },
    ...(coerce ? { coerceTypes: 'array' as const } : {}),
  });
  addFormats(ajv);
  return ajv;
}

function validatorsFor(catalog: Catalog): CatalogValidators {
  let v = cache.get(catalog);
  if (!v) {
    v = { strict: specAjv(false), coercing: specAjv(true), ops: new Map(), byText: new Map() };
    cache.set(catalog, v);
  }
  return v;
}

/**
 * Whether a value fits one request-body schema (or a part of one), by the rules `validateCall` applies to bodies.
 * Each returned checker compiles a schema object once; a part that cannot be compiled is not judged (true), as
 * the operation's own validator reports it.
 */
export function schemaChecker(): (schema: JsonSchema, value: unknown) => boolean {
  let ajv: Ajv2020 | null = null;
  const compiled = new WeakMap<JsonSchema, ValidateFunction | null>();
  return (schema, value) => {
    let fn = compiled.get(schema);
    if (fn === undefined) {
      ajv ??= specAjv(false);
      try {
        fn = ajv.compile(toAjvSchema(schema));
      } catch {
        fn = null;
      }
      compiled.set(schema, fn);
    }
    return fn === null || fn(value) === true;
  };
}

/** Compiles an operation's parameter and body schemas once per catalog (cached by object identity). */
function compiledOperation(catalog: Catalog, op: Operation): CompiledOperation {
  const v = validatorsFor(catalog);
  const hit = v.ops.get(op);
  if (hit) return hit;
  const params = (loc: Parameter['in']): Map<string, CompiledParam> =>
    new Map(
      op.parameters
        .filter((p) => p.in === loc)
        .map((p) => [
          p.name,
          { param: p, validate: compile(v, v.coercing, wrapParam(p.schema), op, p.name) },
        ]),
    );
  const path = params('path');
  // A placeholder the spec forgot to declare is still a path parameter; any non-empty string fits it.
  for (const name of pathTemplateNames(op.path)) {
    if (!path.has(name)) {
      const param: Parameter = { name, in: 'path', required: true, schema: { type: 'string' } };
      path.set(name, { param, validate: compile(v, v.coercing, wrapParam(param.schema), op, name) });
    }
  }
  const bodySchema = op.requestBody?.schema;
  const compiled: CompiledOperation = {
    path,
    query: params('query'),
    header: params('header'),
    body: bodySchema ? compile(v, v.strict, toAjvSchema(bodySchema), op, 'body') : null,
  };
  v.ops.set(op, compiled);
  return compiled;
}

/** Coercion replaces values in their parent, so a parameter is validated as the property `v` of an object. */
function wrapParam(schema: JsonSchema): JsonSchema {
  return { type: 'object', properties: { v: toAjvSchema(schema) }, required: ['v'] };
}

function compile(
  v: CatalogValidators,
  ajv: Ajv2020,
  schema: JsonSchema,
  op: Operation,
  what: string,
): ValidateFunction {
  const key = `${ajv === v.coercing ? 'c' : 's'}${JSON.stringify(schema)}`;
  const hit = v.byText.get(key);
  if (hit) return hit;
  try {
    const fn = ajv.compile(schema);
    v.byText.set(key, fn);
    return fn;
  } catch (cause) {
    throw new SmolmapError(
      'spec_schema_unsupported',
      `the schema of ${what} in ${op.method} ${op.path} cannot be compiled for validation ` +
        `(${cause instanceof Error ? cause.message : String(cause)}); fix that schema in the spec and add it again`,
      { cause, details: { operationId: op.operationId, target: what } },
    );
  }
}

function checkParams(
  compiled: Map<string, CompiledParam>,
  given: Record<string, string | string[]>,
  location: 'path' | 'query',
  issues: CallIssue[],
): void {
  for (const [name, { param, validate }] of compiled) {
    const value = given[name];
    if (value === undefined) {
      if (param.required || location === 'path') {
        issues.push({
          code: 'missing_parameter',
          location,
          name,
          message: `${location} parameter ${name} is required`,
        });
      }
      continue;
    }
    if (location === 'path' && value === '') {
      issues.push({ code: 'invalid_value', location, name, message: `path parameter ${name} is empty` });
      continue;
    }
    checkValue(validate, value, location, name, issues);
  }
  for (const name of Object.keys(given)) {
    if (!compiled.has(name)) {
      issues.push({
        code: 'unknown_parameter',
        location,
        name,
        message: `the operation has no ${location} parameter ${name}`,
      });
    }
  }
}

function checkHeaders(
  compiled: Map<string, CompiledParam>,
  given: Record<string, string>,
  issues: CallIssue[],
): void {
  const byLower = new Map(Object.entries(given).map(([k, v]) => [k.toLowerCase(), v]));
  for (const [name, { validate }] of compiled) {
    const value = byLower.get(name.toLowerCase());
    if (value !== undefined) checkValue(validate, value, 'header', name, issues);
  }
}

function checkValue(
  validate: ValidateFunction,
  value: string | string[],
  location: CallIssue['location'],
  name: string,
  issues: CallIssue[],
): void {
  const data = { v: Array.isArray(value) ? [...value] : value };
  if (validate(data)) return;
  issues.push({
    code: 'invalid_value',
    location,
    name,
    message: `${location} parameter ${name}: ${describe(validate.errors, '/v')}`,
  });
}

function checkBody(
  op: Operation,
  validate: ValidateFunction | null,
  body: unknown,
  issues: CallIssue[],
): void {
  const absent = body === null || body === undefined;
  if (!op.requestBody) {
    if (!absent)
      issues.push({
        code: 'unexpected_body',
        location: 'body',
        name: '',
        message: 'the operation takes no request body',
      });
    return;
  }
  if (absent) {
    if (op.requestBody.required)
      issues.push({
        code: 'missing_body',
        location: 'body',
        name: '',
        message: 'the operation requires a request body',
      });
    return;
  }
  if (!validate || validate(body)) return;
  for (const e of validate.errors ?? []) {
    issues.push({
      code: 'invalid_body',
      location: 'body',
      name: e.instancePath,
      message: `body${e.instancePath}: ${e.message ?? e.keyword}`,
    });
  }
}

function describe(errors: ErrorObject[] | null | undefined, prefix: string): string {
  return (errors ?? [])
    .map((e) => {
      const at = e.instancePath.startsWith(prefix) ? e.instancePath.slice(prefix.length) : e.instancePath;
      const allowed =
        e.keyword === 'enum'
          ? ` (${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues)})`
          : '';
      return `${at ? `${at} ` : ''}${e.message ?? e.keyword}${allowed}`;
    })
    .join('; ');
}
