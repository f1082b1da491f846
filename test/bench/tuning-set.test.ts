import { readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import {
  TUNING_DIR,
  checkTask,
  readSplit,
  readTuningTasks,
  sourceSections,
  specPath,
  type TuningTask,
} from '../../bench/tuning-set.js';
import { loadSpecFile, type Catalog } from '../../src/engine/index.js';

/** Spec names as the files under bench/tuning/specs name them. */
const specFiles = readdirSync(path.join(TUNING_DIR, 'specs'))
  .map((f) => f.replace(/\.(json|ya?ml)$/, ''))
  .sort();

describe('the tuning set', () => {
  const catalogs = new Map<string, Catalog>();
  beforeAll(async () => {
    for (const name of specFiles) catalogs.set(name, (await loadSpecFile(specPath(name))).catalog);
  });

  it('splits its specs into tune (8+) and frozen (4+), each spec in exactly one part', () => {
    const split = readSplit();
    expect(split.tune.length).toBeGreaterThanOrEqual(8);
    expect(split.frozen.length).toBeGreaterThanOrEqual(4);
    expect([...split.tune, ...split.frozen].sort()).toEqual(specFiles);
  });

  it('has a SOURCES.md section for every spec, with its licence and current task count', () => {
    const sections = sourceSections();
    const stale = specFiles.filter((name) => {
      const text = sections.get(name);
      return !text?.includes('- Licence: ') || !text.includes(`tasks: ${readTuningTasks(name).length} `);
    });
    expect(stale).toEqual([]);
  });

  it.each(specFiles)('%s: 25+ distinct tasks whose expected calls fit the spec', (name) => {
    const catalog = catalogs.get(name)!;
    const tasks = readTuningTasks(name);
    expect(tasks.length).toBeGreaterThanOrEqual(25);
    const seen = new Map<string, number>();
    const problems: string[] = [];
    for (const t of tasks) {
      const key = t.task.trim().replace(/\s+/g, ' ').toLowerCase();
      const first = seen.get(key);
      if (first !== undefined) problems.push(`line ${t.line}: duplicates line ${first}`);
      seen.set(key, t.line);
      for (const p of checkTask(t, catalog)) problems.push(`line ${t.line} (${t.task}): ${p}`);
    }
    expect(problems).toEqual([]);
  });

  describe('checkTask', () => {
    // Lines that must be rejected, checked against a real spec of the set.
    const line = (expected: Partial<TuningTask['expected']>, clarify: string[] = []): TuningTask => ({
      line: 1,
      task: 'a task',
      expected: {
        method: 'GET',
        path: '/api/v1/provinces/{provinceId}',
        operationId: 'Province',
        pathParams: { provinceId: 'ON' },
        query: {},
        body: null,
        ...expected,
      },
      clarify,
    });
    const check = (t: TuningTask): string[] => checkTask(t, catalogs.get('canada-holidays')!);

    it('accepts a conforming call and a clarify line missing exactly the declared value', () => {
      expect(check(line({}))).toEqual([]);
      expect(check(line({ pathParams: {} }, ['provinceId']))).toEqual([]);
    });

    it('rejects unknown parameters, values outside the schema and a wrong operationId', () => {
      expect(check(line({ query: { province: 'ON' } }))).toHaveLength(1);
      expect(check(line({ pathParams: { provinceId: 'Ontario' } }))).toHaveLength(1);
      expect(check(line({ operationId: 'Provinces' }))).toHaveLength(1);
      expect(check(line({ method: 'POST' }))).toEqual([
        'the spec has no operation POST /api/v1/provinces/{provinceId}',
      ]);
    });

    it('rejects a missing required value that is not declared, and a declared one that is given', () => {
      expect(check(line({ pathParams: {} }))).toHaveLength(1);
      expect(check(line({}, ['provinceId']))).toHaveLength(1);
      expect(check(line({ pathParams: {} }, ['year']))).toHaveLength(2);
    });

    it('names required body fields by their dotted path', () => {
      const query = (clarify: string[]): TuningTask => ({
        line: 1,
        task: 'a task',
        expected: {
          method: 'POST',
          path: '/query',
          operationId: 'Query',
          pathParams: {},
          query: {},
          body: { topK: 3, sparseVector: { indices: [1, 7] } },
        },
        clarify,
      });
      const pinecone = catalogs.get('pinecone')!;
      expect(checkTask(query(['sparseVector.values']), pinecone)).toEqual([]);
      expect(checkTask(query(['values']), pinecone)).toHaveLength(2);
    });
  });
});
