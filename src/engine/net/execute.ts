/**
 * Sending an ApiCall (MCP `execute_call`, the bots' *Run* button) under the operator's rules: the URL is rebuilt from the
 * spec (the client's `url` is ignored) and must fall under an allowlisted base URL; credentials come only from
 * the server-side config and go only under the base URL the operator bound them to, and credential headers the
 * client sent are dropped; redirects are not followed (a 3xx could leave the allowlist); the request goes
 * through the engine's guarded client (address checks); the response is cut at a byte cap and the call at a
 * time cap.
 */
import { isIP } from 'node:net';
import { buildUrl, renderCurl, validateCall, type ApiCall } from '../calls.js';
import { SmolmapError } from '../errors.js';
import type { Catalog } from '../specs/types.js';
import type { NetPolicy } from './address.js';
import { guardedFetch } from './fetch.js';
import { LOCAL_TENANT } from '../tenant.js';

/** Where one spec's calls go and with which credentials (the operator's settings for that spec). */
export interface SpecAccessConfig {
  /** Base URL to call instead of the spec's first server. */
  baseUrl?: string | undefined;
  /** The base URL the headers and query below may be sent to (default baseUrl). */
  sendCredentialsTo?: string | undefined;
  headers: Record<string, string>;
  query: Record<string, string>;
}

/** The operator's switch, allowlist and caps for sending calls. */
export interface ExecuteConfig {
  enabled: boolean;
  /** A call's URL must start with one of these (scheme + host + port + path prefix). */
  allowedBaseUrls: string[];
  timeoutMs: number;
  maxResponseBytes: number;
  /** Per spec of the tenant `local`. */
  specs: Record<string, SpecAccessConfig>;
  /** Per spec of other tenants (a bot workspace, a named MCP server), by tenant name. */
  tenants?: Record<string, { specs: Record<string, SpecAccessConfig> }>;
}

/**
 * The settings one tenant's calls go by: `specs` for `local`, `tenants.<name>.specs` for another, so one tenant
 * cannot borrow another's credentials by giving its spec the same name.
 */
export function executeConfigFor(config: ExecuteConfig, tenant: string = LOCAL_TENANT): ExecuteConfig {
  if (tenant === LOCAL_TENANT) return config;
  const own =
    config.tenants !== undefined && Object.hasOwn(config.tenants, tenant)
      ? config.tenants[tenant]
      : undefined;
  return { ...config, specs: own?.specs ?? {} };
}

export interface PreparedCall {
  method: string;
  /** The URL with configured credentials; never shown to the client. */
  url: string;
  /** The URL as shown: configured query credentials redacted. */
  shownUrl: string;
  headers: Record<string, string>;
  /** Header names whose values came from the config (redacted in what is shown). */
  secretHeaders: string[];
  body: string | null;
  contentType: string | null;
  curl: string;
}

export interface CallResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  bytes: number;
  truncated: boolean;
  durationMs: number;
}

const REDACTED = '***';
/** Headers a client may not set: credentials, and those the HTTP stack owns. */
const DROPPED_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
]);
const SHOWN_RESPONSE_HEADERS = ['content-type', 'content-length', 'location', 'retry-after'];

/** True when `url` is under `base`: same origin, and the path continues at a segment boundary. */
export function underBase(url: URL, base: string): boolean {
  const b = new URL(base);
  if (url.origin !== b.origin) return false;
  const prefix = b.pathname.replace(/\/+$/, '');
  return url.pathname === prefix || url.pathname.startsWith(`${prefix}/`) || prefix === '';
}

const NO_ACCESS: SpecAccessConfig = { headers: {}, query: {} };

