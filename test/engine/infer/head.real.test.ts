/**
 * Opt-in (SMOLMAP_REAL_MODEL = path of SmolLM2-135M-Instruct.Q4_1.gguf): the lazy LM head on the real model in
 * f32. Masked rows made in JS (576-long dot products) against the head session's rows on a mapper prompt: the
 * same −∞ pattern, |Δlogit| within f32 rounding, and the same greedy choice wherever JS calls it (a close call
 * goes back to the head session).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { callGrammar } from '../../../src/engine/infer/grammar/call-grammar.js';
import { KvCache } from '../../../src/engine/infer/kv.js';
import { mapperPromptIds } from '../../../src/engine/infer/mapper.js';
import { loadRuntime, releaseRuntimes, type BaseRuntime } from '../../../src/engine/infer/runtime.js';
import { applyMask, argmax } from '../../../src/engine/infer/sample.js';
import { devCatalog, devTasks } from './grammar-helpers.js';

const GGUF = process.env.SMOLMAP_REAL_MODEL;
if (!GGUF)
  console.warn('head.real.test: skipped; set SMOLMAP_REAL_MODEL to the SmolLM2-135M-Instruct GGUF path');

describe.skipIf(!GGUF)('lazy LM head on SmolLM2-135M-Instruct (real GGUF, f32)', () => {
  let rt: BaseRuntime;
  beforeAll(async () => {
    rt = await loadRuntime(GGUF!, { quant: 'f32' });
  });
  afterAll(() => releaseRuntimes());

  it('JS rows under the grammar’s masks equal the head session’s', async () => {
    expect(rt.head).not.toBeNull();
    const catalog = await devCatalog('alertmanager.yaml');
    const { task } = devTasks('alertmanager')[0]!;
    const matcher = callGrammar(catalog, rt.tokenizer).matcher({ copyFrom: task });
    const prompt = mapperPromptIds(rt, task, catalog, false);
    // The answer's first tokens as a draft: a row per position, each masked as decoding would mask it.
    const answer = rt.tokenizer.encode('{"op":"GET /alerts","query":{"');
    const rows = await new KvCache(rt, 1, rt.loraFeeds(null)).stepKeepRows(
      [...prompt, ...answer],
      answer.length,
    );
    let js = 0;
    for (let i = 0; i < answer.length; i++) {
      const mask = matcher.allowed();
      const got = rt.head!.maskedRow(rows.data, i, mask);
      const exact = await rows.row(i);
      applyMask(exact, mask);
      if (got) {
        js++;
        expect(argmax(got), `row ${i}`).toBe(argmax(exact));
        let err = 0;
        for (let v = 0; v < exact.length; v++) {
          if ((got[v] === -Infinity) !== (exact[v] === -Infinity)) err = Infinity;
          else if (exact[v] !== -Infinity) err = Math.max(err, Math.abs(got[v]! - exact[v]!));
        }
        expect(err, `row ${i}`).toBeLessThan(1e-4);
      }
      if (matcher.done() || !matcher.isAllowed(answer[i]!)) break;
      matcher.accept(answer[i]!);
    }
    expect(js).toBeGreaterThan(0);
  });
});
