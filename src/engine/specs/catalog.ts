/**
 * Builds the operation Catalog (types.ts) from a parsed OpenAPI document of any supported version. The document
 * is upgraded to 3.1 first (@scalar/openapi-upgrader: Swagger 2.0 host+basePath → servers, body/formData
 * parameters → requestBody, definitions → components.schemas), so the rest reads one dialect.
 */
import { upgrade } from '@scalar/openapi-parser';
import { SmolmapError } from '../errors.js';
import { specFormatVersion } from './format.js';
import { escapePointer, isObject, RefResolver, type JsonObject } from './refs.js';
import { SpecBudget } from './budget.js';
import { newSchemaContext, normalizeSchema } from './schema.js';
import {
  HTTP_METHODS,
  type Catalog,
  type HttpMethod,
  type JsonSchema,
  type Operation,
  type Parameter,
  type ParameterLocation,
  type RequestBody,
  type SecurityScheme,
} from './types.js';

export type { Catalog } from './types.js';

export interface BuildCatalogOptions {
  /** Names the document in error messages (a file path or URL). */
  source?: string;
  /** Refuse repeated operationIds (ingest does: OpenAPI requires them unique) instead of renaming them. */
  strictOperationIds?: boolean;
}

const LOCATIONS: readonly string[] = ['path', 'query', 'header', 'cookie'];

/** What reading operations needs: references resolved, and the spec's budget charged (budget.ts). */
interface Reader {
  resolver: RefResolver;
  budget: SpecBudget;
}

export function buildCatalog(document: unknown, options: BuildCatalogOptions = {}): Catalog {
  const source = options.source ?? 'spec';
  const sourceFormat = specFormatVersion(document, source);
  // The upgrader rewrites in place; the caller's document stays as the user wrote it.
  const doc = upgrade(structuredClone(document) as JsonObject).specification as unknown as JsonObject;
  const resolver = new RefResolver(doc, source);
  const budget = new SpecBudget(source);
  const info = isObject(doc['info']) ? doc['info'] : {};
  const catalog: Catalog = {
    title: typeof info['title'] === 'string' ? info['title'] : '',
    apiVersion: typeof info['version'] === 'string' ? info['version'] : String(info['version'] ?? ''),
    sourceFormat,
    servers: servers(doc['servers']),
    operations: operations(doc, { resolver, budget }, options.strictOperationIds ?? false, source),
    securitySchemes: securitySchemes(doc, resolver),
  };
  if (typeof info['description'] === 'string') catalog.description = info['description'];
  if (budget.warnings.size > 0) catalog.warnings = [...budget.warnings];
  return catalog;
}

/** Server URLs with `{variables}` filled by their defaults; a trailing slash is dropped since paths start with one. */
function servers(raw: unknown): string[] {
  if (!Array.isArray(raw)) return [];
  const out: string[] = [];
  for (const s of raw) {
    if (!isObject(s) || typeof s['url'] !== 'string') continue;
    const vars = isObject(s['variables']) ? s['variables'] : {};
    const url = s['url']
      .replace(/\{([^}]+)\}/g, (whole, name: string) => {
        const v = vars[name];
        return isObject(v) && v['default'] !== undefined ? String(v['default']) : whole;
      })
      .replace(/\/+$/, '');
    if (url !== '' && !out.includes(url)) out.push(url);
  }
  return out;
}

function operations(doc: JsonObject, r: Reader, strict: boolean, source: string): Operation[] {
  const paths = isObject(doc['paths']) ? doc['paths'] : {};
  const docSecurity = doc['security'];
  const ops: Operation[] = [];
  const givenIds: (string | null)[] = [];
  for (const [path, rawItem] of Object.entries(paths)) {
    const itemAt = `#/paths/${escapePointer(path)}`;
    const item = r.resolver.deref(rawItem, itemAt);
    if (!isObject(item)) continue;
    const common = Array.isArray(item['parameters']) ? item['parameters'] : [];
    for (const [key, rawOp] of Object.entries(item)) {
      const method = key.toUpperCase() as HttpMethod;
      if (!HTTP_METHODS.includes(method) || !isObject(rawOp)) continue;
      const at = `${itemAt}/${key}`;
      const id = rawOp['operationId'];
      givenIds.push(typeof id === 'string' && id.trim() !== '' ? id : null);
      ops.push(operation(rawOp, method, path, common, at, r, docSecurity));
    }
  }
  assignOperationIds(ops, givenIds, strict, source);
  return ops;
}

