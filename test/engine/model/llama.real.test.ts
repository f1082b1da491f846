/**
 * Opt-in (SMOLMAP_REAL_MODEL = path of SmolLM2-135M-Instruct.Q4_1.gguf): the inference graph of the real model
 * against test/fixtures/reference/smollm2-135m-instruct-q4_1.json. A correct f32 forward of the dequantised
 * weights reproduces the top-5 ids exactly and the logits within ~1e-3 (bound here: 2e-3), and greedy KV-cache
 * decoding of the chat prompt gives "The capital of France is Paris.<|im_end|>" token for token.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { serialize } from '../../../src/engine/model/graph/serialize.js';
import { inferenceGraph } from '../../../src/engine/model/llama.js';
import type { LlamaConfig } from '../../../src/engine/model/types.js';
import { loadWeights } from '../../../src/engine/model/weights/load.js';
import { decode } from '../../../src/engine/infer/decode.js';
import { KvCache } from '../../../src/engine/infer/kv.js';
import { createSession, f32, i64, type HostTensor, type Session } from '../../../src/engine/infer/ort.js';
import { loadRuntime, releaseRuntime, releaseRuntimes } from '../../../src/engine/infer/runtime.js';
import { referenceWalk, scoreMode } from '../../../src/engine/infer/selfcheck.js';
import { checkedRuntime } from '../../../src/engine/infer/weight-mode.js';
import { REFERENCE_DIR } from '../../fixtures/paths.js';

const GGUF = process.env.SMOLMAP_REAL_MODEL;
if (!GGUF)
  console.warn('llama.real.test: skipped; set SMOLMAP_REAL_MODEL to the SmolLM2-135M-Instruct GGUF path');

interface RealOracle {
  logits: { prompt: string; ids: number[]; top5: { ids: number[]; logits: number[] } }[];
  greedyChat: { promptIds: number[]; greedyIds: number[] };
}

describe.skipIf(!GGUF)('SmolLM2-135M-Instruct inference graph (real GGUF)', () => {
  const ref = JSON.parse(
    readFileSync(path.join(REFERENCE_DIR, 'smollm2-135m-instruct-q4_1.json'), 'utf8'),
  ) as RealOracle;
  let cfg: LlamaConfig;
  let session: Session;

  function step(
    ids: number[],
    past: Record<string, HostTensor> | null,
    pastLen: number,
  ): Record<string, HostTensor> {
    const feeds: Record<string, HostTensor> = {
      input_ids: i64(ids, [1, ids.length]),
      position_ids: i64(
        ids.map((_, i) => pastLen + i),
        [1, ids.length],
      ),
      attention_mask: i64(new Array<number>(pastLen + ids.length).fill(1), [1, pastLen + ids.length]),
    };
    for (let l = 0; l < cfg.num_hidden_layers; l++) {
      for (const kv of ['key', 'value']) {
        feeds[`past_key_values.${l}.${kv}`] =
          past?.[`present.${l}.${kv}`] ??
          f32(new Float32Array(0), [1, cfg.num_key_value_heads, 0, cfg.head_dim]);
      }
    }
    return feeds;
  }

  beforeAll(async () => {
    const t0 = performance.now();
    const loaded = await loadWeights(GGUF!);
    cfg = loaded.config;
    const t1 = performance.now();
    const { model } = serialize(inferenceGraph(cfg, loaded.weights));
    const t2 = performance.now();
    session = await createSession(model, { threads: 2 });
    const t3 = performance.now();
    console.log(
      `real model: load ${(t1 - t0).toFixed(0)} ms, build+serialise ${(t2 - t1).toFixed(0)} ms (${(model.byteLength / 2 ** 20).toFixed(0)} MiB), session ${(t3 - t2).toFixed(0)} ms`,
    );
  }, 180_000);

  it('last-position logits match transformers (top-5 ids exact, values within 2e-3)', async () => {
    for (const want of ref.logits) {
      const out = await session.run(step(want.ids, null, 0), ['logits']);
      const last = out.logits!.data as Float32Array;
      const top5 = [...last.keys()].sort((a, b) => last[b]! - last[a]!).slice(0, 5);
      expect(top5).toEqual(want.top5.ids);
      want.top5.ids.forEach((id, i) => expect(Math.abs(last[id]! - want.top5.logits[i]!)).toBeLessThan(2e-3));
    }
  });

  it('greedy KV-cache decoding answers "The capital of France is Paris."', async () => {
    const prompt = ref.greedyChat.promptIds;
    const t0 = performance.now();
    let out = await session.run(step(prompt, null, 0));
    const t1 = performance.now();
    const got: number[] = [];
    let len = prompt.length;
    while (got.length < ref.greedyChat.greedyIds.length) {
      const logits = out.logits!.data as Float32Array;
      const next = logits.reduce((best, v, i) => (v > logits[best]! ? i : best), 0);
      got.push(next);
      out = await session.run(step([next], out, len));
      len++;
    }
    const t2 = performance.now();
    console.log(
      `real model: prefill ${prompt.length} tokens ${(t1 - t0).toFixed(0)} ms (${((prompt.length * 1000) / (t1 - t0)).toFixed(0)} tok/s), decode ${((got.length * 1000) / (t2 - t1)).toFixed(1)} tok/s (f32, 2 threads, no sampling overhead)`,
    );
    expect(got).toEqual(ref.greedyChat.greedyIds);
  }, 60_000);
});

/**
 * The runtime's fast graph (llama-fast.ts) on the real model: in f32 it gives the oracle's logits and greedy
 * answer like the standard graph. A quantised mode's numerics depend on the CPU's kernels, so each is first put
 * through the product's self-check: a mode that passes on this machine must keep the top-1 of every oracle
 * prompt and the chat answer of f32 (q4: the file's Q4_1/Q8_0 blocks, int8 activations; i8: SmoothQuant int8,
 * every run in int8); a mode that fails must be refused by the engine, never used.
 */
