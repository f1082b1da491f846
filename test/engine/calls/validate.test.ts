import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findOperation, validateCall, type ApiCall } from '../../../src/engine/calls.js';
import type { Catalog } from '../../../src/engine/specs/types.js';
import { petCatalog } from './fixtures.js';

function call(partial: Partial<ApiCall> & Pick<ApiCall, 'method' | 'path'>): ApiCall {
  return { operationId: null, pathParams: {}, query: {}, headers: {}, body: null, url: '', ...partial };
}
const codes = (c: ApiCall): string[] =>
  validateCall(c, petCatalog).map((i) => `${i.code}:${i.location}:${i.name}`);

describe('findOperation', () => {
  it('matches method case-insensitively and the template exactly', () => {
    expect(findOperation(petCatalog, 'get', '/pets/{petId}')?.operationId).toBe('getPet');
    expect(findOperation(petCatalog, 'GET', '/pets/42')).toBeUndefined();
  });
});

describe('validateCall', () => {
  it('accepts conforming calls, coercing string parameters to their schema types', () => {
    expect(codes(call({ method: 'GET', path: '/pets' }))).toEqual([]);
    const q = {
      status: 'sold',
      limit: '10',
      tags: 'a',
      ids: ['1', '2'],
      vaccinated: 'false',
      since: '2025-01-01T00:00:00Z',
    };
    expect(codes(call({ method: 'GET', path: '/pets', query: q }))).toEqual([]);
    expect(
      codes(
        call({
          method: 'GET',
          path: '/pets/{petId}',
          pathParams: { petId: '1725ff48-ab45-4bb5-9d02-88745177dedb' },
        }),
      ),
    ).toEqual([]);
    expect(
      codes(call({ method: 'POST', path: '/pets', body: { name: 'Rex', age: null, kind: 'dog' } })),
    ).toEqual([]);
    expect(codes(call({ method: 'POST', path: '/pets/{petId}/photo', pathParams: { petId: 'x' } }))).toEqual(
      [],
    );
  });

  it('rejects unknown operations', () => {
    expect(codes(call({ method: 'DELETE', path: '/pets' }))).toEqual([
      'unknown_operation:operation:DELETE /pets',
    ]);
  });

  it('rejects missing, empty and unknown parameters', () => {
    expect(codes(call({ method: 'GET', path: '/pets/{petId}' }))).toEqual(['missing_parameter:path:petId']);
    expect(codes(call({ method: 'GET', path: '/pets/{petId}', pathParams: { petId: '' } }))).toEqual([
      'invalid_value:path:petId',
    ]);
    expect(codes(call({ method: 'GET', path: '/search' }))).toEqual(['missing_parameter:query:q']);
    expect(codes(call({ method: 'GET', path: '/pets', query: { colour: 'red' } }))).toEqual([
      'unknown_parameter:query:colour',
    ]);
    expect(codes(call({ method: 'GET', path: '/pets', pathParams: { petId: '1' } }))).toEqual([
      'unknown_parameter:path:petId',
    ]);
  });

  it('rejects values that do not fit type, enum, range or format', () => {
    expect(codes(call({ method: 'GET', path: '/pets', query: { status: 'lost' } }))).toEqual([
      'invalid_value:query:status',
    ]);
    expect(codes(call({ method: 'GET', path: '/pets', query: { limit: 'ten' } }))).toEqual([
      'invalid_value:query:limit',
    ]);
    expect(codes(call({ method: 'GET', path: '/pets', query: { limit: '1.5' } }))).toEqual([
      'invalid_value:query:limit',
    ]);
    expect(codes(call({ method: 'GET', path: '/pets', query: { limit: '0' } }))).toEqual([
      'invalid_value:query:limit',
    ]);
    expect(codes(call({ method: 'GET', path: '/pets', query: { vaccinated: 'yes' } }))).toEqual([
      'invalid_value:query:vaccinated',
    ]);
    expect(codes(call({ method: 'GET', path: '/pets', query: { ids: ['1', 'x'] } }))).toEqual([
      'invalid_value:query:ids',
    ]);
    expect(codes(call({ method: 'GET', path: '/pets', query: { since: 'yesterday' } }))).toEqual([
      'invalid_value:query:since',
    ]);
    expect(codes(call({ method: 'GET', path: '/pets/{petId}', pathParams: { petId: '42' } }))).toEqual([
      'invalid_value:path:petId',
    ]);
  });

  it('checks the body: presence, schema, required fields except readOnly ones, formats', () => {
    expect(codes(call({ method: 'POST', path: '/pets' }))).toEqual(['missing_body:body:']);
    expect(codes(call({ method: 'GET', path: '/pets', body: {} }))).toEqual(['unexpected_body:body:']);
    expect(codes(call({ method: 'POST', path: '/pets', body: {} }))).toEqual(['invalid_body:body:']);
    expect(codes(call({ method: 'POST', path: '/pets', body: { name: 'Rex', kind: 'cow' } }))).toEqual([
      'invalid_body:body:/kind',
    ]);
    expect(codes(call({ method: 'POST', path: '/pets', body: { name: 'Rex', extra: 1 } }))).toEqual([
      'invalid_body:body:',
    ]);
    expect(codes(call({ method: 'POST', path: '/pets', body: { name: 'Rex', age: '3' } }))).toEqual([
      'invalid_body:body:/age',
    ]);
    expect(
      codes(call({ method: 'POST', path: '/pets', body: { name: 'Rex', owner: { email: 'nope' } } })),
    ).toEqual(['invalid_body:body:/owner/email']);
  });

  it('does not mutate the call while coercing', () => {
    const c = call({ method: 'GET', path: '/pets', query: { limit: '5', tags: 'a' } });
    validateCall(c, petCatalog);
    expect(c.query).toEqual({ limit: '5', tags: 'a' });
  });
});

