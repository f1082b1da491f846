import { describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli.js';
import { fixtureSpec } from '../fixtures/paths.js';

/** Runs the CLI in-process, capturing stdout/stderr. */
async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    const code = await main(args);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('smolmap data', () => {
  it('generate --json prints { dataset, examples, operationsCovered, path } and show/import work', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'smolmap-cli-data-'));
    const common = ['--data-dir', dir, '--models-dir', path.join(dir, 'models')];
    expect(
      (await run(['spec', 'add', fixtureSpec('train-travel.yaml'), '--name', 'tt', ...common])).code,
    ).toBe(0);
    const out = path.join(dir, 'tasks.jsonl');
    const gen = await run([
      'data',
      'generate',
      '--spec',
      'tt',
      '--count',
      '40',
      '--seed',
      '2',
      '--out',
      out,
      '--json',
      ...common,
    ]);
    expect(gen.code).toBe(0);
    const doc = JSON.parse(gen.out) as {
      dataset: string;
      examples: number;
      operationsCovered: number;
      path: string;
    };
    expect(doc).toMatchObject({ examples: 40, operationsCovered: 7, path: out });
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(40);
    const show = await run(['data', 'show', doc.dataset, ...common]);
    expect(show.code).toBe(0);
    expect(show.out).toMatch(/Examples per operation/);
    const imp = await run(['data', 'import', out, '--spec', 'tt', '--json', ...common]);
    expect(imp.code).toBe(0);
    expect(JSON.parse(imp.out)).toMatchObject({ examples: 40, kind: 'imported' });
  });

  it('reports usage errors with exit 2 and the code on stderr', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'smolmap-cli-data-'));
    const noSpec = await run(['data', 'generate', '--data-dir', dir]);
    expect(noSpec.code).toBe(2);
    expect(noSpec.err).toMatch(/^usage_missing_option: /);
    const badCount = await run(['data', 'generate', '--spec', 'x', '--count', 'many', '--data-dir', dir]);
    expect(badCount.code).toBe(2);
    expect(badCount.err).toMatch(/^usage_bad_option: /);
    const unknown = await run(['data', 'show', 'nope', '--data-dir', dir]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/^dataset_unknown: /);
  });
});
