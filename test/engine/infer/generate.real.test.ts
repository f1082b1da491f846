/**
 * Opt-in (SMOLMAP_REAL_MODEL = path of SmolLM2-135M-Instruct.Q4_1.gguf): the runtime and decode loop on the real
 * model in f32. The chat prompt's ids and 24 greedy tokens must equal test/fixtures/reference/
 * smollm2-135m-instruct-q4_1.json exactly; five factual chat prompts must contain their answer word (chosen among questions 135M knows: it names Neptune as the largest planet and "Il Coriobella" as Italy's capital); the
 * perplexity of a fixed English paragraph is printed and must stay under 30 (a model that lost its weights or
 * positions scores in the hundreds or thousands; this paragraph scored 25.1).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { decode } from '../../../src/engine/infer/decode.js';
import { promptIds } from '../../../src/engine/infer/generate.js';
import { loadRuntime, releaseRuntimes, type BaseRuntime } from '../../../src/engine/infer/runtime.js';
import { perplexity, tokenLogProbs } from '../../../src/engine/infer/score.js';
import { REFERENCE_DIR } from '../../fixtures/paths.js';

const GGUF = process.env.SMOLMAP_REAL_MODEL;
if (!GGUF)
  console.warn('generate.real.test: skipped; set SMOLMAP_REAL_MODEL to the SmolLM2-135M-Instruct GGUF path');

export const PARAGRAPH =
  'The river runs through the middle of the old town, and most of the houses were built along its banks. ' +
  'In the summer, families walk by the water in the evening, and children play on the small bridges.';

const FACTS: [string, RegExp][] = [
  ['What is the capital of France?', /Paris/],
  ['What is the capital of Germany?', /Berlin/],
  ['What color is the sky on a clear day?', /blue/i],
  ['How many days are there in a week?', /seven|7/i],
  ['What is the opposite of hot?', /cold/i],
];

describe.skipIf(!GGUF)('SmolLM2-135M-Instruct generation (real GGUF, f32)', () => {
  const ref = JSON.parse(
    readFileSync(path.join(REFERENCE_DIR, 'smollm2-135m-instruct-q4_1.json'), 'utf8'),
  ) as {
    greedyChat: { promptIds: number[]; greedyIds: number[] };
  };
  let rt: BaseRuntime;
  beforeAll(async () => {
    rt = await loadRuntime(GGUF!, { quant: 'f32' });
    console.log(`real model runtime loaded in ${rt.loadSeconds.toFixed(1)} s`);
  }, 180_000);
  afterAll(() => releaseRuntimes());

  it('chat prompt ids and 24 greedy tokens equal the oracle', async () => {
    expect(promptIds(rt.tokenizer, 'What is the capital of France?')).toEqual(ref.greedyChat.promptIds);
    const res = await decode(rt, ref.greedyChat.promptIds, {
      maxTokens: ref.greedyChat.greedyIds.length,
      stopTokens: [],
    });
    expect(res.tokens.map((t) => t.id)).toEqual(ref.greedyChat.greedyIds);
    console.log(
      `real f32: prefill ${res.timings.prefillTokensPerSecond.toFixed(0)} tok/s, decode ${res.timings.decodeTokensPerSecond.toFixed(1)} tok/s (machine load affects these)`,
    );
  }, 120_000);

  it('greedy answers to five factual questions contain the expected word', async () => {
    for (const [q, want] of FACTS) {
      const res = await decode(rt, promptIds(rt.tokenizer, q), { maxTokens: 20 });
      const text = rt.tokenizer.decode(
        res.tokens.map((t) => t.id),
        { skipSpecialTokens: true },
      );
      console.log(`${q} → ${JSON.stringify(text)}`);
      expect(text).toMatch(want);
    }
  }, 180_000);

  it('perplexity of a fixed paragraph stays under 30', async () => {
    const ids = rt.tokenizer.encode(PARAGRAPH);
    const ppl = perplexity(await tokenLogProbs(rt, ids));
    console.log(`real f32: perplexity ${ppl.toFixed(2)} over ${ids.length - 1} tokens`);
    expect(ppl).toBeLessThan(30);
  }, 120_000);
});
