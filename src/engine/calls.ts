import type { HttpMethod } from './specs/types.js';

/**
 * The product's output: one concrete call of one operation of a spec.
 * `path` is the spec's template; `url` is derived (first server + filled template + query string).
 */
export interface ApiCall {
  operationId: string | null;
  method: HttpMethod;
  path: string;
  pathParams: Record<string, string>;
  /** Array-valued query parameters carry arrays; everything else is a string. */
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body: unknown;
  url: string;
}

/**
 * The `expected` member of a task file line: no headers and no url; `pathParams` and
 * `query` values are strings (an array query parameter given one value is a plain string).
 */
export interface ExpectedCall {
  method: HttpMethod;
  path: string;
  operationId: string | null;
  pathParams: Record<string, string>;
  query: Record<string, string | string[]>;
  body: unknown;
}

export { findOperation, pathTemplateNames, validateCall, type CallIssue } from './calls/validate.js';
export { buildUrl, renderCurl, renderFetch } from './calls/render.js';
export { jsonEqual, normaliseScalars, numberToDecimal } from './calls/normalise.js';
export { toAjvSchema } from './calls/schema.js';
