import { describe, expect, it } from 'vitest';
import { mergeAllOf } from '../../../src/engine/data/body.js';
import { generateDataset } from '../../../src/engine/data/generate.js';
import { LABEL_NAMES } from '../../../src/engine/data/matcher.js';
import { buildMessages, TRAINED_SYSTEM } from '../../../src/engine/infer/prompt.js';
import { loadSpecFile } from '../../../src/engine/specs/ingest.js';
import type { Catalog } from '../../../src/engine/specs/types.js';
import type { TaskExample } from '../../../src/engine/data/types.js';
import { fixtureSpec } from '../../fixtures/paths.js';

/** How people state things, and what the generator must cover, on the fixture specs. */
const cache = new Map<string, { catalog: Catalog; examples: TaskExample[] }>();
async function load(file: string): Promise<{ catalog: Catalog; examples: TaskExample[] }> {
  if (!cache.has(file)) {
    const { catalog } = await loadSpecFile(fixtureSpec(file));
    cache.set(file, { catalog, examples: generateDataset(catalog, { seed: 5 }).examples });
  }
  return cache.get(file)!;
}

const bodyOf = (e: TaskExample): Record<string, unknown> => e.expected.body as Record<string, unknown>;

describe('data phrasing', () => {
  it('states every optional query parameter and top-level body field in at least one example', async () => {
    for (const file of ['train-travel.yaml', 'alertmanager.yaml', 'deepl.yaml']) {
      const { catalog, examples } = await load(file);
      for (const op of catalog.operations) {
        const mine = examples.filter((e) => e.expected.method === op.method && e.expected.path === op.path);
        if (mine.length === 0) continue; // skipped (binary upload)
        for (const p of op.parameters.filter((x) => x.in === 'query' && !x.deprecated))
          expect(
            mine.some((e) => p.name in e.expected.query),
            `${file} ${op.operationId} ?${p.name}`,
          ).toBe(true);
        const schema = op.requestBody?.schema ? mergeAllOf(op.requestBody.schema) : null;
        for (const [name, s] of Object.entries(schema?.properties ?? {})) {
          if (s.readOnly || s.deprecated || s.format === 'binary' || (s.type === 'object' && !s.properties))
            continue;
          expect(
            mine.some((e) => name in bodyOf(e)),
            `${file} ${op.operationId} body.${name}`,
          ).toBe(true);
        }
      }
    }
  });

  it('gives a batch operation two or more URLs, so one URL always means the single-URL operation', async () => {
    const { examples } = await load('firecrawl.json');
    const batch = examples.filter((e) => e.expected.path === '/batch/scrape' && e.expected.method === 'POST');
    expect(batch.length).toBeGreaterThan(10);
    for (const e of batch) expect((bodyOf(e)['urls'] as string[]).length, e.task).toBeGreaterThanOrEqual(2);
  });

  it('writes silence matchers as realistic label matchers, regex only with a regex value', async () => {
    const { examples } = await load('alertmanager.yaml');
    const silences = examples.filter((e) => e.expected.path === '/silences' && e.expected.method === 'POST');
    expect(silences.length).toBeGreaterThan(10);
    for (const e of silences) {
      const [m] = bodyOf(e)['matchers'] as { name: string; value: string; isRegex: boolean }[];
      expect(LABEL_NAMES).toContain(m!.name);
      expect(m!.isRegex, e.task).toBe(m!.value.endsWith('.*'));
      expect(e.task).toContain(m!.value);
    }
    expect(silences.some((e) => / alerts?\b/.test(e.task) && e.task.includes('alertname') === false)).toBe(
      true,
    );
  });

  it('says origin and destination as "from X" / "to X" in some trip searches', async () => {
    const { examples } = await load('train-travel.yaml');
    const trips = examples.filter((e) => e.expected.path === '/trips');
    const fromTo = trips.filter((e) => {
      const q = e.expected.query as Record<string, string>;
      return (
        new RegExp(`from (station )?${q['origin']}`).test(e.task) &&
        new RegExp(`to (station )?${q['destination']}`).test(e.task)
      );
    });
    expect(fromTo.length).toBeGreaterThan(trips.length / 10);
  });

  it('reads booleans off descriptions ("leave out the expired ones" → expired: false)', async () => {
    const { examples } = await load('alertmanager.yaml');
    const left = examples.filter((e) => /\b(leave out|hide|skip|not) the \w+ ones\b/.test(e.task));
    expect(left.length).toBeGreaterThan(0);
    let checked = 0;
    for (const e of left) {
      const word = /(?:leave out|hide|skip|not) the (\w+) ones/.exec(e.task)![1]!;
      if (!(word in e.expected.query)) continue; // the word carries a typo ("acctive")
      checked++;
      expect(e.expected.query[word], e.task).toBe('false');
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('gives trained adapters a short system line and the untrained prompt the operations', async () => {
    const { catalog } = await load('train-travel.yaml');
    expect(buildMessages('list stations', { catalog })[0]!.content).toBe(TRAINED_SYSTEM);
    expect(buildMessages('list stations', { catalog, includeOperations: true })[0]!.content).toContain(
      'GET /stations',
    );
  });
});
