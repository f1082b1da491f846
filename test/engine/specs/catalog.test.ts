import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpecFile } from '../../../src/engine/specs/ingest.js';
import { buildCatalog, deriveOperationId } from '../../../src/engine/specs/catalog.js';
import { fixtureSpec } from '../../fixtures/paths.js';

describe('the fixture specs ingest with their hand-counted operations', () => {
  // Counted by hand from each spec's paths (examples/README.md, test/fixtures/README.md).
  it.each([
    ['petstore.yaml', 20, '3.0.0', ['http://petstore.swagger.io/v2']],
    ['alertmanager.yaml', 9, '2.0', ['/api/v2']],
    ['deepl.yaml', 13, '3.0.3', ['https://api.deepl.com/v2', 'https://api-free.deepl.com/v2']],
    ['firecrawl.json', 20, '3.0.0', ['https://api.firecrawl.dev/v1']],
    [
      'train-travel.yaml',
      7,
      '3.1.0',
      ['https://try.microcks.io/rest/Train+Travel+API/1.0.0', 'https://api.example.com'],
    ],
  ])('%s', async (file, count, format, servers) => {
    const { catalog } = await loadSpecFile(fixtureSpec(file));
    expect(catalog.operations).toHaveLength(count);
    expect(catalog.sourceFormat).toBe(format);
    expect(catalog.servers).toEqual(servers);
    expect(new Set(catalog.operations.map((o) => o.operationId)).size).toBe(count);
    expect(() => JSON.stringify(catalog)).not.toThrow();
  });

  it('keeps details of alertmanager (Swagger 2.0)', async () => {
    const { catalog } = await loadSpecFile(fixtureSpec('alertmanager.yaml'));
    const del = catalog.operations.find((o) => o.operationId === 'deleteSilence')!;
    // declared on the path item and on the operation: once
    expect(del.parameters.map((p) => `${p.in}:${p.name}:${p.required}`)).toEqual(['path:silenceID:true']);
    const post = catalog.operations.find((o) => o.operationId === 'postAlerts')!;
    expect(post.requestBody?.schema?.type).toBe('array');
    const getAlerts = catalog.operations.find((o) => o.operationId === 'getAlerts')!;
    const filter = getAlerts.parameters.find((p) => p.name === 'filter')!;
    expect(filter.schema.type).toBe('array');
    expect(filter.schema.items?.type).toBe('string');
  });

  it('prefers the JSON body and lists every media type (deepl)', async () => {
    const { catalog } = await loadSpecFile(fixtureSpec('deepl.yaml'));
    const t = catalog.operations.find((o) => o.operationId === 'translateText')!;
    expect(t.requestBody?.contentType).toBe('application/json');
    expect(t.requestBody?.contentTypes).toEqual(['application/json', 'application/x-www-form-urlencoded']);
    expect(t.requestBody?.schema?.properties?.['text']).toBeDefined();
    expect(catalog.securitySchemes['auth_header']).toMatchObject({ type: 'apiKey', in: 'header' });
    const doc = catalog.operations.find((o) => o.operationId === 'translateDocument')!;
    expect(doc.requestBody?.contentType).toBe('multipart/form-data');
  });

  it('merges allOf bodies (firecrawl)', async () => {
    const { catalog } = await loadSpecFile(fixtureSpec('firecrawl.json'));
    const scrape = catalog.operations.find((o) => o.path === '/scrape')!;
    const schema = scrape.requestBody!.schema!;
    expect(schema.allOf).toBeUndefined();
    expect(schema.properties?.['url']).toBeDefined();
    expect(schema.properties?.['formats']).toBeDefined();
  });
});

const base = (paths: object, extra: object = {}) => ({
  openapi: '3.1.0',
  info: { title: 't', version: '1' },
  paths,
  ...extra,
});
const ok = { responses: { '200': { description: 'ok' } } };

