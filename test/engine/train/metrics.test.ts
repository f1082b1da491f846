import { describe, expect, it } from 'vitest';
import type { ApiCall, ExpectedCall } from '../../../src/engine/calls.js';
import { flattenLeaves, meanScores, scoreCalls } from '../../../src/engine/train/metrics.js';
import { petCatalog } from '../calls/fixtures.js';

type Bare = Pick<ExpectedCall, 'method' | 'path'> & Partial<ExpectedCall>;
const exp = (c: Bare): ExpectedCall => ({ operationId: null, pathParams: {}, query: {}, body: null, ...c });
const pred = (c: Bare): ApiCall => ({ ...exp(c), headers: {}, url: '' });

describe('scoreCalls', () => {
  // Hand-computed: endpoint {1,2,4,5} = 4/6, exact {1,4,5} = 3/6, valid {1,2,4,6} = 4/6,
  // items tp = 2+0+0+3+1+0 = 6, fp = 0+1+0+0+0+1 = 2, fn = 0+1+2+0+0+0 = 3 → F1 = 12/17.
  const items = [
    {
      predicted: pred({ method: 'GET', path: '/pets', query: { status: 'sold', limit: '10' } }),
      expected: exp({ method: 'GET', path: '/pets', query: { limit: '10', status: 'sold' } }),
    },
    {
      predicted: pred({ method: 'GET', path: '/pets', query: { status: 'available' } }),
      expected: exp({ method: 'GET', path: '/pets', query: { status: 'sold' } }),
    },
    { predicted: null, expected: exp({ method: 'POST', path: '/pets', body: { name: 'Rex', kind: 'dog' } }) },
    {
      predicted: pred({ method: 'POST', path: '/pets', body: { name: 'Rex', kind: 'cat', age: 3.0 } }),
      expected: exp({ method: 'POST', path: '/pets', body: { kind: 'cat', age: 3, name: 'Rex' } }),
    },
    {
      predicted: pred({ method: 'GET', path: '/pets/{petId}', pathParams: { petId: '42' } }),
      expected: exp({ method: 'GET', path: '/pets/{petId}', pathParams: { petId: '42' } }),
    },
    {
      predicted: pred({ method: 'GET', path: '/search', query: { q: 'x' } }),
      expected: exp({ method: 'GET', path: '/pets' }),
    },
  ];

  it('computes the README metrics over all tasks', () => {
    const s = scoreCalls(items, petCatalog);
    expect(s.n).toBe(6);
    expect(s.endpointAccuracy).toBeCloseTo(4 / 6, 12);
    expect(s.exactMatch).toBeCloseTo(3 / 6, 12);
    expect(s.validRate).toBeCloseTo(4 / 6, 12);
    expect(s.paramF1).toBeCloseTo(12 / 17, 12);
  });

  it('breaks the scores down per expected operation in catalog order', () => {
    const per = scoreCalls(items, petCatalog).perOperation;
    expect(per.map((p) => p.operation)).toEqual(['GET /pets', 'GET /pets/{petId}', 'POST /pets']);
    const [list, get, create] = per;
    expect(list).toMatchObject({ n: 3, confusedWith: { 'GET /search': 1 } });
    expect(list?.endpointAccuracy).toBeCloseTo(2 / 3, 12);
    expect(list?.exactMatch).toBeCloseTo(1 / 3, 12);
    expect(list?.validRate).toBe(1);
    expect(list?.paramF1).toBeCloseTo(4 / 7, 12); // tp 2, fp 2, fn 1
    expect(get).toMatchObject({ n: 1, endpointAccuracy: 1, exactMatch: 1, validRate: 0, paramF1: 1 });
    expect(create).toMatchObject({
      n: 2,
      endpointAccuracy: 0.5,
      exactMatch: 0.5,
      validRate: 0.5,
      paramF1: 0.75,
    });
    expect(create?.confusedWith).toEqual({ unparsed: 1 });
  });

  it('treats a one-item array query value as its plain string, and compares body arrays in order', () => {
    const a = scoreCalls(
      [
        {
          predicted: pred({ method: 'GET', path: '/pets', query: { tags: ['a'] } }),
          expected: exp({ method: 'GET', path: '/pets', query: { tags: 'a' } }),
        },
      ],
      petCatalog,
    );
    expect([a.exactMatch, a.paramF1]).toEqual([1, 1]);
    const b = scoreCalls(
      [
        {
          predicted: pred({ method: 'GET', path: '/pets', query: { tags: ['b', 'a'] } }),
          expected: exp({ method: 'GET', path: '/pets', query: { tags: ['a', 'b'] } }),
        },
      ],
      petCatalog,
    );
    expect([b.exactMatch, b.paramF1]).toEqual([0, 0]);
  });

  it('gives F1 1 when nothing was expected or predicted, and zeros for no tasks', () => {
    const s = scoreCalls(
      [
        {
          predicted: pred({ method: 'GET', path: '/pets' }),
          expected: exp({ method: 'GET', path: '/pets' }),
        },
      ],
      petCatalog,
    );
    expect(s.paramF1).toBe(1);
    expect(scoreCalls([], petCatalog)).toMatchObject({ n: 0, endpointAccuracy: 0, paramF1: 0 });
  });

  it('averages specs for the headline figures', () => {
    const m = meanScores([
      { n: 2, endpointAccuracy: 1, exactMatch: 0.5, validRate: 1, paramF1: 0.5 },
      { n: 4, endpointAccuracy: 0.5, exactMatch: 0, validRate: 1, paramF1: 1 },
    ]);
    expect(m).toEqual({ n: 6, endpointAccuracy: 0.75, exactMatch: 0.25, validRate: 1, paramF1: 0.75 });
  });
});

describe('flattenLeaves', () => {
  it('names leaves with dotted keys and [i] indices', () => {
    expect(flattenLeaves({ source: { name: 'a' }, text: ['x', 'y'], e: {}, n: null }, '')).toEqual([
      ['source.name', 'a'],
      ['text[0]', 'x'],
      ['text[1]', 'y'],
      ['e', {}],
      ['n', null],
    ]);
    expect(flattenLeaves([{ labels: { a: '1' } }], '')).toEqual([['[0].labels.a', '1']]);
  });
});
