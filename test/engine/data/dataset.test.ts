import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  addSpec,
  generateData,
  importDataset,
  loadDataset,
  openEngine,
  showDataset,
  SmolmapError,
} from '../../../src/engine/index.js';
import { fixtureSpec } from '../../fixtures/paths.js';

const SPEC = fixtureSpec('train-travel.yaml');

async function engineWithSpec() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'smolmap-data-'));
  const engine = await openEngine({ dataDir: dir, modelsDir: path.join(dir, 'models') });
  await addSpec(engine, SPEC, { name: 'travel' });
  return { engine, dir };
}

describe('dataset facade', () => {
  it('generates, stores, writes an eval-format task file and shows stats', async () => {
    const { engine, dir } = await engineWithSpec();
    const out = path.join(dir, 'out', 'travel.jsonl');
    const r = await generateData(engine, { spec: 'travel', count: 80, seed: 3, out });
    expect(r).toMatchObject({ examples: 80, operationsCovered: 7, path: out, kind: 'synthetic' });
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(80);
    expect(Object.keys(JSON.parse(lines[0]!))).toEqual(['task', 'expected']);
    const again = await generateData(engine, { spec: 'travel', count: 80, seed: 3 });
    expect(again.dataset).toBe(r.dataset);
    const shown = await showDataset(engine, r.dataset);
    expect(shown.report.examples).toBe(80);
    expect(shown.report.samples).toHaveLength(10);
    expect(shown.report.perOperation.every((o) => o.examples > 0)).toBe(true);
    // The generator's own check is reported with the dataset: how many drafts it rejected, by defect.
    expect(shown.rejected).toMatchObject({ total: expect.any(Number), reasons: expect.any(Array) });
    const loaded = await loadDataset(engine, r.dataset);
    expect(loaded.examples[0]!.meta.split).toMatch(/train|validation/);
  });

  it('imports a user task file (replace and mix) and rejects bad ones with the line number', async () => {
    const { engine, dir } = await engineWithSpec();
    const file = path.join(dir, 'mine.jsonl');
    const line = {
      task: 'drop reservation 0f8fad5b-d9cb-469f-a165-70867728950e',
      expected: {
        method: 'DELETE',
        path: '/bookings/{bookingId}',
        pathParams: { bookingId: '0f8fad5b-d9cb-469f-a165-70867728950e' },
        query: {},
        body: null,
      },
    };
    writeFileSync(file, JSON.stringify(line) + '\n');
    const replaced = await importDataset(engine, file, { spec: 'travel', mode: 'replace' });
    expect(replaced).toMatchObject({ examples: 1, kind: 'imported', operationsCovered: 1 });
    const mixed = await importDataset(engine, file, { spec: 'travel', mode: 'mix', count: 50 });
    expect(mixed.examples).toBe(51);
    expect(mixed.kind).toBe('mixed');
    writeFileSync(file, JSON.stringify(line) + '\n{oops\n');
    const err = await importDataset(engine, file, { spec: 'travel' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SmolmapError);
    expect((err as SmolmapError).code).toBe('taskfile_bad_json');
    expect((err as SmolmapError).message).toMatch(/^line 2:/);
  });

  it('names unknown specs and datasets with coded errors', async () => {
    const { engine } = await engineWithSpec();
    await expect(generateData(engine, { spec: 'nope' })).rejects.toMatchObject({ code: 'spec_unknown' });
    await expect(showDataset(engine, 'missing')).rejects.toMatchObject({ code: 'dataset_unknown' });
    await expect(generateData(engine, { spec: 'travel', count: 0 })).rejects.toMatchObject({
      code: 'data_bad_count',
    });
  });
});
