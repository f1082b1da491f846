/**
 * The tool table's conventions, through the SDK's own client: argument errors come back as `isError` results
 * naming the field and the fix (MCP 2025-11-25, SEP-1303), every input schema is typed, annotations say which
 * tools write, and the base-model, spec and job tools an agent on a fresh store needs.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { CallToolResultSchema, McpError, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { CreateTaskResultSchema } from '@modelcontextprotocol/sdk/experimental/tasks';
import { openEngine, type Engine } from '../../src/engine/index.js';
import { writeTinyModel } from '../../src/engine/model/tiny.js';
import {
  createChangeHub,
  createSmolmapMcpServer,
  defaultMcpConfig,
  type SmolmapMcpServer,
} from '../../src/mcp/index.js';
import { PETSTORE, structured, tempDir, text, tinySpec } from './helpers.js';

type Schema = Record<string, unknown>;

/** Paths of schema nodes that say nothing about their value's type (`{}`), or objects with untyped values. */
function untyped(node: Schema, at: string, defs: Schema): string[] {
  const typed = ['type', 'anyOf', 'oneOf', 'allOf', '$ref', 'enum', 'const'].some((k) => k in node);
  if (!typed) return [at];
  const out: string[] = [];
  const child = (s: unknown, where: string) => {
    if (s === true || (typeof s === 'object' && s !== null && Object.keys(s).length === 0)) out.push(where);
    else if (typeof s === 'object' && s !== null) out.push(...untyped(s as Schema, where, defs));
  };
  if (node['type'] === 'object') {
    const props = (node['properties'] ?? {}) as Record<string, Schema>;
    for (const [k, v] of Object.entries(props)) child(v, `${at}.${k}`);
    if (Object.keys(props).length === 0 && !('additionalProperties' in node)) out.push(`${at} (open object)`);
    if ('additionalProperties' in node && node['additionalProperties'] !== false)
      child(node['additionalProperties'], `${at}.*`);
  }
  if (node['type'] === 'array') child(node['items'], `${at}[]`);
  for (const k of ['anyOf', 'oneOf', 'allOf'])
    for (const [i, s] of ((node[k] ?? []) as Schema[]).entries()) child(s, `${at}|${i}`);
  return out;
}

