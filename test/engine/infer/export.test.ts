/**
 * export: PEFT copies the adapter folder; ONNX merges it into the tiny base and writes a folder that
 * Transformers.js (local files only) loads and whose greedy continuation equals ours (adapter as session inputs).
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';

import { AutoModelForCausalLM, Tensor, env } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { exportAdapter } from '../../../src/engine/infer/export.js';
import { baseRuntime, decode, loadAdapter, releaseRuntimes, type Engine } from '../../../src/engine/index.js';
import { engineWithTinyAdapter } from './stored-adapter.js';

let dir: string;
let engine: Engine;

beforeAll(async () => {
  ({ dir, engine } = await engineWithTinyAdapter('smolmap-export-'));
});
afterAll(async () => {
  await releaseRuntimes();
  await rm(dir, { recursive: true, force: true });
});

describe('export', () => {
  it('peft: the adapter folder, loadable as an adapter', async () => {
    const r = await exportAdapter(engine, { model: 'tt-a', format: 'peft', out: path.join(dir, 'peft') });
    expect(r.files).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    expect((await loadAdapter(r.dir)).config.r).toBe(4);
    await expect(
      exportAdapter(engine, { model: 'tt-a', format: 'peft', out: path.join(dir, 'peft') }),
    ).rejects.toMatchObject({ code: 'export_out_exists' });
    await expect(
      exportAdapter(engine, { model: 'tt-a', format: 'gguf' as 'onnx', out: path.join(dir, 'x') }),
    ).rejects.toMatchObject({ code: 'usage_bad_option' });
  });

  it('onnx: Transformers.js loads the merged folder and its greedy output equals ours', async () => {
    const out = path.join(dir, 'exported', 'tt-a-onnx');
    const r = await exportAdapter(engine, { model: 'tt-a', format: 'onnx', out });
    for (const f of [
      'onnx/model.onnx',
      'config.json',
      'generation_config.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ])
      expect(r.files).toContain(f);
    expect(await readdir(path.join(out, 'onnx'))).toEqual(['model.onnx']);

    const rt = await baseRuntime(engine, 'tiny');
    const adapter = await loadAdapter(path.join(dir, 'models', 'adapters', 'tt-a'));
    const prompt = rt.tokenizer.encode('Hello there, how are');
    const ours = await decode(rt, prompt, { adapter, maxTokens: 12, stopTokens: [] });

    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = path.join(dir, 'exported') + path.sep;
    const model = await AutoModelForCausalLM.from_pretrained('tt-a-onnx', { dtype: 'fp32', device: 'cpu' });
    try {
      const ids = new Tensor('int64', BigInt64Array.from(prompt.map(BigInt)), [1, prompt.length]);
      const gen = (await model.generate({
        input_ids: ids,
        max_new_tokens: 12,
        min_new_tokens: 12,
        do_sample: false,
      })) as Tensor;
      const theirs = Array.from(gen.data as BigInt64Array, Number).slice(prompt.length);
      expect(theirs).toEqual(ours.tokens.map((t) => t.id));
      const base = await decode(rt, prompt, { maxTokens: 12, stopTokens: [] });
      expect(theirs).not.toEqual(base.tokens.map((t) => t.id)); // the merge is not a no-op
    } finally {
      await model.dispose();
    }
  }, 120_000);
});
