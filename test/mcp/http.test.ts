/**
 * Streamable HTTP: the SDK client against startMcpHttp in this process, with a bearer token; the guards
 * (token, Host, Origin, body size, sessions) probed with plain fetch.
 */
import { readFile, stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ResourceListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { openEngine, type Engine } from '../../src/engine/index.js';
import { defaultMcpConfig, startMcpHttp, type McpHttpServer } from '../../src/mcp/index.js';
import { PETSTORE, structured, tempDir, text } from './helpers.js';

const TOKEN = 'test-token-0123456789';

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
};

async function connect(url: string, token = TOKEN): Promise<Client> {
  const client = new Client({ name: 'smolmap-http-test', version: '0.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

function post(url: string, headers: Record<string, string>, body: unknown = INIT): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** fetch sets Host from the URL, so a rebinding name is sent through node:http. */
async function postWithHost(url: string, host: string, headers: Record<string, string>): Promise<number> {
  const { request } = await import('node:http');
  const { port } = new URL(url);
  return new Promise<number>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/mcp',
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          ...headers,
          Host: host,
        },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(INIT));
  });
}

describe('MCP over Streamable HTTP', () => {
  let engine: Engine;
  let server: McpHttpServer;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const tmp = await tempDir('mcp-http');
    cleanup = tmp.cleanup;
    engine = await openEngine({ dataDir: tmp.dir, modelsDir: tmp.dir });
    server = await startMcpHttp({
      engine,
      port: 0,
      token: TOKEN,
      config: defaultMcpConfig(),
      maxBodyBytes: 64 * 1024,
      pollMs: 200,
    });
  });

  afterAll(async () => {
    await server?.close();
    await cleanup?.();
  });

  it('binds to loopback by default', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
  });

  it('answers 401 without the token, or with a wrong one', async () => {
    const none = await post(server.url, {});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await post(server.url, { Authorization: 'Bearer wrong' })).status).toBe(401);
    await expect(connect(server.url, 'wrong')).rejects.toThrow();
  });

  it('refuses foreign Host and Origin headers (DNS rebinding)', async () => {
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const port = new URL(server.url).port;
    for (const name of [
      'evil.example',
      '127.attacker.example',
      'localhost.attacker.example',
      '127.0.0.1.nip.io',
    ])
      expect(await postWithHost(server.url, `${name}:${port}`, auth), name).toBe(403);
    expect(await postWithHost(server.url, `[::1]:${port}`, auth)).toBe(200);
    expect((await post(server.url, { ...auth, Origin: 'https://evil.example' })).status).toBe(403);
    expect((await post(server.url, { ...auth, Origin: 'http://127.attacker.example' })).status).toBe(403);
    expect((await post(server.url, { ...auth, Origin: 'null' })).status).toBe(403);
    expect((await post(server.url, { ...auth, Origin: 'http://localhost:6274' })).status).toBe(200);
  });

  it('caps the request size and rejects requests outside a session', async () => {
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const big = { ...INIT, params: { ...INIT.params, pad: 'x'.repeat(70 * 1024) } };
    expect((await post(server.url, auth, big)).status).toBe(413);
    expect((await post(server.url, auth, '{not json')).status).toBe(400);
    expect((await post(server.url, auth, { jsonrpc: '2.0', id: 2, method: 'tools/list' })).status).toBe(400);
    const unknown = await post(
      server.url,
      { ...auth, 'Mcp-Session-Id': 'no-such-session' },
      { jsonrpc: '2.0', id: 3, method: 'tools/list' },
    );
    expect(unknown.status).toBe(404);
    expect((await fetch(server.url.replace('/mcp', '/other'), { headers: auth })).status).toBe(404);
  });

  it('serves tools and resources per session, and tells other sessions about changes', async () => {
    const a = await connect(server.url);
    const b = await connect(server.url);
    let bChanged = 0;
    b.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
      bChanged++;
    });
    try {
      expect(server.sessions()).toBeGreaterThanOrEqual(2);
      const { tools } = await a.listTools();
      expect(tools.map((t) => t.name)).toContain('add_spec');
      await b.listTools();
      await new Promise((r) => setTimeout(r, 1500)); // let b's standalone SSE stream open (see below)
      const added = await a.callTool({ name: 'add_spec', arguments: { content: PETSTORE } });
      expect(structured(added)).toMatchObject({ name: 'swagger-petstore', created: true });
      await expect.poll(() => bChanged, { timeout: 10_000 }).toBeGreaterThan(0);
      const listed = await b.callTool({ name: 'list_specs', arguments: {} });
      expect(text(listed)).toContain('swagger-petstore v1');
      const doc = await b.readResource({ uri: 'smolmap://specs/swagger-petstore' });
      expect((doc.contents[0] as { text: string }).text).toBe(PETSTORE);
      const bad = await b.callTool({ name: 'describe_spec', arguments: { spec: 'missing' } });
      expect(bad.isError).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('notices changes made by another process (store poll)', async () => {
    const c = await connect(server.url);
    let changed = 0;
    c.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
      changed++;
    });
    try {
      // A list_changed notice travels on the client's standalone SSE stream, which the SDK client opens
      // after initialisation: a change made before it is open is (by protocol) not delivered. Give the
      // stream time to open so the test checks the store poll, not that race.
      await c.listTools();
      await new Promise((r) => setTimeout(r, 1500));
      const other = await openEngine({ dataDir: engine.dataDir, modelsDir: engine.modelsDir });
      const { removeSpec } = await import('../../src/engine/index.js');
      await removeSpec(other, 'swagger-petstore');
      await expect.poll(() => changed, { timeout: 10_000 }).toBeGreaterThan(0);
      expect(structured(await c.callTool({ name: 'list_specs', arguments: {} }))).toEqual({ specs: [] });
    } finally {
      await c.close();
    }
  });

  it('releases the server of an initialize the transport refuses (no leaked instances or listeners)', async () => {
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const before = { sessions: server.sessions(), listeners: server.listeners() };
    for (let i = 0; i < 50; i++) {
      // The transport answers 406: the client must accept both JSON and SSE.
      const res = await post(server.url, { ...auth, Accept: 'application/json' });
      expect(res.status).toBe(406);
    }
    expect(server.sessions()).toBe(before.sessions);
    expect(server.listeners()).toBe(before.listeners);
  });

  it('ends a session on DELETE', async () => {
    const transport = new StreamableHTTPClientTransport(new URL(server.url), {
      requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } },
    });
    const client = new Client({ name: 'del', version: '0' });
    await client.connect(transport);
    const before = server.sessions();
    await transport.terminateSession();
    await expect.poll(() => server.sessions()).toBe(before - 1);
    await client.close();
  });
});