describe.skipIf(!GGUF)('SmolLM2-135M-Instruct runtime, fast graph (real GGUF)', () => {
  const ref = JSON.parse(
    readFileSync(path.join(REFERENCE_DIR, 'smollm2-135m-instruct-q4_1.json'), 'utf8'),
  ) as RealOracle;

  afterAll(releaseRuntimes);

  /** Whether the self-check passes `quant` on this CPU; when it does not, the engine's gate must refuse it. */
  async function offeredHere(quant: 'q4' | 'i8'): Promise<boolean> {
    const ref = await referenceWalk(await loadRuntime(GGUF!));
    const score = await scoreMode(await loadRuntime(GGUF!, { quant }), ref);
    if (score.passed) return true;
    console.log(
      `real model: ${quant} fails its self-check on this CPU (${score.reason}); checking the refusal`,
    );
    const dir = await mkdtemp(path.join(os.tmpdir(), 'smolmap-real-selfcheck-'));
    const source = {
      modelsDir: dir,
      source: GGUF!,
      load: (q: typeof quant | 'f32' | 'q8') => loadRuntime(GGUF!, { quant: q }),
      drop: (q: typeof quant | 'f32' | 'q8') => releaseRuntime(GGUF!, { quant: q }),
    };
    await expect(checkedRuntime(source, quant)).rejects.toMatchObject({ code: 'weight_mode_refused' });
    await rm(dir, { recursive: true, force: true });
    return false;
  }

  for (const quant of ['f32', 'q4', 'i8'] as const) {
    it(`${quant}: oracle top-1 (f32: top-5 within 2e-3) and the greedy chat answer, or refused`, async () => {
      if (quant !== 'f32' && !(await offeredHere(quant))) return;
      // i8 with f32From 0: every run in int8 (the default would read these prompts in f32)
      const rt = await loadRuntime(GGUF!, quant === 'i8' ? { quant, f32From: 0 } : { quant });
      for (const want of ref.logits) {
        const [last] = await new KvCache(rt, 1, rt.loraFeeds(null)).step([want.ids]);
        const top5 = [...last!.keys()].sort((a, b) => last![b]! - last![a]!).slice(0, 5);
        if (quant === 'f32') {
          expect(top5).toEqual(want.top5.ids);
          want.top5.ids.forEach((id, i) =>
            expect(Math.abs(last![id]! - want.top5.logits[i]!)).toBeLessThan(2e-3),
          );
        } else expect(top5[0]).toBe(want.top5.ids[0]);
      }
      const r = await decode(rt, ref.greedyChat.promptIds, { maxTokens: ref.greedyChat.greedyIds.length });
      const text = rt.tokenizer.decode(
        r.tokens.map((t) => t.id),
        { skipSpecialTokens: true },
      );
      expect(text).toContain('Paris');
      if (quant === 'f32')
        expect(r.tokens.map((t) => t.id)).toEqual(ref.greedyChat.greedyIds.slice(0, r.tokens.length));
    }, 180_000);
  }
});
