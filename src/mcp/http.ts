/**
 * The Streamable HTTP transport (MCP spec 2025-11-25, "Transports"): one endpoint, `/mcp`, for POST
 * (messages), GET (the server's SSE stream) and DELETE (end a session). One McpServer per session, keyed by
 * the `Mcp-Session-Id` the server assigns at initialize. Guards, in order: Host and Origin (DNS rebinding,
 * as the spec's security warning asks), the bearer token, and a request size cap.
 */
import { randomUUID, timingSafeEqual, createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { BlockList, isIP, type AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { SmolmapError, type Engine } from '../engine/index.js';
import { createChangeHub, type ChangeHub } from './changes.js';
import { loadMcpConfig, type McpConfig } from './config.js';
import { readBody } from './http-body.js';
import { DEFAULT_MCP_HOST } from './defaults.js';
import { createSmolmapMcpServer, type SmolmapMcpServer } from './server.js';
import { loadOrCreateToken } from './token.js';
import type { JobControl } from './tool.js';

export interface McpHttpOptions {
  engine: Engine;
  /** The tenant every session acts as (default `local`). */
  tenant?: string;
  port: number;
  /** Default 127.0.0.1. Any other address needs a token. */
  host?: string;
  /**
   * Every request must carry it. Default `$SMOLMAP_MCP_TOKEN`, else (on loopback) the token kept in
   * `<dataDir>/mcp-token`, generated on first start. Non-loopback binds need it set explicitly.
   */
  token?: string;
  /** Loopback only: serve without a token (any local process, but no web page, may then call the tools). */
  noAuth?: boolean;
  /** Browser origins allowed besides loopback ones (e.g. a hosted inspector). */
  allowedOrigins?: string[];
  /** Host header values accepted besides the bound address (e.g. a DNS name behind a proxy). */
  allowedHosts?: string[];
  maxBodyBytes?: number;
  maxSessions?: number;
  /** Sessions idle this long are closed (ms). */
  idleMs?: number;
  config?: McpConfig;
  jobs?: JobControl;
  pollMs?: number;
}

export interface McpHttpServer {
  /** The endpoint, e.g. http://127.0.0.1:7333/mcp. */
  readonly url: string;
  readonly port: number;
  /** How requests authenticate: a token from the options or environment, the stored token file, or none. */
  readonly auth: { kind: 'token' } | { kind: 'file'; file: string; created: boolean } | { kind: 'none' };
  sessions(): number;
  /** Store-change listeners held by live server instances (one per session). */
  listeners(): number;
  close(): Promise<void>;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  server: SmolmapMcpServer;
  lastSeen: number;
}

export { DEFAULT_MCP_HOST };

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * True for `localhost` and loopback IP literals (brackets allowed), compared exactly: a DNS name such as
 * `127.attacker.example` is a name an attacker controls, whatever it starts with.
 */
export function isLoopback(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare.toLowerCase() === 'localhost') return true;
  const family = isIP(bare);
  return family !== 0 && LOOPBACK.check(bare, family === 6 ? 'ipv6' : 'ipv4');
}

function sendJsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  res
    .writeHead(status, { 'Content-Type': 'application/json' })
    .end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

/** The host part of a Host header (`name:port`, `[v6]:port`); '' when it does not parse. */
function hostName(hostHeader: string): string {
  try {
    return new URL(`http://${hostHeader}`).hostname;
  } catch {
    return '';
  }
}

/** Comparing digests keeps the comparison constant-time whatever the lengths. */
function tokenMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer (.+)$/i.exec(header ?? '')?.[1] ?? '';
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(token));
}

interface Guard {
  host: string;
  token: string | undefined;
  allowedOrigins: Set<string>;
  allowedHosts: Set<string>;
}

/** Returns true when the request may pass; otherwise has answered it. */
function admit(req: IncomingMessage, res: ServerResponse, guard: Guard): boolean {
  const host = req.headers.host ?? '';
  // A rebinding page reaches us under its own DNS name, so on loopback only loopback names are accepted.
  const hostOk = isLoopback(guard.host)
    ? isLoopback(hostName(host)) || guard.allowedHosts.has(host)
    : guard.allowedHosts.size === 0 || guard.allowedHosts.has(host) || guard.allowedHosts.has(hostName(host));
  if (!hostOk) {
    sendJsonRpcError(res, 403, -32000, `forbidden: Host "${host}" is not allowed`);
    return false;
  }
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let originHost = '';
    try {
      originHost = new URL(origin).hostname;
    } catch {
      originHost = '';
    }
    if (!guard.allowedOrigins.has(origin) && !(isLoopback(originHost) || isLoopback(`[${originHost}]`))) {
      sendJsonRpcError(res, 403, -32000, `forbidden: Origin "${origin}" is not allowed`);
      return false;
    }
  }
  if (guard.token !== undefined && !tokenMatches(req.headers.authorization, guard.token)) {
    res.setHeader('WWW-Authenticate', 'Bearer realm="smolmap"');
    sendJsonRpcError(res, 401, -32001, 'unauthorized: send "Authorization: Bearer $SMOLMAP_MCP_TOKEN"');
    return false;
  }
  return true;
}

type Auth = McpHttpServer['auth'];

/** The token rule: explicit token, else none when asked (loopback only), else the stored token file. */
async function resolveAuth(
  options: McpHttpOptions,
  host: string,
  dataDir: string,
): Promise<{ token: string | undefined; auth: Auth }> {
  const token = options.token ?? (process.env['SMOLMAP_MCP_TOKEN'] || undefined);
  if (token !== undefined) return { token, auth: { kind: 'token' } };
  if (!isLoopback(host))
    throw new SmolmapError(
      'mcp_token_required',
      `binding the MCP server to ${host} exposes it beyond this machine; set SMOLMAP_MCP_TOKEN to a long random secret, or bind to 127.0.0.1`,
    );
  if (options.noAuth) return { token: undefined, auth: { kind: 'none' } };
  const stored = await loadOrCreateToken(dataDir);
  return { token: stored.token, auth: { kind: 'file', file: stored.file, created: stored.created } };
}

