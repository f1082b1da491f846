/**
 * The one outbound HTTP client for URLs that users, specs or clients choose (spec URLs, chat uploads, model
 * pulls, execute_call). Each hop: http(s) only; the host's addresses are resolved and every one is checked
 * (address.ts) before a socket opens, and the socket connects to the checked address, so a DNS answer that
 * changes between check and connect cannot slip through. Redirects are followed here, hop by hop, with the same
 * check and credentials dropped when the origin changes. A deadline, an idle timeout and a body cap bound it.
 * No Accept-Encoding is sent, so a compressed bomb never inflates in memory.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { SmolmapError } from '../errors.js';
import { bareHost, checkAddress, type NetPolicy } from './address.js';

export interface GuardedRequest {
  policy: NetPolicy;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array | null;
  /** Deadline for the whole exchange, body included (ms). None by default (long downloads). */
  timeoutMs?: number;
  /** Longest silence on the socket (ms); default 30 s. */
  idleMs?: number;
  /** Reading more body than this fails with `net_too_large`. */
  maxBytes?: number;
  /** `follow` (default: each hop checked, at most `maxRedirects`) or `manual` (the 3xx is the answer). */
  redirect?: 'follow' | 'manual';
  maxRedirects?: number;
  signal?: AbortSignal;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const NULL_BODY = new Set([204, 205, 304]);
/** Sent to the origin that was asked, never to the one a redirect names. */
const ORIGIN_BOUND = ['authorization', 'proxy-authorization', 'cookie'];
const DEFAULT_IDLE_MS = 30_000;

interface Exchange {
  url: string;
  policy: NetPolicy;
  signal: AbortSignal;
  deadline: AbortSignal | undefined;
  external: AbortSignal | undefined;
  timeoutMs: number | undefined;
}

function failure(e: unknown, x: Exchange): SmolmapError {
  if (e instanceof SmolmapError) return e;
  if (x.deadline?.aborted)
    return new SmolmapError(
      'net_timeout',
      `${x.url} did not answer within ${x.timeoutMs} ms; try again later`,
      {
        cause: e,
        details: { url: x.url },
      },
    );
  if (x.external?.aborted)
    return new SmolmapError('net_cancelled', `the request to ${x.url} was cancelled`, { cause: e });
  const err = e as NodeJS.ErrnoException;
  const reason = err.code
    ? `${err.code}${err.message.includes(err.code) ? '' : ` ${err.message}`}`
    : err.message;
  return new SmolmapError('net_failed', `cannot reach ${x.url} (${reason}); check the URL and the network`, {
    cause: e,
    details: { url: x.url },
  });
}

/** A DNS lookup that refuses the whole name when any of its addresses is blocked. */
function guardedLookup(x: Exchange): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { all: true, family: options.family ?? 0 }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      try {
        if (addresses.length === 0) throw new SmolmapError('net_failed', `${hostname} has no address`);
        for (const a of addresses) checkAddress(a.address, x.url, x.policy);
      } catch (e) {
        return callback(e as NodeJS.ErrnoException, '', 0);
      }
      if (options.all) (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

function requestOnce(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | Uint8Array | null,
  x: Exchange,
  idleMs: number,
): Promise<IncomingMessage> {
  const host = bareHost(url.hostname);
  // A literal address skips DNS (and the lookup hook), so it is checked here.
  if (isIP(host) !== 0) checkAddress(host, url.href, x.policy);
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      {
        protocol: url.protocol,
        hostname: host,
        port: url.port === '' ? undefined : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method,
        headers,
        agent: false,
        lookup: guardedLookup(x),
        signal: x.signal,
        timeout: idleMs,
      },
      resolve,
    );
    req.on('timeout', () =>
      req.destroy(
        new SmolmapError('net_timeout', `${url.href} went silent for ${idleMs} ms; try again later`),
      ),
    );
    req.on('error', (e) => reject(failure(e, x)));
    req.end(body ?? undefined);
  });
}

/** The response body as a web stream that fails once it passes `maxBytes`. */
function bodyStream(
  res: IncomingMessage,
  x: Exchange,
  maxBytes: number | undefined,
): ReadableStream<Uint8Array> {
  let total = 0;
  let settled = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const fail = (e: unknown) => {
        if (settled) return;
        settled = true;
        controller.error(failure(e, x));
      };
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        total += chunk.length;
        if (maxBytes !== undefined && total > maxBytes) {
          fail(
            new SmolmapError(
              'net_too_large',
              `${x.url} sent more than ${maxBytes} bytes; the limit stops it`,
              {
                details: { url: x.url, maxBytes },
              },
            ),
          );
          res.destroy();
          return;
        }
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 1) <= 0) res.pause();
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        controller.close();
      });
      res.on('error', fail);
      res.on('aborted', () => fail(new Error('the connection closed before the body ended')));
    },
    pull() {
      res.resume();
    },
    cancel() {
      settled = true;
      res.destroy();
    },
  });
}