function operation(
  op: JsonObject,
  method: HttpMethod,
  path: string,
  common: unknown[],
  at: string,
  r: Reader,
  docSecurity: unknown,
): Operation {
  const out: Operation = {
    operationId: '',
    operationIdDerived: false,
    method,
    path,
    tags: Array.isArray(op['tags']) ? op['tags'].filter((t): t is string => typeof t === 'string') : [],
    parameters: parameters(common, op['parameters'], at, r),
    requestBody: requestBody(op['requestBody'], `${at}/requestBody`, r),
    deprecated: op['deprecated'] === true,
    security: securityNames(op['security'] ?? docSecurity),
  };
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
  const summary = text(op['summary']);
  const description = text(op['description']);
  r.budget.value([path, out.tags, summary, description], at);
  if (summary !== undefined) out.summary = summary;
  if (description !== undefined) out.description = description;
  return out;
}

/** Path-item parameters apply to every operation; an operation's own parameter of the same name+in wins. */
function parameters(common: unknown[], own: unknown, at: string, r: Reader): Parameter[] {
  const byKey = new Map<string, Parameter>();
  const lists: [unknown[], string][] = [
    [common, at.replace(/\/[^/]+$/, '/parameters')],
    [Array.isArray(own) ? own : [], `${at}/parameters`],
  ];
  for (const [list, listAt] of lists) {
    list.forEach((raw, i) => {
      const p = parameter(raw, `${listAt}/${i}`, r);
      if (p) byKey.set(`${p.in}:${p.name}`, p);
    });
  }
  return [...byKey.values()];
}

function parameter(raw: unknown, at: string, r: Reader): Parameter | null {
  const p = r.resolver.deref(raw, at);
  if (!isObject(p) || typeof p['name'] !== 'string' || !LOCATIONS.includes(String(p['in']))) return null;
  const location = p['in'] as ParameterLocation;
  const ctx = newSchemaContext(r.resolver, r.budget);
  r.budget.value([p['name'], p['description']], at);
  // A parameter has either `schema` or `content` with exactly one media type (OpenAPI 3 §4.8.12).
  const content = isObject(p['content']) ? Object.values(p['content'])[0] : undefined;
  const rawSchema = p['schema'] ?? (isObject(content) ? content['schema'] : undefined);
  const schema = itemsEnum(normalizeSchema(rawSchema, `${at}/schema`, ctx));
  const example = parameterExample(p);
  if (example !== undefined && schema.example === undefined) schema.example = example;
  const out: Parameter = {
    name: p['name'],
    in: location,
    // Path parameters are always required (OpenAPI 3 §4.8.12.1), whatever the spec says.
    required: location === 'path' || p['required'] === true,
    schema,
  };
  if (typeof p['description'] === 'string') out.description = p['description'].trim();
  if (typeof p['style'] === 'string') out.style = p['style'];
  if (typeof p['explode'] === 'boolean') out.explode = p['explode'];
  if (p['deprecated'] === true) out.deprecated = true;
  return out;
}

/**
 * An `enum` of scalars written beside an array parameter's `items` (`type: array, items: {type: string},
 * enum: [Active, Closed]`) lists the items' values; read literally it admits no array, so it moves to `items`.
 */
function itemsEnum(s: JsonSchema): JsonSchema {
  if (s.type !== 'array' || !Array.isArray(s.enum) || !s.items || s.items.enum) return s;
  if (s.enum.some((v) => v !== null && typeof v === 'object')) return s;
  const { enum: values, ...rest } = s;
  return { ...rest, items: { ...s.items, enum: values } };
}

function parameterExample(p: JsonObject): unknown {
  if (p['example'] !== undefined) return p['example'];
  const first = isObject(p['examples']) ? Object.values(p['examples'])[0] : undefined;
  return isObject(first) ? first['value'] : undefined;
}

