/**
 * The lazy LM head (head.ts) on the tiny reference Llama: a runtime whose graph ends at the hidden rows against
 * one whose graph returns logits. Head-session rows equal the graph's logits bit for bit; JS rows of small masks
 * equal them up to f32 rounding with the same −∞ pattern and argmax; near-ties fall back to the exact row; and
 * decode and operation choice give the same tokens, log-probabilities and probabilities.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { decode, type DecodeOptions } from '../../../src/engine/infer/decode.js';
import { callGrammar } from '../../../src/engine/infer/grammar/call-grammar.js';
import { allowedIds, dot, LAZY_MAX_TOKENS, LmHead, LogitRows } from '../../../src/engine/infer/head.js';
import { KvCache } from '../../../src/engine/infer/kv.js';
import { mapperPromptIds } from '../../../src/engine/infer/mapper.js';
import { chooseOperation, operationOpenings } from '../../../src/engine/infer/op-choice.js';
import type { Session } from '../../../src/engine/infer/ort.js';
import { createRuntime, type BaseRuntime } from '../../../src/engine/infer/runtime.js';
import { applyMask, argmax, logProb } from '../../../src/engine/infer/sample.js';
import { loadTokenizer } from '../../../src/engine/model/tokenizer/index.js';
import { REF, tinyConfig, tinyWeights } from '../model/tiny-ref.js';
import { devCatalog, devTasks, rng } from './grammar-helpers.js';

const cfg = tinyConfig();
const PROMPT = [1, 9690, 198, 2683, 314, 253, 5356, 28, 2683, 314];
let lazy: BaseRuntime;
let full: BaseRuntime;

beforeAll(async () => {
  const weights = await tinyWeights();
  const tokenizer = await loadTokenizer(`${REF}/model`);
  lazy = await createRuntime(cfg, weights, tokenizer, { threads: 1 });
  full = await createRuntime(cfg, weights, tokenizer, { threads: 1, lazyHead: false });
});
afterAll(async () => {
  await lazy.release();
  await full.release();
});

const sameBits = (a: Float32Array, b: Float32Array): boolean =>
  a.length === b.length &&
  Buffer.compare(
    Buffer.from(a.buffer, a.byteOffset, a.byteLength),
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  ) === 0;

/** A mask allowing `n` distinct random tokens. */
function randomMask(n: number, seed: number): Uint32Array {
  const mask = new Uint32Array(Math.ceil(cfg.vocab_size / 32));
  const r = rng(seed);
  let set = 0;
  while (set < n) {
    const id = Math.floor(r() * cfg.vocab_size);
    if ((mask[id >> 5]! >>> (id & 31)) & 1) continue;
    mask[id >> 5]! |= 1 << (id & 31);
    set++;
  }
  return mask;
}

async function keepRows(rt: BaseRuntime, keep: number): Promise<LogitRows> {
  return new KvCache(rt, 1, rt.loraFeeds(null)).stepKeepRows(PROMPT, keep);
}