describe('validateCall with spec patterns', () => {
  const evil: Catalog = {
    title: 'evil',
    apiVersion: '1',
    sourceFormat: 'openapi-3.1',
    servers: [],
    securitySchemes: {},
    operations: [
      {
        operationId: 'find',
        operationIdDerived: false,
        method: 'GET',
        path: '/find',
        tags: [],
        parameters: [
          { name: 'q', in: 'query', required: true, schema: { type: 'string', pattern: '^(a+)+$' } },
          { name: 'e', in: 'query', required: false, schema: { type: 'string', pattern: '^caf\\u00e9$' } },
        ],
        requestBody: null,
        deprecated: false,
        security: [],
      },
    ],
  };
  const find = (query: Record<string, string>) =>
    validateCall(call({ method: 'GET', path: '/find', query }), evil).map((i) => `${i.code}:${i.name}`);

  it('still enforces patterns, in ECMA-262 spelling', () => {
    expect(find({ q: 'aaaa' })).toEqual([]);
    expect(find({ q: 'aaab' })).toEqual(['invalid_value:q']);
    expect(find({ q: 'a', e: 'café' })).toEqual([]);
    expect(find({ q: 'a', e: 'cafe' })).toEqual(['invalid_value:e']);
  });

  it('runs a catastrophic-backtracking pattern on a 40-character value without stalling', () => {
    // A backtracking engine needs about 2^40 steps here; the child is killed if it is still running after 60 s.
    const script = [
      `import { validateCall } from ${JSON.stringify(path.resolve('src/engine/calls.ts'))};`,
      `const catalog = JSON.parse(process.argv[1]);`,
      `const call = { operationId: null, method: 'GET', path: '/find', pathParams: {}, headers: {}, body: null, url: '',`,
      `  query: { q: 'a'.repeat(40) + 'b' } };`,
      `process.stdout.write(JSON.stringify(validateCall(call, catalog).map((i) => i.code)));`,
    ].join('\n');
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script, JSON.stringify(evil)],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(run.signal).toBeNull();
    expect(JSON.parse(run.stdout)).toEqual(['invalid_value']);
  }, 90_000);
});
