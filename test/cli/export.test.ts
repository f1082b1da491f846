/**
 * The `export` command in-process: usage errors (exit 2 codes), and gguf-lora's `--json` document and human
 * text (the file path and how to load it in llama.cpp).
 */
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { CommandContext } from '../../src/cli/command.js';
import { exportCommands } from '../../src/cli/export.js';
import type { Engine } from '../../src/engine/index.js';
import { engineWithTinyAdapter } from '../engine/infer/stored-adapter.js';

let dir: string;
let engine: Engine;

beforeAll(async () => {
  ({ dir, engine } = await engineWithTinyAdapter('smolmap-cli-export-', pino({ level: 'silent' })));
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
  progress: () => undefined,
};
const command = exportCommands.find((c) => c.name === 'export')!;

describe('smolmap export', () => {
  it('refuses a missing --format, an unknown --outtype, and --outtype on another format', async () => {
    await expect(command.run(ctx, ['tt-a'], {})).rejects.toMatchObject({ code: 'usage_missing_option' });
    await expect(
      command.run(ctx, ['tt-a'], { format: 'gguf-lora', outtype: 'q4_k', out: path.join(dir, 'a.gguf') }),
    ).rejects.toMatchObject({ code: 'usage_bad_option' });
    await expect(
      command.run(ctx, ['tt-a'], { format: 'onnx', outtype: 'f16', out: path.join(dir, 'o') }),
    ).rejects.toMatchObject({ code: 'usage_bad_option' });
    await expect(stat(path.join(dir, 'o'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('gguf-lora: the JSON document names the file; the text says how llama.cpp loads it', async () => {
    const out = path.join(dir, 'out', 'tt-a.gguf');
    const result = await command.run(ctx, ['tt-a'], { format: 'gguf-lora', outtype: 'f16', out });
    const json = JSON.parse(JSON.stringify(result)) as Record<string, unknown>;
    expect(json).toMatchObject({
      model: 'tt-a',
      format: 'gguf-lora',
      dir: path.dirname(out),
      files: ['tt-a.gguf'],
    });
    expect(json['bytes']).toBe((await stat(out)).size);
    const text = command.human(result);
    expect(text).toContain(`to ${out} (1 file, `);
    expect(text).toContain('--lora');
  });
});
