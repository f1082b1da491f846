import type { HttpMethod } from './specs/types.js';

/**
 * The product's output: one concrete call of one operation of a spec (ARCHITECTURE.md, "The ApiCall").
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
