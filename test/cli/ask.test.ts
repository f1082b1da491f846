/**
 * `smolmap ask`, `history`, `eval` and `models` through main(): --json documents with the contract's fields,
 * human output, and usage errors (exit 2) — on the tiny random Llama (no trained adapter: untrained mode).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { releaseRuntimes } from '../../src/engine/index.js';
import { runInProcess } from './run-cli.js';
import { FIXTURES, fixtureSpec, TINY_MODEL_DIR } from '../fixtures/paths.js';

/** `main` in-process (run-cli.ts), with the short field names these assertions use. */
async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await runInProcess(args);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'smolmap-cli-ask-'));
const common = ['--data-dir', path.join(dir, 'data'), '--models-dir', path.join(dir, 'models')];
afterAll(async () => {
  await releaseRuntimes();
  rmSync(dir, { recursive: true, force: true });
});

describe('smolmap ask / history / eval / adapters', () => {
  it('ask --json prints the ApiCall plus confidence, model, specVersion, latencyMs; history shows it', async () => {
    expect((await run(['model', 'import', TINY_MODEL_DIR, '--name', 'tiny', ...common])).code).toBe(0);
    expect(
      (await run(['spec', 'add', fixtureSpec('train-travel.yaml'), '--name', 'tt', ...common])).code,
    ).toBe(0);
    const r = await run([
      'ask',
      '--spec',
      'tt',
      '--session',
      'web',
      'list all stations',
      '--json',
      ...common,
    ]);
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out) as Record<string, unknown>;
    for (const k of ['operationId', 'method', 'path', 'pathParams', 'query', 'headers', 'body', 'url'])
      expect(doc).toHaveProperty(k);
    expect(doc).toMatchObject({ model: 'tiny', specVersion: 1, untrained: true, valid: true });
    expect(typeof doc['confidence']).toBe('number');
    expect(typeof doc['latencyMs']).toBe('number');
    const human = await run(['ask', '--spec', 'tt', '--session', 'web', 'list all stations', ...common]);
    expect(human.out).toContain('untrained');
    expect(human.out).toContain('curl');
    const h = await run(['history', '--session', 'web', '--json', ...common]);
    expect((JSON.parse(h.out) as unknown[]).length).toBe(2);
    expect((await run(['history', ...common])).out).toContain('list all stations');
  }, 60_000);

  it('eval --json has the contract fields; adapters list is empty; usage errors exit 2', async () => {
    const tasks = path.join(dir, 'tasks.jsonl');
    const { readFileSync, writeFileSync } = await import('node:fs');
    const lines = readFileSync(path.join(FIXTURES, 'tasks', 'train-travel.jsonl'), 'utf8')
      .trim()
      .split('\n');
    writeFileSync(tasks, lines.slice(0, 3).join('\n'));
    const e = await run(['eval', '--spec', 'tt', '--tasks', tasks, '--json', ...common]);
    expect(e.code, e.err).toBe(0);
    const doc = JSON.parse(e.out) as Record<string, unknown>;
    expect(doc).toMatchObject({ n: 3, validRate: 1 });
    for (const k of ['endpointAccuracy', 'exactMatch', 'paramF1', 'latencyMs', 'perOperation'])
      expect(doc).toHaveProperty(k);
    const chart = String(doc['chart']);
    expect(chart.startsWith(path.join(dir, 'data', 'charts'))).toBe(true);
    const { default: sharp } = await import('sharp');
    expect((await sharp(chart).metadata()).format).toBe('png');
    expect((await run(['adapters', 'list', '--json', ...common])).out.trim()).toBe('[]');
    const noSpec = await run(['ask', 'x', ...common]);
    expect(noSpec.code).toBe(2);
    expect(noSpec.err).toMatch(/^usage_missing_option:/);
    expect((await run(['eval', '--spec', 'tt', ...common])).code).toBe(2);
    expect((await run(['ask', '--spec', 'tt', 'x', '--quant', 'q3', ...common])).code).toBe(2);
    const missing = await run(['adapters', 'show', 'nope', ...common]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^adapter_not_found:/);
    expect((await run(['adapters', 'rollback', 'tt', ...common])).err).toMatch(/^adapter_no_previous:/);
  }, 60_000);
});