function toResponse(res: IncomingMessage, x: Exchange, maxBytes: number | undefined): Response {
  const status = res.statusCode ?? 0;
  if (status < 200 || status > 599) {
    res.destroy();
    throw failure(new Error(`unexpected HTTP status ${status}`), x);
  }
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    try {
      headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
    } catch {
      // A header value fetch's Headers rejects is one no caller reads.
    }
  }
  const nullBody = NULL_BODY.has(status);
  if (nullBody) res.resume();
  const response = new Response(nullBody ? null : bodyStream(res, x, maxBytes), {
    status,
    statusText: res.statusMessage ?? '',
    headers,
  });
  Object.defineProperty(response, 'url', { value: x.url });
  return response;
}

function checkScheme(url: URL, given: string): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new SmolmapError(
      'net_bad_url',
      `${given} is not an http(s) URL; smolmap fetches only http and https`,
      { details: { url: given } },
    );
}

function parseUrl(url: string | URL): URL {
  try {
    return new URL(url);
  } catch (e) {
    throw new SmolmapError('net_bad_url', `${String(url)} is not a valid URL`, { cause: e });
  }
}

/** Fetches `url` under the policy; see the module comment. The Response's `url` is the last hop's. */
export async function guardedFetch(url: string | URL, r: GuardedRequest): Promise<Response> {
  let current = parseUrl(url);
  checkScheme(current, String(url));
  const deadline = r.timeoutMs === undefined ? undefined : AbortSignal.timeout(r.timeoutMs);
  const signals = [deadline, r.signal].filter((s): s is AbortSignal => s !== undefined);
  const signal = signals.length === 0 ? new AbortController().signal : AbortSignal.any(signals);
  let method = (r.method ?? 'GET').toUpperCase();
  let body = r.body ?? null;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = v;
  const maxRedirects = r.redirect === 'manual' ? 0 : (r.maxRedirects ?? 5);
  for (let hop = 0; ; hop++) {
    const x: Exchange = {
      url: current.href,
      policy: r.policy,
      signal,
      deadline,
      external: r.signal,
      timeoutMs: r.timeoutMs,
    };
    const res = await requestOnce(current, method, headers, body, x, r.idleMs ?? DEFAULT_IDLE_MS);
    const location = res.headers.location;
    if (r.redirect === 'manual' || !REDIRECTS.has(res.statusCode ?? 0) || location === undefined)
      return toResponse(res, x, r.maxBytes);
    res.resume();
    if (hop >= maxRedirects)
      throw new SmolmapError(
        'net_too_many_redirects',
        `${String(url)} redirected more than ${maxRedirects} times; give the final URL`,
        { details: { url: String(url) } },
      );
    const next = parseUrl(new URL(location, current).href);
    checkScheme(next, next.href);
    if (next.origin !== current.origin) for (const h of ORIGIN_BOUND) delete headers[h];
    if (res.statusCode === 303 || (method === 'POST' && res.statusCode !== 307 && res.statusCode !== 308)) {
      method = method === 'HEAD' ? 'HEAD' : 'GET';
      body = null;
      delete headers['content-type'];
      delete headers['content-length'];
    }
    current = next;
  }
}

/**
 * A `fetch`-shaped view of guardedFetch for libraries that take one (the Hugging Face Hub client). Only
 * string and byte bodies pass; the libraries that use it send nothing else.
 */
export function guardedFetchFunction(
  base: Omit<GuardedRequest, 'method' | 'headers' | 'body'>,
): typeof fetch {
  return async (input, init) => {
    const request = input instanceof Request ? input : undefined;
    const url = request ? request.url : input instanceof URL ? input.href : String(input);
    const headers = Object.fromEntries(new Headers(init?.headers ?? request?.headers).entries());
    const body = init?.body ?? null;
    if (body !== null && typeof body !== 'string' && !(body instanceof Uint8Array))
      throw new SmolmapError('internal', 'internal: guarded fetch takes string or byte bodies only');
    const signal = init?.signal ?? request?.signal;
    return guardedFetch(url, {
      ...base,
      method: init?.method ?? request?.method ?? 'GET',
      headers,
      body,
      ...(signal ? { signal } : {}),
    });
  };
}
