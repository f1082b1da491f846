/**
 * The `model` command group in-process (its `run` result is the `--json` document, `human` the text output):
 * the CLI contract's `model import` shape, list/show/rm, usage errors and the offline pull message.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command, CommandContext } from '../../src/cli/command.js';
import { modelCommands } from '../../src/cli/model.js';
import { openEngine, type Engine } from '../../src/engine/index.js';
import { writeTinyModel } from '../../src/engine/model/tiny.js';

let dir: string;
let hfDir: string;
let ggufFile: string;
let engine: Engine;
const progress: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'smolmap-cli-model-'));
  hfDir = await writeTinyModel(path.join(dir, 'hf'), { seed: 11, layout: 'hf' });
  ggufFile = await writeTinyModel(path.join(dir, 'gguf'), { seed: 11, layout: 'gguf', quant: 'q4_1' });
  engine = await openEngine({
    dataDir: path.join(dir, 'data'),
    modelsDir: path.join(dir, 'models'),
    logger: pino({ level: 'silent' }),
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ctx: CommandContext = {
  dataDir: '',
  modelsDir: '',
  json: true,
  tenant: 'local',
  engine: async () => engine,
  progress: (t) => progress.push(t),
};

function cmd(name: string): Command {
  const c = modelCommands.find((x) => x.name === `model ${name}`);
  if (!c) throw new Error(`no command model ${name}`);
  return c;
}

async function run(name: string, positionals: string[], values: Record<string, string | boolean> = {}) {
  const c = cmd(name);
  const result = await c.run(ctx, positionals, values);
  return { json: JSON.parse(JSON.stringify(result)) as Record<string, unknown>, text: c.human(result) };
}

describe('smolmap model', () => {
  it('import --json follows the CLI contract { name, source, config: {...} }', async () => {
    const { json, text } = await run('import', [ggufFile], { name: 'tiny-q4' });
    expect(json).toMatchObject({
      name: 'tiny-q4',
      source: ggufFile,
      format: 'gguf',
      config: {
        num_hidden_layers: 2,
        hidden_size: 64,
        num_attention_heads: 4,
        num_key_value_heads: 2,
        vocab_size: 512,
        rope_theta: 10000,
      },
    });
    expect(text).toMatch(/^Imported tiny-q4 from .*tiny-q4_1\.gguf/);
    expect(text).toContain('2 layers, hidden 64, 4 heads / 2 kv, vocab 512');
  });

  it('lists, shows and removes models', async () => {
    await run('import', [hfDir], { name: 'tiny-hf' });
    const list = await cmd('list').run(ctx, [], {});
    expect((list as { name: string }[]).map((r) => r.name)).toEqual(['tiny-q4', 'tiny-hf']);
    expect(cmd('list').human(list)).toContain('tiny-hf  hf  2x64  vocab 512');
    const { json } = await run('show', ['tiny-hf']);
    expect(json).toMatchObject({ name: 'tiny-hf', format: 'hf', adapters: [] });
    expect(json['parameters']).toBeGreaterThan(100_000);
    const removed = await run('rm', ['tiny-hf']);
    expect(removed.text).toMatch(/^Removed tiny-hf/);
    expect(cmd('list').human(await cmd('list').run(ctx, [], {}))).not.toContain('tiny-hf');
  });

  it('rejects wrong argument counts with usage errors and unknown names with model_not_found', async () => {
    await expect(cmd('import').run(ctx, [], {})).rejects.toMatchObject({ code: 'usage_bad_arguments' });
    await expect(cmd('show').run(ctx, ['a', 'b'], {})).rejects.toMatchObject({ code: 'usage_bad_arguments' });
    await expect(cmd('rm').run(ctx, ['missing'], {})).rejects.toMatchObject({ code: 'model_not_found' });
  });

  it('pull without a reachable Hub fails with hub_unreachable and points at model import', async () => {
    // A Hub mirror on a closed loopback port (allowed for this engine): the connection is refused at once.
    const saved = process.env['HF_ENDPOINT'];
    process.env['HF_ENDPOINT'] = 'http://127.0.0.1:1';
    const offline = { ...ctx, engine: async () => ({ ...engine, net: { allow: ['127.0.0.1'] } }) };
    try {
      const err = (await cmd('pull')
        .run(offline, [], {})
        .catch((e: unknown) => e)) as Error & { code: string; toLine(): string };
      expect(err.code).toBe('hub_unreachable');
      expect(err.toLine()).toMatch(
        /^hub_unreachable: cannot reach the Hugging Face Hub .*smolmap model import/,
      );
    } finally {
      if (saved === undefined) delete process.env['HF_ENDPOINT'];
      else process.env['HF_ENDPOINT'] = saved;
    }
  });
});