describe('buildCatalog', () => {
  it('derives readable, unique operationIds', () => {
    expect(deriveOperationId('GET', '/pet/{petId}/uploadImage')).toBe('getPetByPetIdUploadImage');
    expect(deriveOperationId('POST', '/')).toBe('postRoot');
    const c = buildCatalog(
      base({ '/a-b': { get: ok }, '/a_b': { get: ok }, '/x': { get: { ...ok, operationId: 'getAB' } } }),
    );
    expect(c.operations.map((o) => [o.operationId, o.operationIdDerived])).toEqual([
      ['getAB_2', true],
      ['getAB_3', true],
      ['getAB', false],
    ]);
  });

  it('cuts recursive schemas and marks them', () => {
    const node = {
      type: 'object',
      properties: {
        name: { type: 'string' },
        children: { type: 'array', items: { $ref: '#/components/schemas/Node' } },
      },
    };
    const c = buildCatalog(
      base(
        {
          '/n': {
            post: {
              ...ok,
              requestBody: {
                content: { 'application/json': { schema: { $ref: '#/components/schemas/Node' } } },
              },
            },
          },
        },
        { components: { schemas: { Node: node } } },
      ),
    );
    const s = c.operations[0]!.requestBody!.schema!;
    expect(s.properties?.['children']?.items).toEqual({ 'x-circular': true, title: 'Node' });
  });

  it('fills server variables and keeps a bare basePath for Swagger 2.0 without host', () => {
    const c = buildCatalog(
      base(
        { '/a': { get: ok } },
        {
          servers: [
            {
              url: 'https://{region}.x.io/{v}/',
              variables: { region: { default: 'eu' }, v: { default: 'v2' } },
            },
          ],
        },
      ),
    );
    expect(c.servers).toEqual(['https://eu.x.io/v2']);
    const s = buildCatalog({
      swagger: '2.0',
      info: { title: 't', version: '1' },
      basePath: '/api/v2',
      paths: { '/a': { get: ok } },
    });
    expect(s.servers).toEqual(['/api/v2']);
    const h = buildCatalog({
      swagger: '2.0',
      info: { title: 't', version: '1' },
      host: 'x.io',
      schemes: ['https'],
      basePath: '/v1',
      paths: { '/a': { get: ok } },
    });
    expect(h.servers).toEqual(['https://x.io/v1']);
  });

  it('leaves references inside x- extensions alone', () => {
    const c = buildCatalog(base({ '/a': { get: ok } }, { 'x-topics': [{ $ref: './docs/x.md' }] }));
    expect(c.operations).toHaveLength(1);
  });
});

describe('examples/ specs ingest', () => {
  const EXAMPLES = path.resolve(import.meta.dirname, '../../../examples');
  it.each([
    ['alertmanager.yaml', 9],
    ['deepl.yaml', 13],
    ['petstore.yaml', 20],
  ])('%s', async (file, count) => {
    const { catalog } = await loadSpecFile(path.join(EXAMPLES, file));
    expect(catalog.operations).toHaveLength(count);
  });

  it('reads petstore security, form bodies and enums', async () => {
    const { catalog } = await loadSpecFile(path.join(EXAMPLES, 'petstore.yaml'));
    expect(catalog.servers).toEqual(['http://petstore.swagger.io/v2']);
    expect(Object.keys(catalog.securitySchemes).sort()).toEqual(['api_key', 'petstore_auth']);
    const byStatus = catalog.operations.find((o) => o.operationId === 'findPetsByStatus')!;
    expect(byStatus.security).toEqual(['petstore_auth']);
    const status = byStatus.parameters[0]!;
    expect(status).toMatchObject({ name: 'status', in: 'query', required: true });
    expect(status.schema.items?.enum).toEqual(['available', 'pending', 'sold']);
    const form = catalog.operations.find((o) => o.operationId === 'updatePetWithForm')!;
    expect(form.requestBody?.contentType).toBe('application/x-www-form-urlencoded');
  });
});
