import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { combineExamples, parseTaskFile, toTaskLine } from '../../../src/engine/data/taskfile.js';
import { SmolmapError } from '../../../src/engine/errors.js';
import { loadSpecFile } from '../../../src/engine/specs/ingest.js';
import {
  FIXTURE_SPEC_FILES,
  FIXTURES,
  fixtureSpec,
  HELD_OUT_DIR,
  HELD_OUT_SKIP,
} from '../../fixtures/paths.js';

if (!HELD_OUT_DIR) console.log(`taskfile.test: held-out task files skipped; ${HELD_OUT_SKIP}`);

const catalog = (await loadSpecFile(fixtureSpec('train-travel.yaml'))).catalog;

/** Every `<spec>.jsonl` of a tasks folder parses against its spec, line for line. */
async function expectTaskFilesRead(dir: string, specOf: (file: string) => string): Promise<void> {
  const files = readdirSync(path.join(dir, 'tasks')).filter((f) => f.endsWith('.jsonl'));
  expect(files.length).toBeGreaterThan(0);
  for (const f of files) {
    const specFile = FIXTURE_SPEC_FILES.find((s) => s.startsWith(f.replace('.jsonl', '.')))!;
    const cat = (await loadSpecFile(specOf(specFile))).catalog;
    const text = readFileSync(path.join(dir, 'tasks', f), 'utf8');
    expect(parseTaskFile(text, cat).length).toBe(text.trim().split('\n').length);
  }
}

const good = {
  task: 'cancel booking 1b4e28ba-2fa1-41d2-883f-0016d3cca427',
  expected: {
    method: 'DELETE',
    path: '/bookings/{bookingId}',
    operationId: 'delete-booking',
    pathParams: { bookingId: '1b4e28ba-2fa1-41d2-883f-0016d3cca427' },
    query: {},
    body: null,
  },
};
const line = (o: unknown): string => JSON.stringify(o);

function errorOf(text: string): SmolmapError {
  try {
    parseTaskFile(text, catalog);
  } catch (e) {
    if (e instanceof SmolmapError) return e;
    throw e;
  }
  throw new Error('expected parseTaskFile to throw');
}

describe('parseTaskFile', () => {
  it('parses valid lines, skipping blank ones', () => {
    const out = parseTaskFile(`${line(good)}\n\n${line({ ...good, task: 'drop it' })}\n`, catalog);
    expect(out).toHaveLength(2);
    expect(out[0]!.expected.pathParams['bookingId']).toBe('1b4e28ba-2fa1-41d2-883f-0016d3cca427');
    expect(out[0]!.meta.source).toBe('user');
    expect(JSON.parse(toTaskLine(out[0]!))).toEqual(good);
  });

  it('reads every fixture task file against its spec', async () => {
    await expectTaskFilesRead(FIXTURES, fixtureSpec);
  });

  it.skipIf(!HELD_OUT_DIR)('reads every held-out task file against its spec', async () => {
    await expectTaskFilesRead(HELD_OUT_DIR!, (f) => path.join(HELD_OUT_DIR!, 'specs', f));
  });

  it.each([
    ['malformed JSON', `${line(good)}\n{"task": "x", `, 'taskfile_bad_json', 2],
    [
      'missing task',
      `${line(good)}\n${line(good)}\n${line({ expected: good.expected })}`,
      'taskfile_missing_field',
      3,
    ],
    ['missing expected', line({ task: 'hello' }), 'taskfile_missing_field', 1],
    [
      'unknown operation',
      line({ ...good, expected: { ...good.expected, path: '/tickets/{id}' } }),
      'taskfile_unknown_operation',
      1,
    ],
    [
      'wrong parameter name',
      `${line(good)}\n${line({ ...good, expected: { ...good.expected, method: 'GET', path: '/bookings', operationId: 'get-bookings', pathParams: {}, query: { size: '5' } } })}`,
      'taskfile_unknown_parameter',
      2,
    ],
    [
      'value outside its schema',
      line({ ...good, expected: { ...good.expected, pathParams: { bookingId: 'not-a-uuid' } } }),
      'taskfile_invalid_call',
      1,
    ],
    ['empty file', '\n  \n', 'taskfile_empty', 1],
  ])('rejects %s with a line-numbered coded error', (_name, text, code, lineNo) => {
    const e = errorOf(text);
    expect(e.code).toBe(code);
    expect(e.details['line']).toBe(lineNo);
    if (code !== 'taskfile_empty') expect(e.message).toMatch(new RegExp(`^line ${lineNo}: `));
  });
});

describe('combineExamples', () => {
  it('replaces or mixes, dropping synthetic duplicates of user tasks', () => {
    const user = parseTaskFile(line(good), catalog);
    const synthetic = [
      {
        ...user[0]!,
        task: good.task.toUpperCase(),
        meta: { ...user[0]!.meta, source: 'synthetic' as const },
      },
      { ...user[0]!, task: 'other' },
    ];
    expect(combineExamples(user, synthetic, 'replace')).toEqual(user);
    expect(combineExamples(user, synthetic, 'mix').map((e) => e.task)).toEqual([good.task, 'other']);
  });
});
