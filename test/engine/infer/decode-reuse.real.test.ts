/**
 * Opt-in (SMOLMAP_REAL_MODEL = path of SmolLM2-135M-Instruct.Q4_1.gguf): on the real model in f32, mapper
 * decoding of the fixture tasks (untrained prompt, spec grammar, values copied from the task as mapTask does) with
 * prefix reuse and speculation on — the defaults, copy-continuing drafts included — gives token for token the
 * answers of plain greedy decoding, in fewer model steps and with the shared prompt head prefilled once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { decode } from '../../../src/engine/infer/decode.js';
import { callGrammar } from '../../../src/engine/infer/grammar/call-grammar.js';
import { AnswerHistory } from '../../../src/engine/infer/lookup.js';
import { mapperPromptIds } from '../../../src/engine/infer/mapper.js';
import { PrefixCache } from '../../../src/engine/infer/prefix.js';
import { loadRuntime, releaseRuntimes, type BaseRuntime } from '../../../src/engine/infer/runtime.js';
import { devCatalog, devTasks } from './grammar-helpers.js';

const GGUF = process.env.SMOLMAP_REAL_MODEL;
if (!GGUF)
  console.warn(
    'decode-reuse.real.test: skipped; set SMOLMAP_REAL_MODEL to the SmolLM2-135M-Instruct GGUF path',
  );

describe.skipIf(!GGUF)('prefix reuse and speculation on the real SmolLM2-135M (f32)', () => {
  let rt: BaseRuntime;
  beforeAll(async () => {
    rt = await loadRuntime(GGUF!, { quant: 'f32' });
  }, 300_000);
  afterAll(() => releaseRuntimes());

  it('train-travel and alertmanager tasks decode exactly as plain greedy', async () => {
    let steps = 0;
    let plainSteps = 0;
    let reused = 0;
    for (const [spec, file] of [
      ['train-travel', 'train-travel.yaml'],
      ['alertmanager', 'alertmanager.yaml'],
    ] as const) {
      const catalog = await devCatalog(file);
      const grammar = callGrammar(catalog, rt.tokenizer);
      const prefixCache = new PrefixCache();
      const history = new AnswerHistory();
      for (const { task } of devTasks(spec).slice(0, 2)) {
        const ids = mapperPromptIds(rt, task, catalog, true);
        const plain = await decode(rt, ids, {
          maxTokens: 96,
          constraint: grammar.matcher({ copyFrom: task }),
          prefixCache: false,
          speculate: false,
        });
        const fast = await decode(rt, ids, {
          maxTokens: 96,
          constraint: grammar.matcher({ copyFrom: task }),
          prefixCache,
          speculate: { history },
        });
        expect(
          fast.tokens.map((t) => t.id),
          task,
        ).toEqual(plain.tokens.map((t) => t.id));
        steps += fast.timings.modelSteps;
        plainSteps += plain.timings.modelSteps;
        reused += fast.timings.reusedPromptTokens;
      }
    }
    console.log(`real mapper decoding: ${plainSteps} → ${steps} model steps, ${reused} prompt tokens reused`);
    expect(steps).toBeLessThan(plainSteps);
    expect(reused).toBeGreaterThan(100);
  }, 600_000);
});