describe('MCP tool conventions', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  let root: string;
  let server: SmolmapMcpServer;
  let client: Client;
  let tools: Tool[];

  const call = (name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args });

  beforeAll(async () => {
    ({ dir: root, cleanup } = await tempDir('mcp-tools'));
    engine = await openEngine({ dataDir: path.join(root, 'data'), modelsDir: path.join(root, 'models') });
    server = createSmolmapMcpServer({
      engine,
      config: defaultMcpConfig(),
      hub: createChangeHub(engine),
      localFiles: true,
    });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.mcp.connect(a);
    client = new Client({ name: 'tools-test', version: '0' });
    await client.connect(b);
    tools = (await client.listTools()).tools;
  });

  afterAll(async () => {
    await client?.close();
    await server?.close();
    await engine?.close();
    await cleanup?.();
  });

  it('types every input schema, down to each value', () => {
    expect(tools.length).toBeGreaterThan(15);
    for (const t of tools) {
      const schema = t.inputSchema as Schema;
      expect(untyped(schema, t.name, (schema['definitions'] ?? {}) as Schema), t.name).toEqual([]);
      for (const [field, s] of Object.entries(t.inputSchema.properties ?? {}))
        expect((s as { description?: string }).description, `${t.name}.${field}`).toBeTruthy();
    }
  });

  it('publishes train_model options from the training options schema, defaults included', () => {
    const train = tools.find((t) => t.name === 'train_model')!;
    const options = train.inputSchema.properties!['options'] as {
      properties: Record<string, { default?: unknown; description?: string }>;
      additionalProperties?: unknown;
    };
    expect(options.additionalProperties).toBe(false);
    expect(options.properties['lr']).toMatchObject({ default: 0.001 });
    expect(options.properties['lr']?.description).toBeTruthy();
    expect(Object.keys(options.properties)).toEqual(
      expect.arrayContaining(['steps', 'epochs', 'batchSize', 'maxLen', 'lora', 'seed']),
    );
  });

  it('says which tools write, and declares no logging it never sends', () => {
    const hints = Object.fromEntries(tools.map((t) => [t.name, t.annotations?.readOnlyHint]));
    expect(hints).toMatchObject({
      map_task: false,
      evaluate: false,
      remove_spec: false,
      list_specs: true,
      list_jobs: true,
      list_base_models: true,
    });
    expect(tools.find((t) => t.name === 'remove_spec')?.annotations?.destructiveHint).toBe(true);
    expect(client.getServerCapabilities()?.logging).toBeUndefined();
  });

  it('returns bad arguments as isError results that name the field and the fix', async () => {
    const wrongType = await call('describe_spec', { spec: 5 });
    expect(wrongType.isError).toBe(true);
    expect(text(wrongType)).toMatch(/^tool_bad_arguments: describe_spec /);
    expect(text(wrongType)).toContain('spec: ');
    expect(text(wrongType)).toContain('expected spec name, as list_specs shows it');
    expect(text(wrongType)).toContain('call describe_spec again');

    const neither = await call('add_spec', {});
    expect(neither.isError).toBe(true);
    expect(text(neither)).toContain('give exactly one of content or url');

    const extra = await call('list_specs', { verbose: true });
    expect(extra.isError).toBe(true);
    expect(text(extra)).toMatch(/verbose/);

    const badOption = await call('train_model', { spec: 'petstore', options: { stepz: 3 } });
    expect(badOption.isError).toBe(true);
    expect(text(badOption)).toMatch(/options: .*stepz/);
    expect(text(badOption)).toContain('allowed: lora, epochs, steps');

    const both = await call('evaluate', { spec: 'petstore', tasks: [], dataset: 'd' });
    expect(both.isError).toBe(true);
    expect(text(both)).toMatch(/tasks: /);

    const missing = await call('job_status', {});
    expect(text(missing)).toMatch(/job: .*expected job id, as train_model returned it/);
  });

  it('offers import_base_model only to a local client', async () => {
    expect(tools.map((t) => t.name)).toContain('import_base_model');
    const remote = createSmolmapMcpServer({
      engine,
      config: defaultMcpConfig(),
      hub: createChangeHub(engine),
    });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await remote.mcp.connect(a);
    const other = new Client({ name: 'remote', version: '0' });
    await other.connect(b);
    const names = (await other.listTools()).tools.map((t) => t.name);
    expect(names).toContain('pull_base_model');
    expect(names).not.toContain('import_base_model');
    await other.close();
    await remote.close();
  });

  it('keeps an unknown tool a protocol error', async () => {
    await expect(call('no_such_tool', {})).rejects.toSatisfy(
      (e) => e instanceof McpError && e.code === -32602 && /unknown tool/.test(e.message),
    );
  });

  it('fails a task call with bad arguments at once, the argument error as its result', async () => {
    const created = await client.request(
      {
        method: 'tools/call',
        params: { name: 'evaluate', arguments: { spec: 'petstore' }, task: { ttl: 60_000 } },
      },
      CreateTaskResultSchema,
    );
    expect(created.task.status).toBe('failed');
    const result = await client.experimental.tasks.getTaskResult(created.task.taskId, CallToolResultSchema);
    expect(result.isError).toBe(true);
    expect(text(result)).toContain('give exactly one of tasks or dataset');
  });

  it('lists, imports and names base models for a fresh store', async () => {
    expect(structured(await call('list_base_models', {}))).toEqual({ models: [] });
    expect(text(await call('list_base_models', {}))).toContain('pull_base_model');
    const relative = await call('import_base_model', { path: 'models/x.gguf' });
    expect(text(relative)).toMatch(/path: .*absolute path/);
    const gone = await call('import_base_model', { path: path.join(root, 'nothing.gguf') });
    expect(gone.isError).toBe(true);
    expect(text(gone)).toMatch(/^\w+: /);
    const folder = path.join(root, 'tiny-src');
    await writeTinyModel(folder, { seed: 1, layout: 'hf' });
    const imported = await call('import_base_model', { path: folder, name: 'tiny' });
    expect(imported.isError, text(imported)).toBeFalsy();
    expect(structured(imported)).toMatchObject({ name: 'tiny', format: 'hf', source: folder });
    const listed = structured<{ models: { name: string }[] }>(await call('list_base_models', {}));
    expect(listed.models.map((m) => m.name)).toEqual(['tiny']);
    const badRepo = await call('pull_base_model', { repo: 'not a repo' });
    expect(text(badRepo)).toMatch(/repo: .*owner\/name/);
  });

  it('evaluates inline task arrays as well as JSON Lines text', async () => {
    // The untrained prompt lists the spec's operations: a two-operation spec fits the tiny model's context.
    await call('add_spec', { content: PETSTORE, name: 'petstore' });
    await call('add_spec', { content: tinySpec('http://localhost:1'), name: 'notes' });
    const expected = { method: 'GET', path: '/notes/{id}', pathParams: { id: 42 } };
    const arr = await call('evaluate', { spec: 'notes', tasks: [{ task: 'show note 42', expected }] });
    expect(arr.isError, text(arr)).toBeFalsy();
    expect(structured(arr)).toMatchObject({ n: 1, model: 'tiny', untrained: true });
    const jsonl = await call('evaluate', {
      spec: 'notes',
      tasks: JSON.stringify({ task: 'show note 42', expected }) + '\n',
    });
    expect(structured(jsonl)).toMatchObject({ n: 1 });
    const unknownOp = await call('evaluate', {
      spec: 'notes',
      tasks: [{ task: 'x', expected: { method: 'GET', path: '/nope' } }],
    });
    expect(text(unknownOp)).toMatch(/^taskfile_unknown_operation:/);
    const noDataset = await call('evaluate', { spec: 'notes', dataset: 'ghost' });
    expect(noDataset.isError).toBe(true);
  }, 60_000);

  it('lists and resumes jobs, and removes a spec', async () => {
    expect(structured(await call('list_jobs', {}))).toEqual({ jobs: [] });
    const unknown = await call('resume_job', { job: 'train-nope' });
    expect(text(unknown)).toMatch(/^job_unknown:/);
    const queued = structured<{ job: string }>(
      await call('train_model', { spec: 'petstore', base: 'tiny', count: 20, options: { steps: 2 } }),
    );
    const stopped = structured<{ status: string }>(await call('stop_job', { job: queued.job }));
    expect(stopped.status).toBe('stopped');
    const listed = structured<{ jobs: { job: string; status: string }[] }>(
      await call('list_jobs', { status: 'stopped' }),
    );
    expect(listed.jobs.map((j) => j.job)).toEqual([queued.job]);
    const resumed = await call('resume_job', { job: queued.job });
    expect(structured(resumed)).toMatchObject({ job: queued.job, status: 'queued' });
    expect(text(await call('resume_job', { job: queued.job }))).toMatch(/^job_not_resumable:/);
    const removed = await call('remove_spec', { spec: 'petstore' });
    expect(structured(removed)).toEqual({ name: 'petstore', removed: [1], remaining: [] });
    const left = structured<{ specs: { name: string }[] }>(await call('list_specs', {}));
    expect(left.specs.map((x) => x.name)).toEqual(['notes']);
  }, 60_000);
});
