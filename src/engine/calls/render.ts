import type { ApiCall } from '../calls.js';
import type { Catalog, Parameter } from '../specs/types.js';
import { findOperation } from './validate.js';

/**
 * The call's URL: the catalog's first server + the template filled with percent-encoded path values + the
 * query string. Query serialisation follows the parameter's OpenAPI style (3.1 §4.8.12.4): `form` with explode
 * (the default) repeats the key (`k=a&k=b`), `form` without explode joins with commas, `spaceDelimited` and
 * `pipeDelimited` join with %20 and |. A call whose operation is unknown gets the defaults.
 */
export function buildUrl(call: ApiCall, catalog: Catalog): string {
  const base = (catalog.servers[0] ?? '').replace(/\/+$/, '');
  const filled = call.path.replace(/\{([^}]+)\}/g, (whole, name: string) => {
    const value = call.pathParams[name];
    return value === undefined ? whole : encodeURIComponent(value);
  });
  const op = findOperation(catalog, call.method, call.path);
  const params = new Map<string, Parameter>(
    (op?.parameters ?? []).filter((p) => p.in === 'query').map((p) => [p.name, p]),
  );
  const parts: string[] = [];
  for (const [name, value] of Object.entries(call.query)) {
    parts.push(...serialiseQuery(name, value, params.get(name)));
  }
  return `${base}${filled}${parts.length > 0 ? `?${parts.join('&')}` : ''}`;
}

function serialiseQuery(name: string, value: string | string[], param: Parameter | undefined): string[] {
  const key = encodeURIComponent(name);
  if (!Array.isArray(value)) return [`${key}=${encodeURIComponent(value)}`];
  const style = param?.style ?? 'form';
  const explode = param?.explode ?? style === 'form';
  if (style === 'form' && explode) return value.map((v) => `${key}=${encodeURIComponent(v)}`);
  const sep = style === 'spaceDelimited' ? '%20' : style === 'pipeDelimited' ? '|' : ',';
  return [`${key}=${value.map(encodeURIComponent).join(sep)}`];
}

/** The media type the call's body is sent as: the operation's chosen one, else JSON. */
function contentTypeOf(call: ApiCall, catalog: Catalog | undefined): string {
  const op = catalog ? findOperation(catalog, call.method, call.path) : undefined;
  return op?.requestBody?.contentType ?? 'application/json';
}

function hasBody(call: ApiCall): boolean {
  return call.body !== null && call.body !== undefined;
}

/** `key=value` pairs of a flat object body, nested values as JSON (form and multipart bodies). */
function formPairs(body: unknown): [string, string][] {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return [['body', JSON.stringify(body)]];
  return Object.entries(body).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]);
}

/** POSIX shell single-quoting: close, escaped quote, reopen. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A curl command line for the call (URL from the catalog when given, else `call.url`). */
export function renderCurl(call: ApiCall, catalog?: Catalog): string {
  const url = catalog ? buildUrl(call, catalog) : call.url;
  const args = ['curl'];
  if (call.method !== 'GET' || hasBody(call)) args.push('-X', call.method);
  args.push(shellQuote(url));
  for (const [k, v] of Object.entries(call.headers)) args.push('-H', shellQuote(`${k}: ${v}`));
  if (hasBody(call)) {
    const type = contentTypeOf(call, catalog);
    if (type.startsWith('multipart/')) {
      for (const [k, v] of formPairs(call.body)) args.push('-F', shellQuote(`${k}=${v}`));
    } else if (type === 'application/x-www-form-urlencoded') {
      for (const [k, v] of formPairs(call.body)) args.push('--data-urlencode', shellQuote(`${k}=${v}`));
    } else {
      args.push('-H', shellQuote(`Content-Type: ${type}`), '--data', shellQuote(JSON.stringify(call.body)));
    }
  }
  return args.join(' ');
}

/** A JavaScript `fetch` snippet for the call (URL from the catalog when given, else `call.url`). */
export function renderFetch(call: ApiCall, catalog?: Catalog): string {
  const url = catalog ? buildUrl(call, catalog) : call.url;
  const headers: Record<string, string> = { ...call.headers };
  const init: string[] = [`  method: ${JSON.stringify(call.method)},`];
  let body: string | null = null;
  if (hasBody(call)) {
    const type = contentTypeOf(call, catalog);
    if (type.startsWith('multipart/')) {
      const lines = formPairs(call.body).map(
        ([k, v]) => `form.append(${JSON.stringify(k)}, ${JSON.stringify(v)});`,
      );
      body = 'form';
      const pre = ['const form = new FormData();', ...lines].join('\n');
      return `${pre}\n${fetchText(url, init, headers, body)}`;
    }
    if (type === 'application/x-www-form-urlencoded') {
      headers['Content-Type'] = type;
      body = `new URLSearchParams(${JSON.stringify(Object.fromEntries(formPairs(call.body)))})`;
    } else {
      headers['Content-Type'] = type;
      body = `JSON.stringify(${JSON.stringify(call.body, null, 2).replace(/\n/g, '\n  ')})`;
    }
  }
  return fetchText(url, init, headers, body);
}

function fetchText(
  url: string,
  init: string[],
  headers: Record<string, string>,
  body: string | null,
): string {
  const lines = [...init];
  if (Object.keys(headers).length > 0) lines.push(`  headers: ${JSON.stringify(headers)},`);
  if (body !== null) lines.push(`  body: ${body},`);
  return `const response = await fetch(${JSON.stringify(url)}, {\n${lines.join('\n')}\n});`;
}