function listen(http: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    http.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new SmolmapError(
          'mcp_listen_failed',
          `cannot listen on ${host}:${port} (${e.code ?? e.message}); choose another --mcp-port`,
          { cause: e },
        ),
      ),
    );
    http.listen(port, host, resolve);
  });
}

export async function startMcpHttp(options: McpHttpOptions): Promise<McpHttpServer> {
  const { engine } = options;
  const host = options.host ?? DEFAULT_MCP_HOST;
  const { token, auth } = await resolveAuth(options, host, engine.dataDir);
  const config = options.config ?? (await loadMcpConfig(engine.dataDir));
  const hub = createChangeHub(engine, options.pollMs ?? 2000, options.tenant);
  const guard: Guard = {
    host,
    token,
    allowedOrigins: new Set(options.allowedOrigins ?? []),
    allowedHosts: new Set(options.allowedHosts ?? []),
  };
  const sessions = new Map<string, Session>();
  const limits = {
    maxBodyBytes: options.maxBodyBytes ?? 4 * 1024 * 1024,
    maxSessions: options.maxSessions ?? 64,
  };
  const http = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      engine.logger.error({ err: e }, 'mcp http: request failed');
      if (!res.headersSent) sendJsonRpcError(res, 500, -32603, 'internal server error');
      else res.end();
    });
  });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/mcp') {
      sendJsonRpcError(res, 404, -32601, 'not found: the MCP endpoint is /mcp');
      return;
    }
    if (!admit(req, res, guard)) return;
    await route(req, res, {
      engine,
      tenant: options.tenant,
      config,
      hub,
      sessions,
      limits,
      jobs: options.jobs,
    });
  };
  const sweep = setInterval(() => {
    const cutoff = Date.now() - (options.idleMs ?? 30 * 60_000);
    for (const [id, s] of sessions) if (s.lastSeen < cutoff) void closeSession(sessions, id);
  }, 60_000);
  sweep.unref();
  await listen(http, host, options.port);
  const port = (http.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  engine.logger.info({ host, port }, 'mcp: serving Streamable HTTP');
  return {
    url: `http://${shownHost}:${port}/mcp`,
    port,
    auth,
    sessions: () => sessions.size,
    listeners: () => hub.listeners(),
    async close() {
      clearInterval(sweep);
      hub.close();
      await Promise.all([...sessions.keys()].map((id) => closeSession(sessions, id)));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

async function closeSession(sessions: Map<string, Session>, id: string): Promise<void> {
  const s = sessions.get(id);
  if (!s) return;
  sessions.delete(id);
  await s.server.close();
}

interface RouteContext {
  engine: Engine;
  tenant: string | undefined;
  config: McpConfig;
  hub: ChangeHub;
  sessions: Map<string, Session>;
  limits: { maxBodyBytes: number; maxSessions: number };
  jobs: JobControl | undefined;
}

async function route(req: IncomingMessage, res: ServerResponse, ctx: RouteContext): Promise<void> {
  const sessionId = req.headers['mcp-session-id'];
  const id = Array.isArray(sessionId) ? sessionId[0] : sessionId;
  let body: unknown;
  if (req.method === 'POST') {
    const read = await readBody(req, ctx.limits.maxBodyBytes);
    if (!read.ok) {
      sendJsonRpcError(res, read.status, read.status === 413 ? -32600 : -32700, read.message);
      return;
    }
    body = read.value;
  }
  if (id !== undefined) {
    const session = ctx.sessions.get(id);
    if (!session) {
      // The spec's answer to an unknown or expired session: 404, and the client starts a new one.
      sendJsonRpcError(res, 404, -32001, 'session not found; start a new session with initialize');
      return;
    }
    session.lastSeen = Date.now();
    await session.transport.handleRequest(req, res, body);
    return;
  }
  if (req.method !== 'POST' || !isInitializeRequest(body)) {
    sendJsonRpcError(res, 400, -32000, 'bad request: send initialize first, then the Mcp-Session-Id header');
    return;
  }
  if (ctx.sessions.size >= ctx.limits.maxSessions) {
    sendJsonRpcError(res, 503, -32000, 'too many MCP sessions; close one (DELETE /mcp) and retry');
    return;
  }
  await openSession(req, res, body, ctx);
}

async function openSession(
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
  ctx: RouteContext,
): Promise<void> {
  const server = createSmolmapMcpServer({
    engine: ctx.engine,
    ...(ctx.tenant !== undefined && { tenant: ctx.tenant }),
    config: ctx.config,
    hub: ctx.hub,
    ...(ctx.jobs ? { jobs: ctx.jobs } : {}),
  });
  const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: (sid) => {
      ctx.sessions.set(sid, { transport, server, lastSeen: Date.now() });
    },
    onsessionclosed: (sid) => {
      void closeSession(ctx.sessions, sid);
    },
  });
  transport.onclose = () => {
    if (transport.sessionId) ctx.sessions.delete(transport.sessionId);
  };
  await server.mcp.connect(transport);
  try {
    await transport.handleRequest(req, res, body);
  } finally {
    // An initialize the transport refused (wrong Accept, bad version) opened no session: release its server.
    if (transport.sessionId === undefined || !ctx.sessions.has(transport.sessionId)) await server.close();
  }
}
