/**
 * execute_call against a local HTTP server: off by default, dry-run by default, allowlist, server-side
 * credentials (client credentials dropped), redirects not followed, size and time caps.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { addSpec, openEngine, type Engine } from '../../src/engine/index.js';
import {
  McpConfigSchema,
  createChangeHub,
  createSmolmapMcpServer,
  defaultMcpConfig,
  type McpConfig,
} from '../../src/mcp/index.js';
import { underBase } from '../../src/engine/index.js';
import { structured, tempDir, text, tinySpec } from './helpers.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

async function client(engine: Engine, config: McpConfig): Promise<Client> {
  const [a, b] = InMemoryTransport.createLinkedPair();
  const server = createSmolmapMcpServer({ engine, config, hub: createChangeHub(engine) });
  await server.mcp.connect(a);
  const c = new Client({ name: 'exec-test', version: '0' });
  await c.connect(b);
  return c;
}

describe('execute_call', () => {
  let api: Server;
  let base: string;
  const seen: Seen[] = [];
  let engine: Engine;
  let cleanup: () => Promise<void>;
  let on: Client;
  let off: Client;

  beforeAll(async () => {
    api = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        if (req.url?.startsWith('/api/notes/7'))
          res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"id":7}');
        else if (req.url?.startsWith('/api/notes/8')) res.writeHead(200).end('y'.repeat(5000));
        else if (req.url?.startsWith('/api/notes/9')) setTimeout(() => res.writeHead(200).end('late'), 2000);
        else if (req.url?.startsWith('/api/notes/10'))
          res.writeHead(302, { Location: 'http://evil.example/' }).end();
        else res.writeHead(201, { 'Content-Type': 'application/json' }).end(body);
      });
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(api.address() as AddressInfo).port}/api`;
    const tmp = await tempDir('mcp-exec');
    cleanup = tmp.cleanup;
    engine = await openEngine({ dataDir: tmp.dir, modelsDir: tmp.dir });
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${tmp.dir}/notes.json`, tinySpec(base));
    await writeFile(`${tmp.dir}/elsewhere.json`, tinySpec('http://127.0.0.1:1/other'));
    await addSpec(engine, `${tmp.dir}/notes.json`, { name: 'notes' });
    await addSpec(engine, `${tmp.dir}/elsewhere.json`, { name: 'elsewhere' });
    const config = McpConfigSchema.parse({
      executeCall: {
        enabled: true,
        allowedBaseUrls: [base],
        timeoutMs: 500,
        maxResponseBytes: 1000,
        specs: {
          notes: {
            sendCredentialsTo: base,
            headers: { 'X-Api-Key': 'server-secret' },
            query: { tenant: 't1' },
          },
        },
      },
    });
    on = await client(engine, config);
    off = await client(engine, defaultMcpConfig());
  });

  afterAll(async () => {
    await on?.close();
    await off?.close();
    await new Promise((r) => api.close(r));
    await cleanup?.();
  });

  const get = (id: string, extra: Record<string, unknown> = {}) => ({
    spec: 'notes',
    call: { method: 'GET', path: '/notes/{id}', pathParams: { id }, ...extra },
  });

  it('is not offered unless mcp.json enables it', async () => {
    expect((await off.listTools()).tools.map((t) => t.name)).not.toContain('execute_call');
    await expect(off.callTool({ name: 'execute_call', arguments: get('7') })).rejects.toBeInstanceOf(
      McpError,
    );
    expect((await on.listTools()).tools.map((t) => t.name)).toContain('execute_call');
  });

  it('previews by default, with credentials redacted, and sends nothing', async () => {
    const before = seen.length;
    const r = await on.callTool({ name: 'execute_call', arguments: get('7') });
    expect(r.isError).toBeFalsy();
    const s = structured<{ dryRun: boolean; request: { url: string; curl: string }; response: null }>(r);
    expect(s.dryRun).toBe(true);
    expect(s.response).toBeNull();
    expect(s.request.url).toBe(`${base}/notes/7?tenant=***`);
    expect(s.request.curl).toContain("'X-Api-Key: ***'");
    expect(s.request.curl).not.toContain('server-secret');
    expect(text(r)).toMatch(/^Dry run/);
    expect(seen.length).toBe(before);
  });

  it("sends with the server's credentials and drops the client's", async () => {
    const r = await on.callTool({
      name: 'execute_call',
      arguments: {
        ...get('7', {
          headers: { 'X-Api-Key': 'from-model', Authorization: 'Bearer stolen', 'X-Trace': 'a' },
        }),
        execute: true,
      },
    });
    expect(r.isError).toBeFalsy();
    expect(structured(r)).toMatchObject({
      dryRun: false,
      response: { status: 200, body: '{"id":7}', truncated: false },
    });
    const last = seen.at(-1)!;
    expect(last.url).toBe('/api/notes/7?tenant=t1');
    expect(last.headers['x-api-key']).toBe('server-secret');
    expect(last.headers['authorization']).toBeUndefined();
    expect(last.headers['x-trace']).toBe('a');
  });

  it('sends JSON bodies', async () => {
    const r = await on.callTool({
      name: 'execute_call',
      arguments: {
        spec: 'notes',
        call: { method: 'POST', path: '/notes', body: { text: 'hi' } },
        execute: true,
      },
    });
    expect(structured(r)).toMatchObject({ response: { status: 201, body: '{"text":"hi"}' } });
    expect(seen.at(-1)!.headers['content-type']).toBe('application/json');
  });

  it('caps the response size and the time, and does not follow redirects', async () => {
    const big = structured<{ response: { bytes: number; truncated: boolean } }>(
      await on.callTool({ name: 'execute_call', arguments: { ...get('8'), execute: true } }),
    );
    expect(big.response).toMatchObject({ bytes: 1000, truncated: true });
    const slow = await on.callTool({ name: 'execute_call', arguments: { ...get('9'), execute: true } });
    expect(slow.isError).toBe(true);
    expect(text(slow)).toMatch(/^call_timeout:/);
    const moved = structured<{ response: { status: number; headers: Record<string, string> } }>(
      await on.callTool({ name: 'execute_call', arguments: { ...get('10'), execute: true } }),
    );
    expect(moved.response.status).toBe(302);
    expect(moved.response.headers['location']).toBe('http://evil.example/');
  });

  it('refuses calls outside the allowlist and calls that break the spec', async () => {
    const away = await on.callTool({
      name: 'execute_call',
      arguments: { spec: 'elsewhere', call: { method: 'GET', path: '/notes/{id}', pathParams: { id: '1' } } },
    });
    expect(away.isError).toBe(true);
    expect(text(away)).toMatch(/^call_not_allowed:/);
    const invalid = await on.callTool({ name: 'execute_call', arguments: get('seven') });
    expect(invalid.isError).toBe(true);
    expect(text(invalid)).toMatch(/^call_invalid:/);
    const unknownOp = await on.callTool({
      name: 'execute_call',
      arguments: { spec: 'notes', call: { method: 'DELETE', path: '/notes/{id}', pathParams: { id: '1' } } },
    });
    expect(text(unknownOp)).toMatch(/^call_invalid:/);
  });

  it('matches base URLs at path-segment boundaries', () => {
    expect(underBase(new URL('http://h:1/api/x'), 'http://h:1/api')).toBe(true);
    expect(underBase(new URL('http://h:1/api'), 'http://h:1/api/')).toBe(true);
    expect(underBase(new URL('http://h:1/apix'), 'http://h:1/api')).toBe(false);
    expect(underBase(new URL('http://h:2/api/x'), 'http://h:1/api')).toBe(false);
    expect(underBase(new URL('https://h:1/api/x'), 'http://h:1/api')).toBe(false);
    expect(underBase(new URL('http://h:1/anything'), 'http://h:1')).toBe(true);
  });
});

describe('execute_call credentials bound to a host', () => {
  let home: Server;
  let other: Server;
  const hits = { home: [] as IncomingHttpHeaders[], other: [] as IncomingHttpHeaders[] };
  let homeBase: string;
  let otherBase: string;
  let engine: Engine;
  let cleanup: () => Promise<void>;

  const listen = async (s: Server) => {
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}/api`;
  };

  beforeAll(async () => {
    home = createServer((req, res) => (hits.home.push(req.headers), res.end('{}')));
    other = createServer((req, res) => (hits.other.push(req.headers), res.end('{}')));
    homeBase = await listen(home);
    otherBase = await listen(other);
    const tmp = await tempDir('mcp-exec-bound');
    cleanup = tmp.cleanup;
    engine = await openEngine({ dataDir: tmp.dir, modelsDir: tmp.dir });
  });

  afterAll(async () => {
    await new Promise((r) => home.close(r));
    await new Promise((r) => other.close(r));
    await cleanup?.();
  });

  it('sends no token to the server of a new spec version outside the bound base URL', async () => {
    const { writeFile } = await import('node:fs/promises');
    const file = `${engine.dataDir}/gh.json`;
    await writeFile(file, tinySpec(homeBase));
    await addSpec(engine, file, { name: 'github' });
    const config = McpConfigSchema.parse({
      executeCall: {
        enabled: true,
        allowedBaseUrls: [homeBase, otherBase],
        specs: { github: { sendCredentialsTo: homeBase, headers: { Authorization: 'Bearer gh-token' } } },
      },
    });
    const c = await client(engine, config);
    const call = { spec: 'github', call: { method: 'GET', path: '/notes/{id}', pathParams: { id: '1' } } };
    try {
      const first = await c.callTool({ name: 'execute_call', arguments: { ...call, execute: true } });
      expect(first.isError).toBeFalsy();
      expect(hits.home.at(-1)?.authorization).toBe('Bearer gh-token');
      // A new version of the same spec names another (allowlisted) server.
      await writeFile(file, tinySpec(otherBase).replace('Tiny Notes', 'Tiny Notes v2'));
      expect(await addSpec(engine, file, { name: 'github' })).toMatchObject({ version: 2 });
      const moved = await c.callTool({ name: 'execute_call', arguments: { ...call, execute: true } });
      expect(moved.isError).toBe(true);
      expect(text(moved)).toMatch(/^call_credentials_host:/);
      expect(text(moved)).toContain('sendCredentialsTo');
      const preview = await c.callTool({ name: 'execute_call', arguments: call });
      expect(text(preview)).toMatch(/^call_credentials_host:/);
      expect(hits.other).toEqual([]);
    } finally {
      await c.close();
    }
  });

  it('refuses credentials bound to no base URL when mcp.json is read', () => {
    const parsed = McpConfigSchema.safeParse({
      executeCall: { enabled: true, specs: { github: { headers: { Authorization: 'Bearer x' } } } },
    });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain('sendCredentialsTo');
  });

  it('handles a spec named like an Object.prototype member', async () => {
    const { writeFile } = await import('node:fs/promises');
    const file = `${engine.dataDir}/ctor.json`;
    await writeFile(file, tinySpec(homeBase));
    await addSpec(engine, file, { name: 'constructor' });
    const config = McpConfigSchema.parse({ executeCall: { enabled: true, allowedBaseUrls: [homeBase] } });
    const c = await client(engine, config);
    try {
      const r = await c.callTool({
        name: 'execute_call',
        arguments: {
          spec: 'constructor',
          call: { method: 'GET', path: '/notes/{id}', pathParams: { id: '2' } },
          execute: true,
        },
      });
      expect(r.isError).toBeFalsy();
      expect(structured(r)).toMatchObject({ response: { status: 200 } });
    } finally {
      await c.close();
    }
  });

  it('refuses a call to a blocked address the operator did not allowlist as an IP literal', async () => {
    const { writeFile } = await import('node:fs/promises');
    const port = new URL(homeBase).port;
    const file = `${engine.dataDir}/local.json`;
    await writeFile(file, tinySpec(`http://localhost:${port}/api`));
    await addSpec(engine, file, { name: 'local' });
    const config = McpConfigSchema.parse({
      executeCall: { enabled: true, allowedBaseUrls: [`http://localhost:${port}/api`] },
    });
    const c = await client(engine, config);
    try {
      const r = await c.callTool({
        name: 'execute_call',
        arguments: {
          spec: 'local',
          call: { method: 'GET', path: '/notes/{id}', pathParams: { id: '3' } },
          execute: true,
        },
      });
      expect(text(r)).toMatch(/^net_blocked_address:/);
    } finally {
      await c.close();
    }
  });
});