describe('lazy LM head (tiny Llama)', () => {
  it('the lazy graph ends at the hidden rows; the head session gives the full graph’s logits bit for bit', async () => {
    expect(lazy.head).not.toBeNull();
    expect(full.head).toBeNull();
    expect(lazy.session.outputNames).toContain('hidden');
    expect(lazy.session.outputNames).not.toContain('logits');
    const got = await new KvCache(lazy, 1, lazy.loraFeeds(null)).stepKeep(PROMPT, 4);
    const want = await new KvCache(full, 1, full.loraFeeds(null)).stepKeep(PROMPT, 4);
    expect(got).toHaveLength(4);
    got.forEach((row, i) => expect(sameBits(row, want[i]!), `row ${i}`).toBe(true));
    // A later row asked for first: the head session reads the hidden rows from an offset.
    const later = await keepRows(lazy, 4);
    expect(sameBits(await later.row(2), want[2]!)).toBe(true);
    expect(sameBits(await later.row(3), want[3]!)).toBe(true);
    // A padded batch of two rows through `step`.
    const batch = [
      [null, null, 1, 9690, 198],
      [2683, 314, 253, 5356, 28],
    ];
    const gb = await new KvCache(lazy, 2, lazy.loraFeeds(null)).step(batch);
    const wb = await new KvCache(full, 2, full.loraFeeds(null)).step(batch);
    gb.forEach((row, b) => expect(sameBits(row, wb[b]!), `batch row ${b}`).toBe(true));
  });

  it('the standard graph ends at the hidden rows too, with the same logits', async () => {
    const weights = await tinyWeights();
    const make = (lazyHead: boolean): Promise<BaseRuntime> =>
      createRuntime(cfg, weights, lazy.tokenizer, { threads: 1, graph: 'standard', lazyHead });
    const [a, b] = [await make(true), await make(false)];
    const got = await new KvCache(a, 1, a.loraFeeds(null)).stepKeep(PROMPT, 2);
    const want = await new KvCache(b, 1, b.loraFeeds(null)).stepKeep(PROMPT, 2);
    expect(a.session.outputNames).toContain('hidden');
    got.forEach((row, i) => expect(sameBits(row, want[i]!), `row ${i}`).toBe(true));
    await a.release();
    await b.release();
  });

  it('small masks are made in JS (no head run): same −∞ pattern and argmax, values to f32 rounding', async () => {
    const want = await keepRows(full, 3);
    for (const [n, seed] of [
      [1, 1],
      [12, 2],
      [300, 3],
      [LAZY_MAX_TOKENS, 4],
    ] as const) {
      const rows = await keepRows(lazy, 3);
      const spy = vi.spyOn(lazy.head!, 'logits');
      const mask = randomMask(n, seed);
      for (let i = 0; i < 3; i++) {
        const got = await rows.masked(i, mask);
        const exact = await want.row(i);
        applyMask(exact, mask);
        expect(argmax(got), `n ${n} row ${i}`).toBe(argmax(exact));
        // The sparse greedy choice is argmax and logProb of the JS row, bit for bit.
        expect(await rows.greedy(i, mask)).toEqual({ id: argmax(got), logprob: logProb(got, argmax(got)) });
        let pattern = 0;
        let err = 0;
        for (let v = 0; v < cfg.vocab_size; v++) {
          if ((exact[v] === -Infinity) !== (got[v] === -Infinity)) pattern++;
          else if (exact[v] !== -Infinity) err = Math.max(err, Math.abs(got[v]! - exact[v]!));
        }
        expect(pattern, `n ${n} row ${i}`).toBe(0);
        expect(err, `n ${n} row ${i}`).toBeLessThan(1e-5);
      }
      expect(spy, `n ${n}`).not.toHaveBeenCalled();
      spy.mockRestore();
    }
  });

  it('large masks and exact requests take the head session’s row', async () => {
    const want = await keepRows(full, 2);
    for (const [mask, exactValues] of [
      [randomMask(LAZY_MAX_TOKENS + 1, 5), false],
      [randomMask(10, 6), true],
    ] as const) {
      const rows = await keepRows(lazy, 2);
      const spy = vi.spyOn(lazy.head!, 'logits');
      const got = await rows.masked(0, mask, exactValues);
      const exact = await want.row(0);
      applyMask(exact, mask);
      expect(sameBits(got, exact)).toBe(true);
      expect(await rows.greedy(0, mask)).toEqual({
        id: argmax(exact),
        logprob: logProb(exact, argmax(exact)),
      });
      // Rows 0 and 1 come from one head run.
      expect(sameBits(await rows.row(1), await want.row(1))).toBe(true);
      expect(spy).toHaveBeenCalledTimes(1);
      spy.mockRestore();
    }
  });

  it('a greedy choice too close to call in JS falls back to the exact row', () => {
    const width = 8;
    const vocab = 40;
    const r = rng(7);
    const w = Float32Array.from({ length: vocab * width }, () => r() - 0.5);
    w.copyWithin(9 * width, 3 * width, 4 * width); // token 9 = token 3: an exact tie
    w.set(w.subarray(3 * width, 4 * width), 20 * width);
    w[20 * width] = Math.fround(w[20 * width]! * (1 + 2 ** -22)); // token 20 within rounding of token 3
    const noSession = {} as Session;
    const head = new LmHead(noSession, w, vocab, width);
    const h = Float32Array.from({ length: width }, () => r() - 0.5);
    const mask = (ids: number[]): Uint32Array => {
      const m = new Uint32Array(2);
      for (const id of ids) m[id >> 5]! |= 1 << (id & 31);
      return m;
    };
    const dots = Array.from({ length: vocab }, (_, v) => dot(h, w, v * width, width));
    const clear = [0, 1, 2, 4, 5].sort((a, b) => dots[b]! - dots[a]!).slice(0, 2);
    const row = head.maskedRow(h, 0, mask(clear));
    expect(row).not.toBeNull();
    expect(argmax(row!)).toBe(clear[0]);
    expect(head.maskedRow(h, 0, mask([3, 9]))).toBeNull();
    expect(head.maskedRow(h, 0, mask([3, 20]))).toBeNull();
    expect(head.maskedRow(h, 0, mask([0, 1, 2, 4, 5]), 4)).toBeNull(); // more than `max` allowed
  });

  it('allowedIds lists set bits below the vocabulary, ascending, or null past max', () => {
    const m = new Uint32Array([0b1011, 0, 0x80000001]);
    expect([...allowedIds(m, 96, 10)!]).toEqual([0, 1, 3, 64, 95]);
    expect([...allowedIds(m, 90, 10)!]).toEqual([0, 1, 3, 64]);
    expect(allowedIds(m, 96, 4)).toBeNull();
  });
});

