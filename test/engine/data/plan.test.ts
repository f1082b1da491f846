import { describe, expect, it } from 'vitest';
import { contrastPairs } from '../../../src/engine/data/plan.js';
import { profileOperation } from '../../../src/engine/data/profile.js';
import { ingestSpecText } from '../../../src/engine/specs/ingest.js';

const body = (...fields: string[]): object => ({
  required: true,
  content: {
    'application/json': {
      schema: { type: 'object', properties: Object.fromEntries(fields.map((f) => [f, { type: 'string' }])) },
    },
  },
});
const op = (operationId: string, extra: object = {}): object => ({
  operationId,
  responses: { '200': { description: 'OK' } },
  ...extra,
});

const SPEC = {
  openapi: '3.0.3',
  info: { title: 'Pairs', version: '1' },
  paths: {
    '/silences': {
      get: op('listSilences'),
      post: op('createSilence', { requestBody: body('startsAt', 'endsAt') }),
    },
    '/silences/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: op('getSilence'),
    },
    '/alerts': { post: op('postAlert', { requestBody: body('startsAt', 'endsAt', 'labels') }) },
    '/glossaries': { post: op('createGlossary', { requestBody: body('startsAt', 'name') }) },
    '/translations': { put: op('putTranslation', { requestBody: body('startsAt', 'endsAt') }) },
    '/status': { get: op('getStatus') },
  },
};

describe('contrastPairs', () => {
  it('pairs one path or resource root, and writes with the same method sharing two body fields, in order', async () => {
    const { catalog } = await ingestSpecText(JSON.stringify(SPEC), 'pairs.json');
    const profiles = catalog.operations.map((o) => profileOperation(o, catalog.title));
    const names = contrastPairs(profiles).map(([a, b]) => `${a.op.operationId}~${b.op.operationId}`);
    // A PUT sharing both fields, a POST sharing only one and an unrelated GET make no pair; pairs follow the
    // catalog's operation order, the earlier operation first.
    expect(catalog.operations.map((o) => o.operationId).slice(0, 4)).toEqual([
      'listSilences',
      'createSilence',
      'getSilence',
      'postAlert',
    ]);
    expect(names).toEqual([
      'listSilences~createSilence',
      'listSilences~getSilence',
      'createSilence~getSilence',
      'createSilence~postAlert',
    ]);
  });
});
