import { describe, expect, it } from 'vitest';
import { validateCall } from '../../../src/engine/calls/validate.js';
import { generateDataset } from '../../../src/engine/data/generate.js';
import { loadSpecFile } from '../../../src/engine/specs/ingest.js';
import type { Catalog } from '../../../src/engine/specs/types.js';
import type { TaskExample } from '../../../src/engine/data/types.js';
import { FIXTURE_SPEC_FILES, fixtureSpec } from '../../fixtures/paths.js';

const specFiles = FIXTURE_SPEC_FILES;

const catalogs = new Map<string, Catalog>();
async function catalogOf(file: string): Promise<Catalog> {
  if (!catalogs.has(file)) catalogs.set(file, (await loadSpecFile(fixtureSpec(file))).catalog);
  return catalogs.get(file) as Catalog;
}

const opKey = (m: string, p: string): string => `${m} ${p}`;

const generated = new Map<string, ReturnType<typeof generateDataset>>();
async function datasetOf(file: string): Promise<ReturnType<typeof generateDataset>> {
  if (!generated.has(file)) generated.set(file, generateDataset(await catalogOf(file), { seed: 3 }));
  return generated.get(file)!;
}

describe.each(specFiles)('generateDataset on %s', (file) => {
  it('covers every expressible operation, and reports the ones it skips', async () => {
    const catalog = await catalogOf(file);
    const { examples, skipped } = await datasetOf(file);
    const covered = new Set(examples.map((e) => opKey(e.expected.method, e.expected.path)));
    const skippedKeys = new Set(skipped.map((s) => opKey(s.method, s.path)));
    for (const op of catalog.operations) {
      const key = opKey(op.method, op.path);
      expect(covered.has(key) || skippedKeys.has(key), key).toBe(true);
      if (!skippedKeys.has(key))
        expect(
          examples.filter((e) => opKey(e.expected.method, e.expected.path) === key).length,
        ).toBeGreaterThanOrEqual(10);
    }
    if (file.startsWith('deepl')) expect(skipped.map((s) => s.operationId)).toEqual(['translateDocument']);
    else expect(skipped).toEqual([]);
    expect(examples.length).toBeGreaterThanOrEqual(300);
  });

  it('produces only calls that validate against the spec, with every required parameter', async () => {
    const catalog = await catalogOf(file);
    const { examples } = await datasetOf(file);
    for (const e of examples) {
      const issues = validateCall({ ...e.expected, headers: {}, url: '' }, catalog);
      expect(issues, `${e.task} → ${JSON.stringify(e.expected)}`).toEqual([]);
      const op = catalog.operations.find(
        (o) => o.method === e.expected.method && o.path === e.expected.path,
      )!;
      for (const p of op.parameters.filter((x) => x.required && (x.in === 'path' || x.in === 'query')))
        expect(p.in === 'path' ? e.expected.pathParams : e.expected.query).toHaveProperty(p.name);
      if (op.requestBody?.required) expect(e.expected.body).not.toBeNull();
    }
  });

  it('states every path value and free query value verbatim in the task', async () => {
    const catalog = await catalogOf(file);
    const { examples } = await datasetOf(file);
    const text = (e: TaskExample): string => e.task;
    for (const e of examples) {
      for (const v of Object.values(e.expected.pathParams))
        expect(text(e), JSON.stringify(e.expected)).toContain(v);
      const op = catalog.operations.find(
        (o) => o.method === e.expected.method && o.path === e.expected.path,
      )!;
      for (const [name, v] of Object.entries(e.expected.query)) {
        const schema = op.parameters.find((p) => p.name === name)!.schema;
        const free = schema.type === 'string' && !schema.enum && !schema.format;
        if (free) for (const one of [v].flat()) expect(text(e)).toContain(one);
      }
    }
  });
});

/** Every enum/const value anywhere in a schema (those may be said in words rather than verbatim). */
function enumValues(s: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(s)) s.forEach((x) => enumValues(x, out));
  else if (s && typeof s === 'object') {
    const o = s as Record<string, unknown>;
    if (Array.isArray(o['enum'])) o['enum'].forEach((v) => out.add(String(v)));
    if (o['const'] !== undefined) out.add(String(o['const']));
    Object.values(o).forEach((v) => enumValues(v, out));
  }
  return out;
}

function stringLeaves(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => stringLeaves(x, out));
  else if (v && typeof v === 'object')
    Object.entries(v).forEach(([k, x]) => (out.push(`key:${k}`), stringLeaves(x, out)));
  return out;
}