describe('MCP HTTP bind rules', () => {
  it('refuses a non-loopback bind without a token', async () => {
    const tmp = await tempDir('mcp-bind');
    const saved = process.env['SMOLMAP_MCP_TOKEN'];
    delete process.env['SMOLMAP_MCP_TOKEN'];
    try {
      const engine = await openEngine({ dataDir: tmp.dir, modelsDir: tmp.dir });
      await expect(
        startMcpHttp({ engine, port: 0, host: '0.0.0.0', config: defaultMcpConfig() }),
      ).rejects.toMatchObject({ code: 'mcp_token_required' });
    } finally {
      if (saved !== undefined) process.env['SMOLMAP_MCP_TOKEN'] = saved;
      await tmp.cleanup();
    }
  });
});

describe('MCP HTTP token by default', () => {
  it('generates a token on first start, keeps it 0600 in the data dir, and reuses it', async () => {
    const tmp = await tempDir('mcp-token');
    const saved = process.env['SMOLMAP_MCP_TOKEN'];
    delete process.env['SMOLMAP_MCP_TOKEN'];
    try {
      const engine = await openEngine({ dataDir: tmp.dir, modelsDir: tmp.dir });
      const first = await startMcpHttp({ engine, port: 0, config: defaultMcpConfig() });
      const { auth } = first;
      if (auth.kind !== 'file') throw new Error(`expected a token file, got ${auth.kind}`);
      expect(auth.created).toBe(true);
      expect((await stat(auth.file)).mode & 0o777).toBe(0o600);
      const token = (await readFile(auth.file, 'utf8')).trim();
      expect(token.length).toBeGreaterThanOrEqual(40);
      expect((await post(first.url, {})).status).toBe(401);
      expect((await post(first.url, { Authorization: `Bearer ${token}` })).status).toBe(200);
      await first.close();
      const second = await startMcpHttp({ engine, port: 0, config: defaultMcpConfig() });
      expect(second.auth).toMatchObject({ kind: 'file', created: false });
      expect((await post(second.url, { Authorization: `Bearer ${token}` })).status).toBe(200);
      await second.close();
      const open = await startMcpHttp({ engine, port: 0, config: defaultMcpConfig(), noAuth: true });
      expect(open.auth).toEqual({ kind: 'none' });
      expect((await post(open.url, {})).status).toBe(200);
      expect(await postWithHost(open.url, `127.attacker.example:${open.port}`, {})).toBe(403);
      await open.close();
      await expect(
        startMcpHttp({ engine, port: 0, host: '0.0.0.0', config: defaultMcpConfig(), noAuth: true }),
      ).rejects.toMatchObject({ code: 'mcp_token_required' });
    } finally {
      if (saved !== undefined) process.env['SMOLMAP_MCP_TOKEN'] = saved;
      await tmp.cleanup();
    }
  });
});
