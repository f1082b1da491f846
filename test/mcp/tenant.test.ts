/**
 * MCP servers act as one tenant: the real `smolmap mcp --tenant` over stdio and a Streamable HTTP server see
 * only their tenant's specs, jobs, models and resources, answer another tenant's names and ids as unknown, and
 * execute_call sends only the acting tenant's credentials.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { addSpec, getJob, getSpec, openEngine, startTraining, type Engine } from '../../src/engine/index.js';
import {
  McpConfigSchema,
  createChangeHub,
  createSmolmapMcpServer,
  defaultMcpConfig,
  startMcpHttp,
  type McpConfig,
} from '../../src/mcp/index.js';
import { TINY_SPEC, fakeBaseModel, simulateTraining } from '../bots/helpers.js';
import { structured, tempDir, text, tinySpec } from './helpers.js';

const root = new URL('../../', import.meta.url).pathname;
const TOKEN = 'tenant-test-token-0123456789';

let dir: string;
let cleanup: () => Promise<void>;
let engine: Engine;
let jobB: string;
let modelB: string;

async function addAs(tenant: string | undefined, name: string, title: string): Promise<void> {
  const file = path.join(dir, `${name}-${tenant ?? 'local'}.yaml`);
  await writeFile(file, TINY_SPEC.replace('Tiny Pets', title));
  await addSpec(engine, file, { name, ...(tenant && { tenant }) });
}

/** The error text of a tool call, with `name` replaced so two names' answers compare. */
async function refusal(
  c: Client,
  tool: string,
  args: Record<string, unknown>,
  name: string,
): Promise<string> {
  const r = await c.callTool({ name: tool, arguments: args });
  expect(r.isError).toBe(true);
  return text(r).split(name).join('<name>');
}

beforeAll(async () => {
  const tmp = await tempDir('mcp-tenant');
  dir = tmp.dir;
  cleanup = tmp.cleanup;
  engine = await openEngine({ dataDir: path.join(dir, 'data'), modelsDir: path.join(dir, 'models') });
  await fakeBaseModel(engine);
  await addAs(undefined, 'petstore', 'Pets of Local');
  await addAs('team-b', 'petstore', 'Pets of B');
  await addAs('team-b', 'secret', 'Secret Pets');
  const done = await startTraining(engine, {
    spec: 'secret',
    tenant: 'team-b',
    count: 20,
    train: { steps: 2 },
  });
  await simulateTraining(engine, done.job, 2);
  modelB = done.model;
  jobB = (await startTraining(engine, { spec: 'secret', tenant: 'team-b', count: 20, train: { steps: 2 } }))
    .job;
});
afterAll(() => cleanup());

describe('smolmap mcp --tenant (stdio, real CLI)', () => {
  let client: Client;

  beforeAll(async () => {
    if (!existsSync(`${root}dist/cli.js`)) throw new Error('dist/cli.js missing: run `npm run build` first');
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [
        `${root}bin/smolmap.js`,
        'mcp',
        '--tenant',
        'team-a',
        '--data-dir',
        engine.dataDir,
        '--models-dir',
        engine.modelsDir,
      ],
      cwd: root,
      stderr: 'pipe',
    });
    client = new Client({ name: 'tenant-test', version: '0' });
    await client.connect(transport);
  }, 60_000);
  afterAll(() => client?.close());

  it('sees none of the other tenants’ specs, jobs, models or resources', async () => {
    expect(structured(await client.callTool({ name: 'list_specs', arguments: {} }))).toEqual({ specs: [] });
    expect(structured(await client.callTool({ name: 'list_jobs', arguments: {} }))).toEqual({ jobs: [] });
    expect(structured(await client.callTool({ name: 'list_models', arguments: {} }))).toEqual({ models: [] });
    expect((await client.listResources()).resources).toEqual([]);
  }, 60_000);

  it('answers their names and ids exactly as ones that do not exist', async () => {
    const cases: [string, (v: string) => Record<string, unknown>, string][] = [
      ['describe_spec', (v) => ({ spec: v }), 'secret'],
      ['remove_spec', (v) => ({ spec: v }), 'secret'],
      ['generate_dataset', (v) => ({ spec: v }), 'secret'],
      ['train_model', (v) => ({ spec: v }), 'secret'],
      ['job_status', (v) => ({ job: v }), jobB],
      ['stop_job', (v) => ({ job: v }), jobB],
      ['resume_job', (v) => ({ job: v }), jobB],
      ['activate_model', (v) => ({ model: v }), modelB],
    ];
    for (const [tool, args, name] of cases) {
      const theirs = await refusal(client, tool, args(name), name);
      expect(theirs).toMatch(/^(spec_unknown|job_unknown|adapter_not_found): /);
      expect(theirs).toBe(await refusal(client, tool, args('no-such-thing'), 'no-such-thing'));
    }
    await expect(client.readResource({ uri: 'smolmap://specs/secret' })).rejects.toThrow(/spec_unknown/);
    await expect(client.readResource({ uri: `smolmap://models/${modelB}` })).rejects.toThrow(/model_unknown/);
    await expect(client.readResource({ uri: `smolmap://jobs/${jobB}` })).rejects.toThrow(/job_unknown/);
    expect((await getJob(engine, jobB, { tenant: 'team-b' })).status).toBe('queued');
    expect((await getSpec(engine, 'secret', { tenant: 'team-b' })).catalog.title).toBe('Secret Pets');
  }, 120_000);

  it('adds its own petstore beside the others', async () => {
    const added = await client.callTool({
      name: 'add_spec',
      arguments: { content: TINY_SPEC.replace('Tiny Pets', 'Pets of A'), name: 'petstore' },
    });
    expect(structured(added)).toMatchObject({ name: 'petstore', version: 1, created: true });
    const shown = structured(
      await client.callTool({ name: 'describe_spec', arguments: { spec: 'petstore' } }),
    );
    expect(shown).toMatchObject({ title: 'Pets of A' });
    expect((await getSpec(engine, 'petstore', { tenant: 'team-a' })).catalog.title).toBe('Pets of A');
    expect((await getSpec(engine, 'petstore', { tenant: 'team-b' })).catalog.title).toBe('Pets of B');
    expect((await getSpec(engine, 'petstore')).catalog.title).toBe('Pets of Local');
  }, 60_000);
});

