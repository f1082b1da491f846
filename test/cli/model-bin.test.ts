/**
 * The `smolmap model` CLI: stdout holds exactly one JSON document with `--json`, failures print one coded line
 * on stderr and exit 1 (usage: 2). An import and a failure run the real CLI (`node bin/smolmap.js`, built to
 * dist/ by `npm test`'s pretest); the listing and the usage error call the same `main` in-process.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ROOT, runInProcess, spawnCli, type Run } from './run-cli.js';
import { writeTinyModel } from '../../src/engine/model/tiny.js';

let dir: string;
let gguf: string;

const dirs = (): string[] => ['--data-dir', path.join(dir, 'data'), '--models-dir', path.join(dir, 'models')];

const smolmap = (args: string[]): Promise<Run> => spawnCli([...args, ...dirs()]);

const inProcess = (args: string[]): Promise<Run> => runInProcess([...args, ...dirs()]);

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist', 'cli.js')))
    throw new Error('dist/cli.js is missing: run `npm run build` (npm test does it in pretest)');
  dir = await mkdtemp(path.join(os.tmpdir(), 'smolmap-cli-model-bin-'));
  gguf = await writeTinyModel(path.join(dir, 'src'), { seed: 5, layout: 'gguf', quant: 'q8_0' });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('smolmap model (CLI)', () => {
  it('imports a GGUF with --json and lists it', async () => {
    const r = await smolmap(['model', 'import', gguf, '--name', 'tiny', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      name: 'tiny',
      source: gguf,
      config: {
        num_hidden_layers: 2,
        hidden_size: 64,
        num_attention_heads: 4,
        num_key_value_heads: 2,
        vocab_size: 512,
      },
    });
    const list = await inProcess(['model', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toMatchObject([{ name: 'tiny', format: 'gguf' }]);
  });

  it('prints one coded line on failure: exit 1 for model_not_found, 2 for usage errors', async () => {
    const missing = await smolmap(['model', 'show', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/^model_not_found: no base model named nope/);
    const usage = await inProcess(['model', 'import']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^usage_bad_arguments: /);
  });
});
