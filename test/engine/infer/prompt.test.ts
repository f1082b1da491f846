import { describe, expect, it } from 'vitest';
import { jsonEqual, validateCall, type ApiCall } from '../../../src/engine/calls.js';
import { buildMessages, callToTarget, parseTarget } from '../../../src/engine/infer/prompt.js';
import { petCatalog } from '../calls/fixtures.js';
import { OWN_SPECS, ownCatalog, ownTasks } from './own-specs.js';

const base = { operationId: null, pathParams: {}, query: {}, headers: {}, body: null, url: '' };

describe('callToTarget / parseTarget', () => {
  it('writes op first, typed values, keys in spec order, and only the sections the operation has', () => {
    const call: ApiCall = {
      ...base,
      method: 'GET',
      path: '/pets',
      query: { vaccinated: 'true', limit: '10', tags: 'a' },
    };
    expect(callToTarget(call, petCatalog)).toBe(
      '{"op":"GET /pets","query":{"limit":10,"tags":["a"],"vaccinated":true}}',
    );
    const create: ApiCall = { ...base, method: 'POST', path: '/pets', body: { kind: 'cat', name: 'Tom' } };
    expect(callToTarget(create, petCatalog)).toBe('{"op":"POST /pets","body":{"name":"Tom","kind":"cat"}}');
    const photo: ApiCall = {
      ...base,
      method: 'POST',
      path: '/pets/{petId}/photo',
      pathParams: { petId: '7' },
    };
    expect(callToTarget(photo, petCatalog)).toBe(
      '{"op":"POST /pets/{petId}/photo","path":{"petId":"7"},"body":null}',
    );
  });

  it('refuses calls outside the grammar with a coded error', () => {
    const bad: ApiCall = { ...base, method: 'GET', path: '/pets', query: { status: 'lost' } };
    expect(() => callToTarget(bad, petCatalog)).toThrow(
      expect.objectContaining({ code: 'target_outside_grammar' }),
    );
    expect(() => callToTarget({ ...base, method: 'GET', path: '/nope' }, petCatalog)).toThrow(
      expect.objectContaining({ code: 'target_unknown_operation' }),
    );
  });

  it('parses targets into calls with string parameters and a URL', () => {
    const call = parseTarget(
      '{"op":"GET /pets","query":{"limit":10,"tags":["a","b"],"vaccinated":false}}',
      petCatalog,
    );
    expect(call).toMatchObject({
      operationId: 'listPets',
      method: 'GET',
      path: '/pets',
      query: { limit: '10', tags: ['a', 'b'], vaccinated: 'false' },
    });
    expect(call.url).toBe('https://api.example.com/v1/pets?limit=10&tags=a&tags=b&vaccinated=false');
    expect(validateCall(call, petCatalog)).toEqual([]);
  });

  it.each([
    ['not json', 'target_unparsable'],
    ['[1]', 'target_unparsable'],
    ['{"op":"GET /pets","query":3}', 'target_unparsable'],
    ['{"op":"PUT /pets"}', 'target_unknown_operation'],
  ])('rejects %s with %s', (text, code) => {
    expect(() => parseTarget(text, petCatalog)).toThrow(expect.objectContaining({ code }));
  });

  it.each(OWN_SPECS)('round-trips every expected call of generated %s tasks exactly', async (spec) => {
    const catalog = await ownCatalog(spec);
    for (const { expected } of ownTasks(catalog, 60)) {
      const call = parseTarget(callToTarget(expected, catalog), catalog);
      expect(validateCall(call, catalog)).toEqual([]);
      const canon = (q: Record<string, string | string[]>) =>
        Object.fromEntries(
          Object.entries(q).map(([k, v]) => [k, Array.isArray(v) && v.length === 1 ? v[0] : v]),
        );
      expect(
        jsonEqual(call.pathParams, expected.pathParams) && jsonEqual(canon(call.query), expected.query),
      ).toBe(true);
      expect(call.body).toEqual(expected.body);
      expect(call.operationId).toBe(expected.operationId);
    }
  });
});

describe('buildMessages', () => {
  it('gives a system and a user message; the untrained mode lists the operations', () => {
    const trained = buildMessages('  list pets ', { catalog: petCatalog });
    expect(trained.map((m) => m.role)).toEqual(['system', 'user']);
    expect(trained[1]?.content).toBe('list pets');
    expect(trained[0]?.content).not.toContain('GET /pets');
    const untrained = buildMessages('list pets', { catalog: petCatalog, includeOperations: true });
    expect(untrained[0]?.content).toContain('- GET /pets query: status, limit, tags, ids, vaccinated, since');
    expect(untrained[0]?.content).toContain('- POST /pets/{petId}/photo path: petId body: caption');
  });
});