describe('Streamable HTTP acting as a tenant', () => {
  it('lists that tenant’s specs and jobs', async () => {
    const server = await startMcpHttp({
      engine,
      tenant: 'team-b',
      port: 0,
      token: TOKEN,
      config: defaultMcpConfig(),
    });
    const client = new Client({ name: 'tenant-http', version: '0' });
    try {
      await client.connect(
        new StreamableHTTPClientTransport(new URL(server.url), {
          requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } },
        }),
      );
      const { specs } = structured<{ specs: { name: string; title: string }[] }>(
        await client.callTool({ name: 'list_specs', arguments: {} }),
      );
      expect(specs.map((s) => [s.name, s.title])).toEqual([
        ['petstore', 'Pets of B'],
        ['secret', 'Secret Pets'],
      ]);
      const { jobs } = structured<{ jobs: { job: string }[] }>(
        await client.callTool({ name: 'list_jobs', arguments: {} }),
      );
      expect(jobs.map((j) => j.job)).toContain(jobB);
    } finally {
      await client.close();
      await server.close();
    }
  }, 60_000);
});

describe('execute_call credentials per tenant', () => {
  let api: Server;
  let base: string;
  const seen: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    api = createServer((req, res) => (seen.push(req.headers), res.end('{}')));
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(api.address() as AddressInfo).port}/api`;
    const file = path.join(dir, 'notes.json');
    await writeFile(file, tinySpec(base));
    for (const tenant of ['local', 'team-a', 'team-c'])
      await addSpec(engine, file, { name: 'notes', tenant });
  });
  afterAll(() => new Promise((r) => api.close(r)));

  async function client(tenant: string, config: McpConfig): Promise<Client> {
    const [a, b] = InMemoryTransport.createLinkedPair();
    const server = createSmolmapMcpServer({ engine, tenant, config, hub: createChangeHub(engine) });
    await server.mcp.connect(a);
    const c = new Client({ name: `exec-${tenant}`, version: '0' });
    await c.connect(b);
    return c;
  }

  it('sends each tenant its own key, none to a tenant without one, and nothing for a spec it lacks', async () => {
    const config = McpConfigSchema.parse({
      executeCall: {
        enabled: true,
        allowedBaseUrls: [base],
        specs: { notes: { sendCredentialsTo: base, headers: { 'X-Api-Key': 'local-key' } } },
        tenants: {
          'team-a': { specs: { notes: { sendCredentialsTo: base, headers: { 'X-Api-Key': 'a-key' } } } },
        },
      },
    });
    const call = {
      spec: 'notes',
      call: { method: 'GET', path: '/notes/{id}', pathParams: { id: '1' } },
      execute: true,
    };
    const keys: Record<string, string | undefined> = {};
    for (const tenant of ['local', 'team-a', 'team-c']) {
      const c = await client(tenant, config);
      try {
        const r = await c.callTool({ name: 'execute_call', arguments: call });
        expect(r.isError).toBeFalsy();
        keys[tenant] = seen.at(-1)?.['x-api-key'] as string | undefined;
      } finally {
        await c.close();
      }
    }
    expect(keys).toEqual({ local: 'local-key', 'team-a': 'a-key', 'team-c': undefined });

    const b = await client('team-b', config);
    try {
      const r = await b.callTool({ name: 'execute_call', arguments: call });
      expect(text(r)).toMatch(/^spec_unknown: /);
      expect(seen).toHaveLength(3);
    } finally {
      await b.close();
    }
  }, 60_000);
});