/** Refuses a call that would carry the spec's credentials outside the base URL they are bound to. */
function checkCredentialHost(specName: string, url: URL, access: SpecAccessConfig): void {
  if (Object.keys(access.headers).length === 0 && Object.keys(access.query).length === 0) return;
  const bound = access.sendCredentialsTo ?? access.baseUrl;
  if (bound !== undefined && underBase(url, bound)) return;
  throw new SmolmapError(
    'call_credentials_host',
    `${url.origin}${url.pathname} is not under ${bound ?? '(no base URL)'}, where the credentials of spec "${specName}" may go; ` +
      `nothing was sent. The operator can point executeCall.specs["${specName}"].baseUrl at ${bound ?? 'the API'}, ` +
      'or bind the credentials to the new host with sendCredentialsTo in mcp.json',
    { details: { spec: specName, url: url.href, sendCredentialsTo: bound ?? null } },
  );
}

/**
 * The addresses a call may reach: the engine's policy plus the IP literals the operator allowlisted as base
 * URLs (naming http://127.0.0.1:8080 in allowedBaseUrls is a deliberate choice to call it).
 */
export function callPolicy(net: NetPolicy, config: ExecuteConfig): NetPolicy {
  const literals = config.allowedBaseUrls
    .map((b) => new URL(b).hostname.replace(/^\[(.*)\]$/, '$1'))
    .filter((h) => isIP(h) !== 0);
  return { allow: [...net.allow, ...literals] };
}

function credentialHeaderNames(catalog: Catalog, access: SpecAccessConfig): Set<string> {
  const names = new Set(DROPPED_HEADERS);
  for (const s of Object.values(catalog.securitySchemes))
    if (s.type === 'apiKey' && s.in === 'header' && s.name) names.add(s.name.toLowerCase());
  for (const k of Object.keys(access.headers)) names.add(k.toLowerCase());
  return names;
}

function encodeBody(call: ApiCall, contentType: string): string {
  if (contentType === 'application/x-www-form-urlencoded' && call.body && typeof call.body === 'object')
    return new URLSearchParams(
      Object.entries(call.body).map(([k, v]): [string, string] => [
        k,
        typeof v === 'string' ? v : JSON.stringify(v),
      ]),
    ).toString();
  return typeof call.body === 'string' && !contentType.includes('json')
    ? call.body
    : JSON.stringify(call.body);
}

/** True when calls of this spec may be sent at all: sending is on and the spec's base URL is allowlisted. */
export function executable(specName: string, catalog: Catalog, config: ExecuteConfig): boolean {
  if (!config.enabled) return false;
  const base =
    (Object.hasOwn(config.specs, specName) ? config.specs[specName]!.baseUrl : undefined) ??
    catalog.servers[0];
  if (base === undefined || !URL.canParse(base)) return false;
  return config.allowedBaseUrls.some((b) => underBase(new URL(base), b));
}

/** Validates the call against its spec and applies the allowlist and credentials. */
export function prepareCall(
  specName: string,
  call: ApiCall,
  catalog: Catalog,
  config: ExecuteConfig,
): PreparedCall {
  const issues = validateCall(call, catalog);
  if (issues.length > 0)
    throw new SmolmapError(
      'call_invalid',
      `the call does not conform to spec "${specName}": ${issues.map((i) => i.message).join('; ')}; fix it (describe_spec shows the operations) and retry`,
      { details: { issues } },
    );
  // Own keys only: a spec named "constructor" must not find Object.prototype's.
  const access = Object.hasOwn(config.specs, specName) ? config.specs[specName]! : NO_ACCESS;
  const base = access.baseUrl ?? catalog.servers[0];
  if (!base)
    throw new SmolmapError(
      'call_no_server',
      `spec "${specName}" names no server; set executeCall.specs["${specName}"].baseUrl in mcp.json`,
    );
  const url = new URL(buildUrl(call, { ...catalog, servers: [base] }));
  if (!config.allowedBaseUrls.some((b) => underBase(url, b)))
    throw new SmolmapError(
      'call_not_allowed',
      `${url.origin}${url.pathname} is not under an allowed base URL; the server operator can add it to executeCall.allowedBaseUrls in mcp.json`,
    );
  checkCredentialHost(specName, url, access);
  const shown = new URL(url);
  for (const [k, v] of Object.entries(access.query)) {
    url.searchParams.set(k, v);
    shown.searchParams.set(k, REDACTED);
  }
  const dropped = credentialHeaderNames(catalog, access);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(call.headers)) if (!dropped.has(k.toLowerCase())) headers[k] = v;
  // renderCurl writes Content-Type itself, so the shown headers leave it out.
  const shownHeaders = { ...headers };
  const hasBody = call.body !== null && call.body !== undefined;
  const contentType = hasBody ? (catalogContentType(catalog, call) ?? 'application/json') : null;
  if (contentType) headers['Content-Type'] = contentType;
  for (const [k, v] of Object.entries(access.headers)) {
    headers[k] = v;
    shownHeaders[k] = REDACTED;
  }
  const curl = renderCurl({ ...call, headers: shownHeaders, url: shown.href });
  return {
    method: call.method,
    url: url.href,
    shownUrl: shown.href,
    headers,
    secretHeaders: Object.keys(access.headers),
    body: hasBody && contentType ? encodeBody(call, contentType) : null,
    contentType,
    curl,
  };
}

