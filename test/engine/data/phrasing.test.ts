import { describe, expect, it } from 'vitest';
import { generateDataset } from '../../../src/engine/data/generate.js';
import { enumWordForms } from '../../../src/engine/data/names.js';
import { verbOfParticiple } from '../../../src/engine/data/words.js';
import { ingestSpecText } from '../../../src/engine/specs/ingest.js';

/** A small inventory API written for this test: a state filter, paging, sorting and a state update. */
const SPEC = JSON.stringify({
  openapi: '3.0.3',
  info: { title: 'Inventory', version: '1.0' },
  servers: [{ url: 'https://inventory.example.com' }],
  paths: {
    '/v2/items': {
      get: {
        operationId: 'listItems',
        summary: 'List items',
        parameters: [
          {
            name: 'status',
            in: 'query',
            schema: { type: 'string', enum: ['AVAILABLE', 'RESERVED', 'ARCHIVED'] },
          },
          { name: 'pageSize', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100 } },
          { name: 'page', in: 'query', schema: { type: 'integer', minimum: 1 } },
          { name: 'orderBy', in: 'query', schema: { type: 'string', enum: ['CreatedAt', 'Price'] } },
          { name: 'sortDirection', in: 'query', schema: { type: 'string', enum: ['asc', 'desc'] } },
        ],
        responses: { '200': { description: 'ok' } },
      },
    },
    '/v2/items/{itemSid}': {
      post: {
        operationId: 'updateItem',
        summary: 'Update an item',
        parameters: [{ name: 'itemSid', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  status: { type: 'string', enum: ['reserved', 'archived', 'available'] },
                  note: { type: 'string' },
                  displayName: { type: 'string' },
                },
              },
            },
          },
        },
        responses: { '200': { description: 'ok' } },
      },
    },
  },
});

async function examples() {
  const { catalog } = await ingestSpecText(SPEC, 'inventory.json');
  return generateDataset(catalog, { seed: 5, count: 400 }).examples;
}

describe('task phrasing people use', () => {
  it('says enum words in lower case and sort directions in words', () => {
    const forms = enumWordForms(['AVAILABLE', 'IN_TRANSIT', 'DE'], 'status', '', new Map());
    expect(forms.get('AVAILABLE')).toContain('available');
    expect(forms.get('IN_TRANSIT')).toContain('in transit');
    expect(forms.get('DE')).toEqual([]);
    const dir = enumWordForms(['asc', 'desc'], 'sortDirection', '', new Map());
    expect(dir.get('desc')).toEqual(expect.arrayContaining(['descending', 'newest first']));
    expect(dir.get('asc')).toEqual(expect.arrayContaining(['ascending', 'oldest first']));
  });

  it('turns a state participle into its verb', () => {
    const pairs = [
      ['suspended', 'suspend'],
      ['activated', 'activate'],
      ['cancelled', 'cancel'],
      ['verified', 'verify'],
      ['closed', 'close'],
      ['archived', 'archive'],
    ];
    for (const [word, verb] of pairs) expect(verbOfParticiple(word!)).toBe(verb);
    expect(verbOfParticiple('active')).toBeNull();
    expect(verbOfParticiple('sold')).toBeNull();
  });

  it('states a list filter as an adjective of the noun, and an update of state by its verb', async () => {
    const all = await examples();
    const lists = all.filter((e) => e.expected.operationId === 'listItems');
    const before = lists.filter((e) => {
      const status = e.expected.query['status'];
      return (
        typeof status === 'string' &&
        new RegExp(`\\b${status.toLowerCase()} (\\w+ )?items\\b`, 'i').test(e.task)
      );
    });
    const withStatus = lists.filter((e) => typeof e.expected.query['status'] === 'string');
    expect(before.length).toBeGreaterThanOrEqual(Math.max(2, withStatus.length * 0.1));
    const updates = all.filter((e) => e.expected.operationId === 'updateItem');
    const byVerb = updates.filter((e) => /^(?:\W*\w+\W+)?(archive|reserve)\b/i.test(e.task));
    expect(byVerb.length).toBeGreaterThan(0);
    for (const e of byVerb) expect(e.expected.body).toHaveProperty('status');
    const renames = updates.filter((e) => /\brename\b/i.test(e.task));
    expect(renames.length).toBeGreaterThan(0);
    for (const e of renames) expect(e.expected.body).toHaveProperty('displayName');
  });

  it('says page size per page and keeps "page N" for the page number only', async () => {
    const lists = (await examples()).filter((e) => e.expected.operationId === 'listItems');
    const perPage = lists.filter((e) => /\b\d+ (per page|a page|results per page|at a time)\b/.test(e.task));
    expect(perPage.length).toBeGreaterThan(0);
    for (const e of perPage) expect(e.expected.query).toHaveProperty('pageSize');
    for (const e of lists) {
      const page = /\bpage (\d+)\b/.exec(e.task);
      if (page && !/page size/i.test(e.task)) expect(e.expected.query['page']).toBe(page[1]);
    }
  });

  it('gives a path id of unknown shape an identifier, never loose words, and never says the version', async () => {
    const updates = (await examples()).filter((e) => e.expected.operationId === 'updateItem');
    expect(updates.length).toBeGreaterThan(10);
    for (const e of updates) expect(e.expected.pathParams['itemSid']).toMatch(/^[A-Za-z0-9_-]+$/);
    for (const e of await examples()) expect(e.task).not.toMatch(/\bv2\b/);
  });
});

describe('updates said by what they set', () => {
  it('knows the verbs of adjective states too', async () => {
    const { stateVerbs } = await import('../../../src/engine/data/words.js');
    expect(stateVerbs('active')).toEqual(['activate', 'reactivate']);
    expect(stateVerbs('suspended')).toEqual(['suspend']);
    expect(stateVerbs('blue')).toEqual([]);
  });
});