describe.each(specFiles)('value copying on %s', (file) => {
  it('states every free string value of the body verbatim (dates and enum codes may be reworded)', async () => {
    const catalog = await catalogOf(file);
    const { examples } = await datasetOf(file);
    for (const e of examples) {
      const op = catalog.operations.find(
        (o) => o.method === e.expected.method && o.path === e.expected.path,
      )!;
      const enums = enumValues(op.requestBody?.schema ?? null);
      const props = JSON.stringify(op.requestBody?.schema ?? {});
      for (const leaf of stringLeaves(e.expected.body)) {
        if (leaf.startsWith('key:')) {
          // Map keys (labels/annotations) are values too; declared property names are not.
          const key = leaf.slice(4);
          if (!props.includes(`"${key}"`) && !/^\d+$/.test(key)) expect(e.task, key).toContain(key);
          continue;
        }
        if (enums.has(leaf) || /^\d{4}-\d{2}-\d{2}/.test(leaf)) continue;
        // "HighLatency alerts": the `alertname` label is implied by how people name alerts (data/matcher.ts).
        if (leaf === 'alertname' && /\b[A-Z][a-z]+[A-Z]\w* alerts?\b|\balert [A-Z]/.test(e.task)) continue;
        expect(e.task, JSON.stringify(e.expected.body)).toContain(leaf);
      }
    }
  });
});

describe('generateDataset properties', () => {
  it('is deterministic for a seed and changes with the seed', async () => {
    const catalog = await catalogOf('train-travel.yaml');
    const a = generateDataset(catalog, { seed: 11, count: 200 });
    const b = generateDataset(catalog, { seed: 11, count: 200 });
    const c = generateDataset(catalog, { seed: 12, count: 200 });
    expect(a).toEqual(b);
    expect(c.examples.map((e) => e.task)).not.toEqual(a.examples.map((e) => e.task));
  });

  it('de-duplicates tasks and splits by template family with training data for every operation', async () => {
    const catalog = await catalogOf('firecrawl.json');
    const { examples } = await datasetOf('firecrawl.json');
    const tasks = examples.map((e) => e.task.toLowerCase());
    expect(new Set(tasks).size).toBe(tasks.length);
    const val = examples.filter((e) => e.meta.split === 'validation');
    expect(val.length).toBeGreaterThan(0);
    const trainFamilies = new Set(examples.filter((e) => e.meta.split === 'train').map((e) => e.meta.family));
    // Validation measures unseen phrasings: its template families are not trained on (a few may move to train
    // to keep every operation covered).
    const leaked = val.filter((e) => trainFamilies.has(e.meta.family)).length;
    expect(leaked / val.length).toBeLessThan(0.1);
    const trained = new Set(
      examples.filter((e) => e.meta.split === 'train').map((e) => e.expected.path + e.expected.method),
    );
    for (const op of catalog.operations) expect(trained.has(op.path + op.method), op.operationId).toBe(true);
  });

  it('writes near-miss pairs that share ids across operations of one resource', async () => {
    const { examples } = await datasetOf('firecrawl.json');
    const contrast = examples.filter((e) => e.meta.contrastWith);
    expect(contrast.length).toBeGreaterThan(20);
    expect(new Set(contrast.map((e) => e.expected.operationId)).size).toBeGreaterThan(5);
  });

  it('states enum codes in words where the spec makes the mapping clear ("German" → DE)', async () => {
    const { examples } = await datasetOf('deepl.yaml');
    const names = new Intl.DisplayNames(['en'], { type: 'language' });
    const translate = examples.filter((e) => e.expected.operationId === 'translateText');
    const worded = translate.filter(
      (e) => !new RegExp(`\\b${(e.expected.body as { target_lang: string }).target_lang}\\b`).test(e.task),
    );
    expect(worded.length).toBeGreaterThan(translate.length / 5);
    for (const e of worded) {
      const name = names.of((e.expected.body as { target_lang: string }).target_lang)!;
      expect(e.task, JSON.stringify(e.expected.body)).toMatch(
        new RegExp(name.split(' ').at(-1)!.slice(0, 5)),
      );
    }
  });

  it('skips and reports an operation whose required body field is a binary upload', () => {
    const catalog: Catalog = {
      title: 't',
      apiVersion: '1',
      sourceFormat: '3.1.0',
      servers: [],
      securitySchemes: {},
      operations: [
        {
          operationId: 'uploadFile',
          operationIdDerived: false,
          method: 'POST',
          path: '/files',
          tags: [],
          parameters: [],
          deprecated: false,
          security: [],
          requestBody: {
            required: true,
            contentType: 'multipart/form-data',
            contentTypes: ['multipart/form-data'],
            schema: {
              type: 'object',
              required: ['file'],
              properties: { file: { type: 'string', format: 'binary' } },
            },
          },
        },
        {
          operationId: 'listFiles',
          operationIdDerived: false,
          method: 'GET',
          path: '/files',
          tags: [],
          parameters: [
            {
              name: 'limit',
              in: 'query',
              required: false,
              schema: { type: 'integer', minimum: 1, maximum: 50 },
            },
          ],
          deprecated: false,
          security: [],
          requestBody: null,
        },
      ],
    };
    const { examples, skipped } = generateDataset(catalog, { seed: 1, count: 50 });
    expect(skipped).toHaveLength(1);
    expect(skipped[0]!.operationId).toBe('uploadFile');
    expect(skipped[0]!.reason).toMatch(/binary/);
    expect(examples.length).toBeGreaterThan(20);
    for (const e of examples) {
      expect(e.expected.operationId).toBe('listFiles');
      const limit = e.expected.query['limit'];
      if (limit !== undefined) expect(Number(limit)).toBeGreaterThanOrEqual(1);
      if (limit !== undefined) expect(Number(limit)).toBeLessThanOrEqual(50);
    }
  });
});