function catalogContentType(catalog: Catalog, call: ApiCall): string | undefined {
  const op = catalog.operations.find((o) => o.method === call.method && o.path === call.path);
  const type = op?.requestBody?.contentType;
  // Multipart needs a boundary the fetch stack writes; we send JSON-compatible bodies only.
  return type && !type.startsWith('multipart/') ? type : undefined;
}

/** Reads at most `max` bytes of the body, then stops the download. */
async function readCapped(res: Response, max: number): Promise<{ bytes: Buffer; truncated: boolean }> {
  if (!res.body) return { bytes: Buffer.alloc(0), truncated: false };
  const reader = res.body.getReader();
  const chunks: Buffer[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { bytes: Buffer.concat(chunks), truncated: false };
    chunks.push(Buffer.from(value));
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return { bytes: Buffer.concat(chunks).subarray(0, max), truncated: true };
    }
  }
}

/** Sends the prepared call with the configured time and size caps. */
export async function sendCall(
  prepared: PreparedCall,
  config: ExecuteConfig,
  signal: AbortSignal,
  net: NetPolicy,
): Promise<CallResponse> {
  const started = performance.now();
  try {
    const res = await guardedFetch(prepared.url, {
      policy: callPolicy(net, config),
      method: prepared.method,
      headers: prepared.headers,
      body: prepared.body,
      redirect: 'manual',
      timeoutMs: config.timeoutMs,
      signal,
    });
    const { bytes, truncated } = await readCapped(res, config.maxResponseBytes);
    const headers: Record<string, string> = {};
    for (const name of SHOWN_RESPONSE_HEADERS) {
      const v = res.headers.get(name);
      if (v !== null) headers[name] = v;
    }
    return {
      status: res.status,
      headers,
      body: bytes.toString('utf8'),
      bytes: bytes.length,
      truncated,
      durationMs: Math.round(performance.now() - started),
    };
  } catch (e) {
    const code = (e as SmolmapError).code;
    if (code === 'net_timeout')
      throw new SmolmapError(
        'call_timeout',
        `${prepared.method} ${prepared.shownUrl} took longer than ${config.timeoutMs} ms; the operator can raise executeCall.timeoutMs`,
        { cause: e },
      );
    if (code === 'net_cancelled' || signal.aborted)
      throw new SmolmapError('call_cancelled', 'the call was cancelled by the client', { cause: e });
    if (e instanceof SmolmapError && code !== 'net_failed') throw e;
    throw new SmolmapError(
      'call_failed',
      `${prepared.method} ${prepared.shownUrl} failed: ${(e as Error).message}; check the server is reachable`,
      { cause: e },
    );
  }
}
