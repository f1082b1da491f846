/**
 * The `generate` facade on the tiny reference Llama registered as a base model: chat template vs raw prompts,
 * streamed deltas that add up to the text, adapters by folder, coded errors for unknown models and options.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  generate,
  importModel,
  openEngine,
  releaseRuntimes,
  type Engine,
} from '../../../src/engine/index.js';
import { REF } from '../model/tiny-ref.js';

let dir: string;
let engine: Engine;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'smolmap-generate-'));
  engine = await openEngine({ dataDir: path.join(dir, 'data'), modelsDir: path.join(dir, 'models') });
  await importModel(engine, `${REF}/model`, { name: 'tiny' });
});
afterAll(async () => {
  await releaseRuntimes();
  await rm(dir, { recursive: true, force: true });
});

describe('generate (facade)', () => {
  it('applies the chat template unless raw, and streams the text', async () => {
    const deltas: string[] = [];
    const chat = await generate(engine, {
      model: 'tiny',
      prompt: 'What is the capital of France?',
      maxTokens: 6,
      onText: (d) => deltas.push(d),
    });
    const raw = await generate(engine, {
      model: 'tiny',
      prompt: 'What is the capital of France?',
      raw: true,
      maxTokens: 6,
    });
    expect(chat.promptTokens).toBeGreaterThan(raw.promptTokens + 5); // <|im_start|>system ... wrapping
    expect(chat.tokens).toBe(chat.tokenIds.length);
    expect(chat.tokens).toBeGreaterThan(0);
    expect(deltas.join('')).toBe(chat.text);
    expect(chat.tokensPerSecond).toBeGreaterThanOrEqual(0);
    expect(chat.quant).toBe('f32');
  });

  it('an adapter folder changes the greedy output; the same adapter twice gives the same output', async () => {
    const opts = { model: 'tiny', prompt: 'Hello there', raw: true, maxTokens: 8 };
    const base = await generate(engine, opts);
    const a1 = await generate(engine, { ...opts, adapter: `${REF}/adapter` });
    const a2 = await generate(engine, { ...opts, adapter: `${REF}/adapter` });
    expect(a1.tokenIds).toEqual(a2.tokenIds);
    expect(a1.tokenIds).not.toEqual(base.tokenIds);
  });

  it("uses the engine's weight mode where the request names none, and the request's where it does", async () => {
    const i8 = await openEngine({ dataDir: engine.dataDir, modelsDir: engine.modelsDir, quant: 'i8' });
    const opts = { model: 'tiny', prompt: 'Hello there', raw: true, maxTokens: 4 };
    expect(engine.quant).toBe('f32');
    expect((await generate(i8, opts)).quant).toBe('i8');
    expect((await generate(i8, { ...opts, quant: 'f32' })).quant).toBe('f32');
  });

  it('fails with coded errors for unknown models, adapters and quantisations', async () => {
    await expect(generate(engine, { model: 'nope', prompt: 'x' })).rejects.toMatchObject({
      code: 'model_not_found',
    });
    await expect(
      generate(engine, { model: 'tiny', prompt: 'x', adapter: 'missing-adapter' }),
    ).rejects.toMatchObject({
      code: 'adapter_not_found',
    });
    await expect(generate(engine, { model: 'tiny', prompt: 'x', quant: 'q3' as 'q4' })).rejects.toMatchObject(
      {
        code: 'usage_bad_option',
      },
    );
  });
});