/** A JSON media type (`application/json`, `application/problem+json`, ...), as the one to keep. */
function isJsonMediaType(type: string): boolean {
  return /^application\/([\w.-]+\+)?json\b/i.test(type);
}

function requestBody(raw: unknown, at: string, r: Reader): RequestBody | null {
  if (raw === undefined) return null;
  const body = r.resolver.deref(raw, at);
  if (!isObject(body)) return null;
  const content = isObject(body['content']) ? body['content'] : {};
  const contentTypes = Object.keys(content);
  if (contentTypes.length === 0) return null;
  const contentType = contentTypes.find(isJsonMediaType) ?? (contentTypes[0] as string);
  const media = content[contentType];
  const mediaAt = `${at}/content/${escapePointer(contentType)}/schema`;
  const schema: JsonSchema | null =
    isObject(media) && media['schema'] !== undefined
      ? normalizeSchema(media['schema'], mediaAt, newSchemaContext(r.resolver, r.budget))
      : null;
  const out: RequestBody = { required: body['required'] === true, contentType, schema, contentTypes };
  if (typeof body['description'] === 'string') out.description = body['description'].trim();
  return out;
}

function securityNames(raw: unknown): string[] {
  if (!Array.isArray(raw)) return [];
  const names = raw.flatMap((req) => (isObject(req) ? Object.keys(req) : []));
  return [...new Set(names)];
}

function securitySchemes(doc: JsonObject, resolver: RefResolver): Record<string, SecurityScheme> {
  const components = isObject(doc['components']) ? doc['components'] : {};
  const raw = isObject(components['securitySchemes']) ? components['securitySchemes'] : {};
  const out: Record<string, SecurityScheme> = {};
  for (const [name, value] of Object.entries(raw)) {
    const s = resolver.deref(value, `#/components/securitySchemes/${escapePointer(name)}`);
    if (!isObject(s) || typeof s['type'] !== 'string') continue;
    const scheme: SecurityScheme = { type: s['type'] };
    for (const key of ['in', 'name', 'scheme', 'description'] as const)
      if (typeof s[key] === 'string') scheme[key] = s[key];
    out[name] = scheme;
  }
  return out;
}

/** `GET /pet/{petId}/uploadImage` → `getPetByPetIdUploadImage`: stable (from method + path) and readable. */
export function deriveOperationId(method: HttpMethod, path: string): string {
  const pascal = (s: string) =>
    s
      .split(/[^A-Za-z0-9]+/)
      .filter(Boolean)
      .map((w) => w[0]!.toUpperCase() + w.slice(1))
      .join('');
  const parts = path
    .split('/')
    .filter(Boolean)
    .map((seg) => {
      const param = /^\{(.+)\}$/.exec(seg);
      return param ? `By${pascal(param[1]!)}` : pascal(seg);
    });
  return method.toLowerCase() + (parts.join('') || 'Root');
}

function assignOperationIds(
  ops: Operation[],
  given: (string | null)[],
  strict: boolean,
  source: string,
): void {
  const taken = new Set<string>();
  const owner = new Map<string, string>();
  // Given ids claim their names first, so a derived id never steals a name the spec chose.
  ops.forEach((op, i) => {
    const id = given[i];
    if (!id) return;
    if (!taken.has(id)) {
      taken.add(id);
      owner.set(id, `${op.method} ${op.path}`);
      op.operationId = id;
    } else if (strict) {
      throw new SmolmapError(
        'spec_duplicate_operation_id',
        `${source}: operationId "${id}" is used by both ${owner.get(id)} and ${op.method} ${op.path}; ` +
          'operationIds must be unique (OpenAPI 3, Operation Object), so rename one',
        { details: { operationId: id } },
      );
    }
  });
  ops.forEach((op, i) => {
    if (op.operationId !== '') return;
    const base = given[i] ?? deriveOperationId(op.method, op.path);
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}_${n}`;
    taken.add(id);
    op.operationId = id;
    op.operationIdDerived = true;
  });
}