describe('decode and operation choice with the lazy head (tiny Llama)', () => {
  async function both(prompt: readonly number[], make: () => DecodeOptions, label: string): Promise<number> {
    const a = await decode(lazy, prompt, make());
    const b = await decode(full, prompt, make());
    expect(
      a.tokens.map((t) => t.id),
      label,
    ).toEqual(b.tokens.map((t) => t.id));
    expect(
      a.tokens.map((t) => t.forced),
      label,
    ).toEqual(b.tokens.map((t) => t.forced));
    a.tokens.forEach((t, i) => expect(Math.abs(t.logprob - b.tokens[i]!.logprob), label).toBeLessThan(1e-5));
    expect(a.timings.draftTokens, label).toBe(b.timings.draftTokens);
    return a.timings.draftTokens;
  }

  it('constrained greedy decoding (copy strings, forced tokens, drafts) gives the full graph’s tokens', async () => {
    const spy = vi.spyOn(lazy.head!, 'logits');
    let drafts = 0;
    let steps = 0;
    for (const [spec, file] of [
      ['train-travel', 'train-travel.yaml'],
      ['deepl', 'deepl.yaml'],
    ] as const) {
      const catalog = await devCatalog(file);
      const grammar = callGrammar(catalog, lazy.tokenizer);
      for (const { task } of devTasks(spec).slice(0, 3)) {
        const prompt = mapperPromptIds(lazy, task, catalog, false);
        drafts += await both(
          prompt,
          () => ({ maxTokens: 48, constraint: grammar.matcher({ copyFrom: task }) }),
          task,
        );
        steps += (
          await decode(lazy, prompt, { maxTokens: 48, constraint: grammar.matcher({ copyFrom: task }) })
        ).timings.modelSteps;
      }
    }
    expect(drafts).toBeGreaterThan(0);
    // Most constrained rows came from JS: far fewer head runs than model steps.
    expect(spy.mock.calls.length).toBeLessThan(steps);
    spy.mockRestore();
  });

  it('unconstrained, sampled and hooked decoding give the full graph’s tokens', async () => {
    await both(PROMPT, () => ({ maxTokens: 12, stopTokens: [] }), 'greedy');
    await both(
      PROMPT,
      () => ({ maxTokens: 12, stopTokens: [], sampling: { temperature: 0.9, seed: 3 } }),
      'sampled',
    );
    const catalog = await devCatalog('alertmanager.yaml');
    const grammar = callGrammar(catalog, lazy.tokenizer);
    const boost = (row: Float32Array): void => {
      row[90] = (row[90] ?? 0) + 5;
    };
    const prompt = mapperPromptIds(lazy, devTasks('alertmanager')[0]!.task, catalog, false);
    await both(
      prompt,
      () => ({ maxTokens: 30, constraint: grammar.matcher(), processLogits: boost }),
      'hooked',
    );
  });

  it('operation choice: the same probabilities', async () => {
    const catalog = await devCatalog('train-travel.yaml');
    const openings = operationOpenings(catalog, callGrammar(catalog, lazy.tokenizer));
    for (const { task } of devTasks('train-travel').slice(0, 2)) {
      const prompt = mapperPromptIds(lazy, task, catalog, false);
      const a = await chooseOperation(lazy, prompt, openings, { adapter: null });
      const b = await chooseOperation(full, prompt, openings, { adapter: null });
      expect(a.index).toBe(b.index);
      expect(a.probabilities).toEqual(b.probabilities);
      expect(a.logprobs).toEqual(b.logprobs);
    }
  });
});
