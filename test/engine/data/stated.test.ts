import { describe, expect, it } from 'vitest';
import { generateDataset } from '../../../src/engine/data/generate.js';
import { collectCodeNames } from '../../../src/engine/data/names.js';
import { unstatedValues, valueStated } from '../../../src/engine/data/stated.js';
import { loadSpecFile } from '../../../src/engine/specs/ingest.js';
import type { TaskExample } from '../../../src/engine/data/types.js';
import { FIXTURE_SPEC_FILES, fixtureSpec } from '../../fixtures/paths.js';

const specFiles = FIXTURE_SPEC_FILES;

async function load(file: string) {
  const { catalog } = await loadSpecFile(fixtureSpec(file));
  return {
    catalog,
    names: collectCodeNames(catalog),
    examples: generateDataset(catalog, { seed: 5, count: 500 }).examples,
  };
}

describe.each(specFiles)('every call value is stated in its task on %s', (file) => {
  it('has no value (path, query, body at any depth, enum, number, boolean) the task does not state', async () => {
    const { catalog, names, examples } = await load(file);
    const bad = examples
      .map((e) => [e.task, unstatedValues(e, catalog, names)] as const)
      .filter(([, u]) => u.length > 0);
    expect(bad).toEqual([]);
  });
});

describe('unstatedValues', () => {
  const withBody = (e: TaskExample, body: Record<string, unknown>): TaskExample => ({
    ...e,
    expected: { ...e.expected, body: { ...(e.expected.body as object), ...body } },
  });

  it('reports an optional parameter, a changed enum, a changed number and an unsaid string', async () => {
    const { catalog, names, examples } = await load('deepl.yaml');
    const plain = examples.find(
      (e) =>
        e.expected.operationId === 'translateText' && Object.keys(e.expected.body as object).length === 2,
    )!;
    expect(unstatedValues(plain, catalog, names)).toEqual([]);
    // The failure seen on real adapters: an optional key filled although the task never asks for it.
    expect(unstatedValues(withBody(plain, { model_type: 'latency_optimized' }), catalog, names)).toEqual([
      'body.model_type="latency_optimized"',
    ]);
    const target = (plain.expected.body as { target_lang: string }).target_lang;
    const other = target === 'JA' ? 'NL' : 'JA';
    if (!new RegExp(other === 'JA' ? 'japan|\\bja\\b' : 'dutch|\\bnl\\b', 'i').test(plain.task))
      expect(unstatedValues(withBody(plain, { target_lang: other }), catalog, names)).toEqual([
        `body.target_lang="${other}"`,
      ]);
    expect(unstatedValues(withBody(plain, { text: ['zzqx never said'] }), catalog, names)).toEqual([
      'body.text[0]="zzqx never said"',
    ]);
  });

  it('reports a wrong number, a path id and a boolean whose words are absent', async () => {
    const { catalog, names, examples } = await load('train-travel.yaml');
    const trips = examples.find(
      (e) =>
        e.expected.path === '/trips' &&
        e.expected.query['limit'] === undefined &&
        e.expected.query['dogs'] === undefined,
    )!;
    expect(unstatedValues(trips, catalog, names)).toEqual([]);
    const q = (extra: Record<string, string>): TaskExample => ({
      ...trips,
      expected: { ...trips.expected, query: { ...trips.expected.query, ...extra } },
    });
    expect(unstatedValues(q({ limit: '987654' }), catalog, names)).toEqual(['query.limit=987654']);
    if (!/\bdog/i.test(trips.task))
      expect(unstatedValues(q({ dogs: 'true' }), catalog, names)).toEqual(['query.dogs=true']);
    const item = examples.find((e) => Object.keys(e.expected.pathParams).length > 0)!;
    const [k] = Object.keys(item.expected.pathParams) as [string];
    const moved = {
      ...item,
      expected: { ...item.expected, pathParams: { [k]: '00000000-0000-4000-8000-000000000000' } },
    };
    expect(unstatedValues(moved, catalog, names)).toEqual([
      `path.${k}="00000000-0000-4000-8000-000000000000"`,
    ]);
  });
});

describe('numbers stated in a task', () => {
  it('are numbers of their own, not pieces of dates, words or longer numbers', async () => {
    const { catalog, names } = await load('deepl.yaml');
    const op = catalog.operations[0]!;
    const said = (task: string, v: number): boolean =>
      valueStated(task, 'n', v, { type: 'number' }, names, op);
    expect(said('from 2024-03-01 on', 2024)).toBe(false);
    expect(said('from 2024-03-01 on', 3)).toBe(false);
    expect(said('as olduser77', 77)).toBe(false);
    expect(said('card 12/2027', 12)).toBe(false);
    expect(said('pay 12.50 now', 12.5)).toBe(true);
    expect(said('limit 10, please', 10)).toBe(true);
    expect(said('set it to -5', -5)).toBe(true);
    expect(said('three of them', 3)).toBe(true);
  });
});
