/**
 * Training through MCP: train_model on the seeded tiny Llama with a progress token (notifications arrive,
 * step of total), as a task (tasks/get then tasks/result), job_status, stop_job, and the model and job
 * resources. The worker runs from dist/ (`npm run build`, or `npm test`'s pretest).
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { CallToolResultSchema, McpError, type Progress } from '@modelcontextprotocol/sdk/types.js';
import { CreateTaskResultSchema } from '@modelcontextprotocol/sdk/experimental/tasks';
import type { Engine } from '../../src/engine/index.js';
import { defaultWorkerPath } from '../../src/jobs/runner.js';
import {
  createChangeHub,
  createSmolmapMcpServer,
  defaultMcpConfig,
  lazyJobRunner,
  type LazyJobRunner,
  type SmolmapMcpServer,
} from '../../src/mcp/index.js';
import { tinyEngine } from '../jobs/fixtures.js';
import { structured, text } from './helpers.js';

// Each training test waits for events or polls a condition; the per-test bounds are generous because a loaded
// 2-core machine trains several times slower than a quiet one (the default 60 s test timeout was below the
// 120 s the waits inside allow).
const SHORT = { steps: 6, batchSize: 2, lr: 3e-3, maxLen: 512, evalEvery: 0, checkpointEvery: 0, seed: 5 };

interface JobOut {
  job: string;
  status: string;
  model: string;
  dataset: string;
  progress: { step: number; totalSteps: number } | null;
  summary: { model: string | null; trainLoss: number | null } | null;
}

describe('training over MCP (tiny model)', () => {
  let engine: Engine;
  let root: string;
  let jobs: LazyJobRunner;
  let server: SmolmapMcpServer;
  let client: Client;
  let dataset: string;

  beforeAll(async () => {
    if (!existsSync(defaultWorkerPath()))
      throw new Error('run `npm run build` first: the worker runs from dist/');
    ({ engine, root } = await tinyEngine());
    jobs = lazyJobRunner(engine);
    server = createSmolmapMcpServer({
      engine,
      config: defaultMcpConfig(),
      hub: createChangeHub(engine),
      jobs,
    });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.mcp.connect(a);
    client = new Client({ name: 'jobs-test', version: '0' });
    await client.connect(b);
  });

  afterAll(async () => {
    await client?.close();
    await server?.close();
    await jobs?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('trains with wait: true and reports progress to a client that asked for it', async () => {
    const seen: Progress[] = [];
    const r = await client.callTool(
      {
        name: 'train_model',
        arguments: { spec: 'petstore', base: 'tiny', count: 40, options: SHORT, wait: true },
      },
      CallToolResultSchema,
      { onprogress: (p) => seen.push(p), resetTimeoutOnProgress: true, timeout: 120_000 },
    );
    expect(r.isError, text(r)).toBeFalsy();
    const out = structured<JobOut>(r);
    dataset = out.dataset;
    expect(out.status).toBe('succeeded');
    expect(out.summary?.model).toBe(out.model);
    expect(out.summary?.trainLoss).toBeGreaterThan(0);
    expect(seen.length).toBeGreaterThan(0);
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ progress: 6, total: 6 });
    expect(seen.map((p) => p.progress)).toEqual([...seen.map((p) => p.progress)].sort((x, y) => x - y));

    const status = structured<JobOut>(
      await client.callTool({ name: 'job_status', arguments: { job: out.job } }),
    );
    expect(status).toMatchObject({ job: out.job, status: 'succeeded', progress: { step: 6, totalSteps: 6 } });

    const card = await client.readResource({ uri: `smolmap://models/${out.model}` });
    const model = JSON.parse((card.contents[0] as { text: string }).text) as Record<string, unknown>;
    expect(model).toMatchObject({
      id: out.model,
      status: 'ready',
      baseModel: 'tiny',
      spec: { name: 'petstore' },
    });
    expect((model['lossCurve'] as unknown[]).length).toBeGreaterThan(0);
    const jobDoc = await client.readResource({ uri: `smolmap://jobs/${out.job}` });
    expect(JSON.parse((jobDoc.contents[0] as { text: string }).text)).toMatchObject({
      id: out.job,
      status: 'succeeded',
    });
    const { resources } = await client.listResources();
    expect(resources.map((x) => x.uri)).toEqual(
      expect.arrayContaining([`smolmap://models/${out.model}`, `smolmap://jobs/${out.job}`]),
    );

    const stop = await client.callTool({ name: 'stop_job', arguments: { job: out.job } });
    expect(stop.isError).toBe(true);
    expect(text(stop)).toMatch(/^job_not_running:/);
  }, 240_000);

  it('lists and activates the trained model, maps a task with it, and evaluates it', async () => {
    const listed = structured<{ models: { id: string; status: string; active: boolean }[] }>(
      await client.callTool({ name: 'list_models', arguments: { spec: 'petstore' } }),
    );
    const ready = listed.models.find((m) => m.status === 'ready');
    expect(ready, JSON.stringify(listed)).toBeDefined();
    const activated = await client.callTool({ name: 'activate_model', arguments: { model: ready!.id } });
    expect(structured(activated)).toMatchObject({ spec: 'petstore', active: ready!.id });

    const mapped = await client.callTool({
      name: 'map_task',
      arguments: { spec: 'petstore', task: 'show me pet 42' },
    });
    expect(mapped.isError, text(mapped)).toBeFalsy();
    const m = structured<{
      call: { method: string; path: string; url: string };
      model: string;
      untrained: boolean;
      confidence: number;
    }>(mapped);
    // The tiny random model knows nothing, but the grammar keeps its answer a call of a petstore operation.
    expect(m.model).toBe(ready!.id);
    expect(m.untrained).toBe(false);
    expect(m.call.url.startsWith('http://petstore.swagger.io/v2/')).toBe(true);
    expect(m.confidence).toBeGreaterThanOrEqual(0);
    expect(m.confidence).toBeLessThanOrEqual(1);

    const line = (task: string, petId: string) =>
      JSON.stringify({
        task,
        expected: {
          method: 'GET',
          path: '/pet/{petId}',
          operationId: 'getPetById',
          pathParams: { petId },
          query: {},
          body: null,
        },
      });
    const seen: number[] = [];
    const inline = await client.callTool(
      {
        name: 'evaluate',
        arguments: { spec: 'petstore', tasks: `${line('show pet 42', '42')}\n${line('get pet 7', '7')}\n` },
      },
      CallToolResultSchema,
      { onprogress: (p) => seen.push(p.progress) },
    );
    expect(inline.isError, text(inline)).toBeFalsy();
    expect(structured(inline)).toMatchObject({ n: 2, model: ready!.id, spec: { name: 'petstore' } });
    expect(seen).toEqual([1, 2]);
    const byDataset = await client.callTool({
      name: 'evaluate',
      arguments: { spec: 'petstore', dataset },
    });
    expect(byDataset.isError, text(byDataset)).toBeFalsy();
    expect(structured<{ n: number }>(byDataset).n).toBeGreaterThan(0);

    const unknownModel = await client.callTool({
      name: 'map_task',
      arguments: { spec: 'petstore', task: 'x', model: 'ghost' },
    });
    expect(unknownModel.isError).toBe(true);
    expect(text(unknownModel)).toMatch(/^\w+: /);
    const badTasks = await client.callTool({
      name: 'evaluate',
      arguments: { spec: 'petstore', tasks: '{"task": 1}' },
    });
    expect(badTasks.isError).toBe(true);
    const badActivate = await client.callTool({ name: 'activate_model', arguments: { model: 'ghost' } });
    expect(badActivate.isError).toBe(true);
  }, 240_000);

  it('runs as a task: the call returns at once, the result comes from tasks/result', async () => {
    const created = await client.request(
      {
        method: 'tools/call',
        params: {
          name: 'train_model',
          arguments: { spec: 'petstore', base: 'tiny', dataset, options: SHORT },
          task: { ttl: 120_000 },
        },
      },
      CreateTaskResultSchema,
    );
    const id = created.task.taskId;
    expect(['working', 'completed']).toContain(created.task.status);
    await expect
      .poll(async () => (await client.experimental.tasks.getTask(id)).status, {
        timeout: 120_000,
        interval: 500,
      })
      .toBe('completed');
    const result = await client.experimental.tasks.getTaskResult(id, CallToolResultSchema);
    expect(structured<JobOut>(result)).toMatchObject({ status: 'succeeded', dataset });
  }, 240_000);

  it('stops the job when its task is cancelled', async () => {
    const before = new Set((await client.listResources()).resources.map((r) => r.uri));
    const created = await client.request(
      {
        method: 'tools/call',
        params: {
          name: 'train_model',
          arguments: { spec: 'petstore', base: 'tiny', dataset, options: { ...SHORT, steps: 400 } },
          task: { ttl: 120_000 },
        },
      },
      CreateTaskResultSchema,
    );
    let jobUri: string | undefined;
    await expect
      .poll(
        async () => {
          jobUri = (await client.listResources()).resources
            .map((r) => r.uri)
            .find((u) => u.startsWith('smolmap://jobs/') && !before.has(u));
          return jobUri;
        },
        { timeout: 60_000 },
      )
      .toBeTruthy();
    await client.experimental.tasks.cancelTask(created.task.taskId);
    const job = decodeURIComponent(jobUri!.slice('smolmap://jobs/'.length));
    await expect
      .poll(
        async () =>
          structured<JobOut>(await client.callTool({ name: 'job_status', arguments: { job } })).status,
        { timeout: 60_000, interval: 500 },
      )
      .toBe('stopped');
    expect((await client.experimental.tasks.getTask(created.task.taskId)).status).toBe('cancelled');
  }, 240_000);

  it('returns the job at once without wait, and stops a queued or running job', async () => {
    const r = await client.callTool({
      name: 'train_model',
      arguments: { spec: 'petstore', base: 'tiny', dataset, options: { ...SHORT, steps: 400 } },
    });
    const out = structured<JobOut>(r);
    expect(['queued', 'running']).toContain(out.status);
    expect(text(r)).toContain('poll job_status');
    const stopped = await client.callTool({ name: 'stop_job', arguments: { job: out.job } });
    expect(stopped.isError, text(stopped)).toBeFalsy();
    await expect
      .poll(
        async () =>
          structured<JobOut>(await client.callTool({ name: 'job_status', arguments: { job: out.job } }))
            .status,
        {
          timeout: 60_000,
          interval: 500,
        },
      )
      .toBe('stopped');
  }, 240_000);

  it('answers domain failures and bad arguments with isError results', async () => {
    const badBase = await client.callTool({
      name: 'train_model',
      arguments: { spec: 'petstore', base: 'ghost' },
    });
    expect(badBase.isError).toBe(true);
    expect(text(badBase)).toMatch(/^model_not_found:/);
    const badOption = await client.callTool({
      name: 'train_model',
      arguments: { spec: 'petstore', base: 'tiny', options: { stepz: 3 } },
    });
    expect(text(badOption)).toMatch(/^tool_bad_arguments: .*options: .*stepz/);
    const unknownJob = await client.callTool({ name: 'job_status', arguments: { job: 'train-nope' } });
    expect(text(unknownJob)).toMatch(/^job_unknown:/);
    expect(text(await client.callTool({ name: 'job_status', arguments: {} }))).toMatch(
      /^tool_bad_arguments: .*job: /,
    );
    await expect(
      client.request(
        { method: 'tools/call', params: { name: 'list_specs', arguments: {}, task: { ttl: 1000 } } },
        CreateTaskResultSchema,
      ),
    ).rejects.toSatisfy((e) => e instanceof McpError && e.code === -32601);
  });

  it("refuses another tenant's job: job_status, stop_job and the job resource all answer job_unknown", async () => {
    const at = new Date().toISOString();
    await engine.store.update((d) => {
      d.jobs.push({
        id: 'train-theirs',
        kind: 'train',
        status: 'queued',
        tenant: 'slack:T1',
        options: {},
        progress: null,
        error: null,
        checkpoint: null,
        result: null,
        createdAt: at,
        startedAt: null,
        finishedAt: null,
        updatedAt: at,
      });
    });
    const status = await client.callTool({ name: 'job_status', arguments: { job: 'train-theirs' } });
    expect(text(status)).toMatch(/^job_unknown:/);
    const stop = await client.callTool({ name: 'stop_job', arguments: { job: 'train-theirs' } });
    expect(text(stop)).toMatch(/^job_unknown:/);
    await expect(client.readResource({ uri: 'smolmap://jobs/train-theirs' })).rejects.toThrow(
      /job_unknown|no job/,
    );
    const record = (await engine.store.read()).jobs.find((j) => j.id === 'train-theirs');
    expect(record?.status).toBe('queued');
    await engine.store.update((d) => void (d.jobs = d.jobs.filter((j) => j.id !== 'train-theirs')));
  });
});
