/**
 * The operation catalog: what smolmap knows about a spec after ingest. Everything downstream (data synthesis,
 * grammar, validation, rendering, bots) reads this, never the raw document. Schemas here are dereferenced,
 * `allOf`-merged where possible and acyclic (a reference cycle is cut and marked `x-circular: true`), so the
 * catalog is plain JSON and can be stored as is.
 */

export const HTTP_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export type ParameterLocation = 'path' | 'query' | 'header' | 'cookie';

/** A JSON Schema (OpenAPI 3.1 flavour) as kept in the catalog. Unknown keywords are kept too. */
export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  default?: unknown;
  example?: unknown;
  examples?: unknown[];
  description?: string;
  title?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
  nullable?: boolean;
  readOnly?: boolean;
  writeOnly?: boolean;
  'x-circular'?: boolean;
  [keyword: string]: unknown;
}

export interface Parameter {
  name: string;
  in: ParameterLocation;
  required: boolean;
  description?: string;
  schema: JsonSchema;
  /** OpenAPI serialisation hints (`form` + explode for arrays in query is the default). */
  style?: string;
  explode?: boolean;
  deprecated?: boolean;
}

export interface RequestBody {
  required: boolean;
  /** The media type whose schema is kept: a JSON one when the operation offers it, else the first. */
  contentType: string;
  /** Schema of `contentType`; null when the media type has none. */
  schema: JsonSchema | null;
  /** Every media type the operation accepts, in spec order (e.g. also form-urlencoded or multipart). */
  contentTypes: string[];
  description?: string;
}

export interface Operation {
  operationId: string;
  /** True when the spec gave no operationId (or a duplicate) and smolmap derived this one. */
  operationIdDerived: boolean;
  method: HttpMethod;
  /** The path template exactly as the spec writes it (Swagger 2.0: without basePath). */
  path: string;
  summary?: string;
  description?: string;
  tags: string[];
  parameters: Parameter[];
  requestBody: RequestBody | null;
  deprecated: boolean;
  /** Names of the security schemes that apply (operation-level, else document-level). */
  security: string[];
}

export interface SecurityScheme {
  type: string;
  /** apiKey: where and under which name. */
  in?: string;
  name?: string;
  /** http: bearer / basic. */
  scheme?: string;
  description?: string;
}

export interface Catalog {
  /** info.title and info.version as the spec states them. */
  title: string;
  apiVersion: string;
  description?: string;
  /** Version of the source document: "2.0", "3.0.3", "3.1.0", ... */
  sourceFormat: string;
  /** Absolute base URLs, server variables filled with their defaults (Swagger 2.0: scheme://host+basePath). */
  servers: string[];
  operations: Operation[];
  securitySchemes: Record<string, SecurityScheme>;
  /** Schema errors outside the operations that ingest accepted (a non-URI `termsOfService`, a stray key). */
  warnings?: string[];
}
