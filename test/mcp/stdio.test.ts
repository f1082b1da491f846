/**
 * The stdio server driven by the SDK's own client, spawning the real CLI (`node bin/smolmap.js mcp`).
 * Needs the build (`npm test` runs it first via `pretest`; otherwise `npm run build`).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpError, ResourceListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { PETSTORE, structured, tempDir, text } from './helpers.js';

const root = new URL('../../', import.meta.url).pathname;

describe('smolmap mcp (stdio, real CLI)', () => {
  let client: Client;
  let transport: StdioClientTransport;
  let cleanup: () => Promise<void>;
  let listChanged = 0;

  beforeAll(async () => {
    if (!existsSync(`${root}dist/cli.js`)) throw new Error('dist/cli.js missing: run `npm run build` first');
    const tmp = await tempDir('mcp-stdio');
    cleanup = tmp.cleanup;
    transport = new StdioClientTransport({
      command: process.execPath,
      args: [`${root}bin/smolmap.js`, 'mcp', '--data-dir', tmp.dir, '--models-dir', tmp.dir],
      cwd: root,
      stderr: 'pipe',
    });
    client = new Client({ name: 'smolmap-test', version: '0.0.0' });
    client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
      listChanged++;
    });
    await client.connect(transport);
  });

  afterAll(async () => {
    await client?.close();
    await cleanup?.();
  });

  it('lists the tools with described input and output schemas', async () => {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining(['list_specs', 'describe_spec', 'add_spec', 'generate_dataset']),
    );
    // execute_call stays off without an mcp.json that enables it; a local client may import model files.
    expect(names).not.toContain('execute_call');
    expect(names).toContain('import_base_model');
    for (const t of tools) {
      expect(t.name.length).toBeLessThanOrEqual(64);
      expect(t.description).toBeTruthy();
      expect(t.outputSchema?.type).toBe('object');
      for (const [field, schema] of Object.entries(t.inputSchema.properties ?? {}))
        expect((schema as { description?: string }).description, `${t.name}.${field}`).toBeTruthy();
    }
  });

  it('adds, lists and describes a spec', async () => {
    expect(structured(await client.callTool({ name: 'list_specs', arguments: {} }))).toEqual({ specs: [] });
    const added = await client.callTool({
      name: 'add_spec',
      arguments: { content: PETSTORE, name: 'petstore' },
    });
    expect(added.isError).toBeFalsy();
    expect(structured(added)).toMatchObject({ name: 'petstore', version: 1, created: true, operations: 20 });
    expect(text(added)).toContain('Added petstore v1');
    const again = await client.callTool({
      name: 'add_spec',
      arguments: { content: PETSTORE, name: 'petstore' },
    });
    expect(structured(again)).toMatchObject({ version: 1, created: false });
    const listed = structured<{ specs: { name: string; operations: number }[] }>(
      await client.callTool({ name: 'list_specs', arguments: {} }),
    );
    expect(listed.specs).toEqual([expect.objectContaining({ name: 'petstore', operations: 20 })]);
    const described = await client.callTool({ name: 'describe_spec', arguments: { spec: 'petstore' } });
    const ops = structured<{
      operations: { operationId: string; parameters: { name: string; in: string }[] }[];
    }>(described).operations;
    expect(ops).toHaveLength(20);
    expect(ops.find((o) => o.operationId === 'getPetById')?.parameters).toEqual([
      expect.objectContaining({ name: 'petId', in: 'path', required: true }),
    ]);
    expect(text(described)).toContain('GET /pet/{petId} (getPetById)');
  });

  it('announces the spec list change', async () => {
    await expect.poll(() => listChanged, { timeout: 5000 }).toBeGreaterThan(0);
  });

  it('generates a dataset', async () => {
    const r = await client.callTool({
      name: 'generate_dataset',
      arguments: { spec: 'petstore', count: 30, seed: 3 },
    });
    expect(r.isError).toBeFalsy();
    expect(structured(r)).toMatchObject({ examples: 30, spec: { name: 'petstore', version: 1 } });
    expect(structured<{ dataset: string }>(r).dataset).toMatch(/^petstore-/);
  });

  it('returns isError with the coded message for domain failures', async () => {
    const unknown = await client.callTool({ name: 'describe_spec', arguments: { spec: 'nope' } });
    expect(unknown.isError).toBe(true);
    expect(text(unknown)).toMatch(/^spec_unknown: no spec named "nope"/);
    const bad = await client.callTool({
      name: 'add_spec',
      arguments: { content: 'openapi: 3.0.0\ninfo: [' },
    });
    expect(bad.isError).toBe(true);
    expect(text(bad)).toMatch(/^spec_/);
    const noData = await client.callTool({ name: 'generate_dataset', arguments: { spec: 'ghost' } });
    expect(noData.isError).toBe(true);
  });

  it('answers bad arguments with isError results and an unknown tool with a protocol error', async () => {
    const call = (name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args });
    const wrongType = await call('describe_spec', { spec: 5 });
    expect(wrongType.isError).toBe(true);
    expect(text(wrongType)).toMatch(/^tool_bad_arguments: .*spec: /);
    expect(text(await call('add_spec', {}))).toMatch(/exactly one of content or url/);
    expect((await call('add_spec', { url: 'file:///etc/passwd' })).isError).toBe(true);
    expect((await call('list_specs', { extra: 1 })).isError).toBe(true);
    await expect(call('no_such_tool', {})).rejects.toSatisfy(
      (e) => e instanceof McpError && e.code === -32602 && /unknown tool/.test(e.message),
    );
  });

  it('lists and reads the spec resources', async () => {
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri).sort()).toEqual([
      'smolmap://specs/petstore',
      'smolmap://specs/petstore/operations',
    ]);
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate).sort()).toEqual([
      'smolmap://jobs/{id}',
      'smolmap://models/{id}',
      'smolmap://specs/{name}',
      'smolmap://specs/{name}/operations',
    ]);
    const doc = await client.readResource({ uri: 'smolmap://specs/petstore' });
    expect(doc.contents[0]).toMatchObject({ mimeType: 'application/yaml', text: PETSTORE });
    const ops = await client.readResource({ uri: 'smolmap://specs/petstore/operations' });
    const body = JSON.parse((ops.contents[0] as { text: string }).text) as {
      version: number;
      operations: unknown[];
    };
    expect(body.version).toBe(1);
    expect(body.operations).toHaveLength(20);
  });

  it('answers unknown resources with a coded protocol error', async () => {
    await expect(client.readResource({ uri: 'smolmap://specs/ghost' })).rejects.toSatisfy(
      (e) => e instanceof McpError && /spec_unknown/.test(e.message),
    );
    await expect(client.readResource({ uri: 'smolmap://models/ghost' })).rejects.toSatisfy(
      (e) => e instanceof McpError && /model_unknown/.test(e.message),
    );
    await expect(client.readResource({ uri: 'smolmap://jobs/ghost' })).rejects.toSatisfy(
      (e) => e instanceof McpError && /job_unknown/.test(e.message),
    );
  });
});

describe('smolmap mcp process', () => {
  it('exits by itself with status 0 when stdin ends', async () => {
    const tmp = await tempDir('mcp-exit');
    try {
      const child = spawn(process.execPath, [`${root}bin/smolmap.js`, 'mcp', '--data-dir', tmp.dir], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stdin.end();
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(0);
      expect(out).toBe('');
    } finally {
      await tmp.cleanup();
    }
  });

  it('exits with status 0 on SIGTERM', async () => {
    const tmp = await tempDir('mcp-term');
    try {
      const child = spawn(process.execPath, [`${root}bin/smolmap.js`, 'mcp', '--data-dir', tmp.dir], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      // An initialize answer shows the server is up and its signal handlers are in place.
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const init = {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'raw', version: '0' },
        },
      };
      child.stdin.write(JSON.stringify(init) + '\n');
      await expect.poll(() => out, { timeout: 20_000 }).toContain('"id":1');
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(0);
    } finally {
      await tmp.cleanup();
    }
  });

  it('refuses --json, since stdout carries the protocol', async () => {
    const child = spawn(process.execPath, [`${root}bin/smolmap.js`, 'mcp', '--json'], { stdio: 'pipe' });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(err).toMatch(/^usage_bad_option/);
  });
});
