/**
 * correct_call through the SDK's own client: map_task's answer id starts a correction that changes only what
 * is given; a correction without an answer; bad arguments and calls that do not fit the spec come back as
 * `isError` results, and nothing is stored for them.
 */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { addSpec, listCorrections, type Engine } from '../../src/engine/index.js';
import {
  createChangeHub,
  createSmolmapMcpServer,
  defaultMcpConfig,
  type SmolmapMcpServer,
} from '../../src/mcp/index.js';
import { tinyEngine } from '../jobs/fixtures.js';
import { structured, text, tinySpec } from './helpers.js';

let engine: Engine;
let root: string;
let server: SmolmapMcpServer;
let client: Client;

const call = (name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args });

beforeAll(async () => {
  ({ engine, root } = await tinyEngine());
  // Two operations: the untrained tiny model's prompt lists them and still fits its context.
  await writeFile(path.join(root, 'notes.json'), tinySpec('http://127.0.0.1:9'));
  await addSpec(engine, path.join(root, 'notes.json'), { name: 'notes' });
  server = createSmolmapMcpServer({
    engine,
    config: defaultMcpConfig(),
    hub: createChangeHub(engine),
    localFiles: true,
  });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.mcp.connect(a);
  client = new Client({ name: 'corrections-test', version: '0' });
  await client.connect(b);
});
afterAll(async () => {
  await client?.close();
  await server?.close();
  await engine?.close();
  await rm(root, { recursive: true, force: true });
});

describe('correct_call', () => {
  it('corrects a map_task answer from its id: same task and spec, the call changed where told', async () => {
    // The untrained tiny model's answer is some call of the spec; the correction names the right one.
    const mapped = await call('map_task', { spec: 'notes', task: 'show me note 7' });
    expect(mapped.isError, text(mapped)).toBeFalsy();
    const { answerId } = structured<{ answerId: string }>(mapped);
    expect(answerId).toMatch(/^q-/);

    const fixed = await call('correct_call', {
      answer: answerId,
      method: 'GET',
      path: '/notes/{id}',
      pathParams: { id: 7 },
    });
    expect(fixed.isError, text(fixed)).toBeFalsy();
    expect(structured(fixed)).toMatchObject({
      spec: { name: 'notes', version: 1 },
      task: 'show me note 7',
      answer: answerId,
      call: { method: 'GET', path: '/notes/{id}', operationId: 'getNote', pathParams: { id: '7' } },
      previous: { method: expect.any(String), path: expect.any(String) },
    });
    expect(text(fixed)).toMatch(/^Stored correction corr-/);
    const stored = await listCorrections(engine, { spec: 'notes' });
    expect(stored).toMatchObject([{ queryId: answerId, surface: 'mcp', task: 'show me note 7' }]);
  });

  it('stores a correction without an answer, from spec, task and operationId', async () => {
    const r = await call('correct_call', {
      spec: 'petstore',
      task: 'pets that found a home',
      operationId: 'findPetsByStatus',
      query: { status: 'sold' },
    });
    expect(r.isError, text(r)).toBeFalsy();
    expect(structured(r)).toMatchObject({
      answer: null,
      previous: null,
      call: { method: 'GET', path: '/pet/findByStatus', query: { status: 'sold' } },
    });
  });

  it('returns bad arguments and calls that do not fit the spec as isError, storing nothing', async () => {
    const before = (await listCorrections(engine, { spec: 'petstore' })).length;
    const noTask = await call('correct_call', { spec: 'petstore', operationId: 'getPetById' });
    expect(noTask.isError).toBe(true);
    expect(text(noTask)).toMatch(/^tool_bad_arguments: correct_call .*give answer, or spec and task/);
    const half = await call('correct_call', { spec: 'petstore', task: 'x', method: 'GET' });
    expect(text(half)).toMatch(/method and path together/);
    const unknownField = await call('correct_call', { spec: 'petstore', task: 'x', url: 'http://x' });
    expect(text(unknownField)).toMatch(/url/);

    const badValue = await call('correct_call', {
      spec: 'petstore',
      task: 'pets that went missing',
      operationId: 'findPetsByStatus',
      query: { status: 'lost' },
    });
    expect(badValue.isError).toBe(true);
    expect(text(badValue)).toMatch(/^correction_invalid: .*status/);
    const badOp = await call('correct_call', { spec: 'petstore', task: 'x', operationId: 'feedPet' });
    expect(text(badOp)).toMatch(/^correction_invalid: spec "petstore" has no operation "feedPet"/);
    const badAnswer = await call('correct_call', { answer: 'q-nothing', operationId: 'getPetById' });
    expect(text(badAnswer)).toMatch(/^query_unknown: /);
    expect(await listCorrections(engine, { spec: 'petstore' })).toHaveLength(before);
  });
});
