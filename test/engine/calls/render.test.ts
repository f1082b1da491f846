import { describe, expect, it } from 'vitest';
import {
  buildUrl,
  normaliseScalars,
  numberToDecimal,
  renderCurl,
  renderFetch,
  jsonEqual,
  type ApiCall,
} from '../../../src/engine/calls.js';
import { petCatalog } from './fixtures.js';

function call(partial: Partial<ApiCall> & Pick<ApiCall, 'method' | 'path'>): ApiCall {
  return { operationId: null, pathParams: {}, query: {}, headers: {}, body: null, url: '', ...partial };
}

describe('buildUrl', () => {
  it('fills and encodes the template and serialises the query per style', () => {
    const c = call({
      method: 'GET',
      path: '/pets',
      query: { status: 'sold', tags: ['a b', 'c&d'], ids: ['1', '2'] },
    });
    expect(buildUrl(c, petCatalog)).toBe(
      'https://api.example.com/v1/pets?status=sold&tags=a%20b&tags=c%26d&ids=1,2',
    );
    const p = call({ method: 'GET', path: '/pets/{petId}', pathParams: { petId: 'a/b' } });
    expect(buildUrl(p, petCatalog)).toBe('https://api.example.com/v1/pets/a%2Fb');
  });
  it('yields a relative URL when the catalog has no server', () => {
    expect(buildUrl(call({ method: 'GET', path: '/x' }), { ...petCatalog, servers: [] })).toBe('/x');
  });
});

describe('renderCurl / renderFetch', () => {
  const post = call({
    method: 'POST',
    path: '/pets',
    body: { name: "Rex's" },
    headers: { Authorization: 'Bearer t' },
  });
  it('renders a JSON body with its content type and shell-safe quoting', () => {
    expect(renderCurl(post, petCatalog)).toBe(
      `curl -X POST 'https://api.example.com/v1/pets' -H 'Authorization: Bearer t' -H 'Content-Type: application/json' --data '{"name":"Rex'\\''s"}'`,
    );
    expect(renderFetch(post, petCatalog)).toContain('body: JSON.stringify({');
    expect(renderFetch(post, petCatalog)).toContain('"Content-Type":"application/json"');
  });
  it('renders form bodies as form fields and GETs without -X', () => {
    const form = call({
      method: 'POST',
      path: '/pets/{petId}/photo',
      pathParams: { petId: '1' },
      body: { caption: 'hi' },
    });
    expect(renderCurl(form, petCatalog)).toBe(
      `curl -X POST 'https://api.example.com/v1/pets/1/photo' --data-urlencode 'caption=hi'`,
    );
    expect(renderFetch(form, petCatalog)).toContain('new URLSearchParams({"caption":"hi"})');
    expect(renderCurl(call({ method: 'GET', path: '/pets', url: 'https://u/pets' }))).toBe(
      `curl 'https://u/pets'`,
    );
  });
});

describe('normaliseScalars', () => {
  it.each([
    [10.0, '10'],
    [49.99, '49.99'],
    [-0, '0'],
    [1e21, '1000000000000000000000'],
    [1.5e-7, '0.00000015'],
    [-2.5e22, '-25000000000000000000000'],
  ])('%s → %s', (n, s) => expect(numberToDecimal(n)).toBe(s));
  it('normalises nested values, keeping strings and null', () => {
    expect(normaliseScalars({ a: [1, true, null, 'x'], b: { c: 2.5 } })).toEqual({
      a: ['1', 'true', null, 'x'],
      b: { c: '2.5' },
    });
  });
  it('compares objects without key order and arrays in order', () => {
    expect(jsonEqual({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1, b: [1, 2] }, { a: 1, b: [2, 1] })).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(jsonEqual(null, {})).toBe(false);
  });
});
