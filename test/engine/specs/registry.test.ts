import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  addSpec,
  diffSpecVersions,
  getSpec,
  listSpecs,
  openEngine,
  removeSpec,
  specOperations,
  type Engine,
} from '../../../src/engine/index.js';
import { defaultSpecName } from '../../../src/engine/specs/registry.js';

const info = { title: 'Shop API', version: '1.0' };
const ok = { responses: { '200': { description: 'ok' } } };

const v1 = {
  openapi: '3.1.0',
  info,
  servers: [{ url: 'https://shop.example.com/v1' }],
  paths: {
    '/items': {
      get: {
        ...ok,
        operationId: 'listItems',
        parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer' } }],
      },
    },
    '/items/{id}': {
      get: {
        ...ok,
        operationId: 'getItem',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      },
    },
    '/legacy': { get: { ...ok, operationId: 'legacy' } },
  },
};
const v2 = {
  ...v1,
  info: { ...info, version: '2.0' },
  paths: {
    '/items': {
      get: {
        ...ok,
        operationId: 'listItems',
        parameters: [
          { name: 'limit', in: 'query', required: true, schema: { type: 'integer' } },
          { name: 'tag', in: 'query', schema: { type: 'string' } },
        ],
      },
    },
    '/items/{id}': {
      get: {
        ...ok,
        operationId: 'fetchItem',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      },
    },
    '/orders': {
      post: {
        ...ok,
        operationId: 'createOrder',
        requestBody: { content: { 'application/json': { schema: { type: 'object' } } } },
      },
    },
  },
};

let dir: string;
let engine: Engine;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'smolmap-registry-'));
  engine = await openEngine({ dataDir: path.join(dir, 'data'), modelsDir: path.join(dir, 'models') });
  file = path.join(dir, 'shop.json');
});

describe('spec registry', () => {
  it('adds a version only when the content changes, and keeps older ones', async () => {
    await writeFile(file, JSON.stringify(v1));
    const a = await addSpec(engine, file);
    expect(a).toMatchObject({
      name: 'shop',
      version: 1,
      created: true,
      operations: 3,
      servers: ['https://shop.example.com/v1'],
    });
    const again = await addSpec(engine, file);
    expect(again).toMatchObject({ name: 'shop', version: 1, created: false });
    await writeFile(file, JSON.stringify(v2));
    const b = await addSpec(engine, file);
    expect(b).toMatchObject({ version: 2, created: true, operations: 3 });
    expect(await listSpecs(engine)).toMatchObject([
      { name: 'shop', version: 2, versions: [1, 2], operations: 3 },
    ]);
    // the document is stored exactly as added
    const { version } = await getSpec(engine, 'shop', { version: 1 });
    expect(await readFile(path.join(engine.dataDir, version.document.path), 'utf8')).toBe(JSON.stringify(v1));
    expect((await specOperations(engine, 'shop', { version: 1 })).map((o) => o.operationId)).toEqual([
      'listItems',
      'getItem',
      'legacy',
    ]);
  });

  it('diffs two versions by endpoint', async () => {
    await writeFile(file, JSON.stringify(v1));
    await addSpec(engine, file);
    await writeFile(file, JSON.stringify(v2));
    await addSpec(engine, file);
    const d = await diffSpecVersions(engine, 'shop', 1, 2);
    expect(d.added.map((o) => `${o.method} ${o.path}`)).toEqual(['POST /orders']);
    expect(d.removed.map((o) => `${o.method} ${o.path}`)).toEqual(['GET /legacy']);
    expect(d.changed).toEqual([
      {
        operationId: 'listItems',
        method: 'GET',
        path: '/items',
        changes: ['query parameter "limit" is now required', 'query parameter "tag" added'],
      },
      {
        operationId: 'fetchItem',
        method: 'GET',
        path: '/items/{id}',
        changes: ['operationId getItem → fetchItem'],
      },
    ]);
    const none = await diffSpecVersions(engine, 'shop', 2, 2);
    expect([none.added, none.removed, none.changed]).toEqual([[], [], []]);
    await expect(diffSpecVersions(engine, 'shop', 1, 3)).rejects.toMatchObject({
      code: 'spec_version_unknown',
    });
  });

  it('removes one version, then the whole spec and its files', async () => {
    await writeFile(file, JSON.stringify(v1));
    await addSpec(engine, file, { name: 'shop' });
    await writeFile(file, JSON.stringify(v2));
    await addSpec(engine, file, { name: 'shop' });
    const doc1 = path.join(
      engine.dataDir,
      (await getSpec(engine, 'shop', { version: 1 })).version.document.path,
    );
    expect(await removeSpec(engine, 'shop', { version: 1 })).toEqual({
      name: 'shop',
      removed: [1],
      remaining: [2],
    });
    await expect(readFile(doc1)).rejects.toThrow(/ENOENT/);
    await expect(getSpec(engine, 'shop', { version: 1 })).rejects.toMatchObject({
      code: 'spec_version_unknown',
    });
    expect((await getSpec(engine, 'shop')).version.version).toBe(2);
    // numbering continues after a removal; it never reuses a number
    await writeFile(file, JSON.stringify({ ...v2, info: { ...info, version: '3' } }));
    expect((await addSpec(engine, file, { name: 'shop' })).version).toBe(3);
    // removing the latest version does not free its number either
    expect(await removeSpec(engine, 'shop', { version: 3 })).toMatchObject({ removed: [3], remaining: [2] });
    await writeFile(file, JSON.stringify({ ...v2, info: { ...info, version: '4' } }));
    expect((await addSpec(engine, file, { name: 'shop' })).version).toBe(4);
    expect(await removeSpec(engine, 'shop')).toEqual({ name: 'shop', removed: [2, 4], remaining: [] });
    expect(await listSpecs(engine)).toEqual([]);
    await expect(removeSpec(engine, 'shop')).rejects.toMatchObject({ code: 'spec_unknown' });
  });

  it('keeps tenants apart', async () => {
    await writeFile(file, JSON.stringify(v1));
    await addSpec(engine, file, { tenant: 'T1' });
    expect(await listSpecs(engine)).toEqual([]);
    expect((await listSpecs(engine, { tenant: 'T1' })).map((s) => s.name)).toEqual(['shop']);
    await expect(getSpec(engine, 'shop', { tenant: 'T2' })).rejects.toMatchObject({ code: 'spec_unknown' });
  });

  it('names a spec after its file, or its title when the file name says nothing', () => {
    expect(defaultSpecName('examples/petstore.yaml', 'Swagger Petstore')).toBe('petstore');
    expect(defaultSpecName('https://x.io/api/openapi.json?v=1', 'Train Travel API')).toBe('train-travel-api');
    expect(defaultSpecName('C:\\specs\\My Spec.YAML', 'x')).toBe('my-spec');
  });
});
