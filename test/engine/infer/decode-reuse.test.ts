/**
 * Prefix KV reuse and prompt-lookup speculation change the number and size of model steps, never the output:
 * on the tiny reference Llama, every combination decodes token for token (and log-prob for log-prob) what plain
 * greedy decoding does — free and under a dev spec's grammar, with an adapter switched between calls.
 *
 * Speculation needs logits of several positions: the runtime's session takes `num_logits_to_keep`. Graphs
 * without it are built here from the same Llama definition: last-position-only (speculation stays off) and
 * every-position logits (kv.ts notices and slices).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { decode, type DecodeOptions, type DecodeResult } from '../../../src/engine/infer/decode.js';
import { callGrammar } from '../../../src/engine/infer/grammar/call-grammar.js';
import { KEEP_INPUT, KvCache } from '../../../src/engine/infer/kv.js';
import { AnswerHistory } from '../../../src/engine/infer/lookup.js';
import { mapperPromptIds } from '../../../src/engine/infer/mapper.js';
import { createSession, type HostTensor } from '../../../src/engine/infer/ort.js';
import { prefixCache } from '../../../src/engine/infer/prefix.js';
import { callToTarget } from '../../../src/engine/infer/prompt.js';
import {
  allLoraHooks,
  buildLoraFeeds,
  createRuntime,
  type BaseRuntime,
} from '../../../src/engine/infer/runtime.js';
import { serialize } from '../../../src/engine/model/graph/serialize.js';
import { inferenceGraph } from '../../../src/engine/model/llama.js';
import { loadAdapter, type LoraAdapter } from '../../../src/engine/model/lora.js';
import { loadTokenizer } from '../../../src/engine/model/tokenizer/index.js';
import type { Tokenizer } from '../../../src/engine/model/tokenizer/types.js';
import type { LlamaConfig, WeightMap } from '../../../src/engine/model/types.js';
import { REF, tinyConfig, tinyWeights } from '../model/tiny-ref.js';
import { devCatalog, devTasks } from './grammar-helpers.js';

const cfg = tinyConfig();
let manyRt: BaseRuntime;
let lastRt: BaseRuntime;
let allRt: BaseRuntime;
let adapter: LoraAdapter;

/** A runtime on the standard Llama graph without `num_logits_to_keep`: last or every position's logits. */
async function fixedLogitsRuntime(
  c: LlamaConfig,
  w: WeightMap,
  tokenizer: Tokenizer,
  logits: 'last' | 'all',
): Promise<BaseRuntime> {
  const graph = inferenceGraph(c, w, { lora: { scale: 1, modules: allLoraHooks(c) }, logits });
  const { model, external } = serialize(graph);
  const session = await createSession(model, {
    threads: 1,
    externalData: external.map((e) => ({ path: e.location, data: e.data })),
  });
  const feeds = new Map<LoraAdapter | null, Record<string, HostTensor>>();
  return {
    config: c,
    tokenizer,
    quant: 'f32',
    session,
    head: null,
    loadSeconds: 0,
    loraFeeds(a) {
      if (!feeds.has(a)) feeds.set(a, buildLoraFeeds(c, a));
      return feeds.get(a)!;
    },
    release: () => session.release(),
  };
}

beforeAll(async () => {
  const weights = await tinyWeights();
  const tokenizer = await loadTokenizer(`${REF}/model`);
  manyRt = await createRuntime(cfg, weights, tokenizer, { threads: 1 });
  lastRt = await fixedLogitsRuntime(cfg, weights, tokenizer, 'last');
  allRt = await fixedLogitsRuntime(cfg, weights, tokenizer, 'all');
  adapter = await loadAdapter(`${REF}/adapter`);
});
afterAll(async () => {
  for (const rt of [manyRt, lastRt, allRt]) await rt.release();
});

const ids = (r: DecodeResult): number[] => r.tokens.map((t) => t.id);
const OFF = { prefixCache: false, speculate: false } as const;
const VARIANTS: [string, DecodeOptions][] = [
  ['prefix reuse', { prefixCache: true, speculate: false }],
  ['speculation', { prefixCache: false, speculate: true }],
  ['both', { prefixCache: true, speculate: true }],
  ['both, long drafts from 2-grams', { prefixCache: true, speculate: { draftTokens: 12, minNgram: 2 } }],
];

/**
 * A "copy head": raises the token that followed the last generated token's latest occurrence in the prompt,
 * except at every `every`-th token, where the model's own choice breaks the copy (and rejects a draft).
 */
function copyBias(prompt: readonly number[], boost: number, every = 6) {
  return (row: Float32Array, generated: readonly number[]): void => {
    if (generated.length % every === every - 1) return;
    const last = generated[generated.length - 1] ?? prompt[prompt.length - 1];
    const j = prompt.lastIndexOf(last!, prompt.length - 2);
    if (j >= 0) row[prompt[j + 1]!]! += boost;
  };
}

function expectSame(got: DecodeResult, want: DecodeResult, label: string): void {
  expect(ids(got), label).toEqual(ids(want));
  expect(got.stopReason, label).toBe(want.stopReason);
  got.tokens.forEach((t, i) => {
    expect(t.forced, label).toBe(want.tokens[i]!.forced);
    expect(Math.abs(t.logprob - want.tokens[i]!.logprob), label).toBeLessThan(1e-3);
  });
}

interface Totals {
  reused: number;
  drafted: number;
  accepted: number;
  steps: number;
  plainSteps: number;
}

/** Decodes `prompts` in order with `options` and plain, comparing each; returns what the features did. */
async function compare(
  prompts: readonly number[][],
  options: DecodeOptions,
  make: (prompt: readonly number[], i: number) => DecodeOptions,
): Promise<Totals> {
  const totals: Totals = { reused: 0, drafted: 0, accepted: 0, steps: 0, plainSteps: 0 };
  prefixCache(manyRt).clear();
  for (const [i, p] of prompts.entries()) {
    const want = await decode(manyRt, p, { ...make(p, i), ...OFF });
    const got = await decode(manyRt, p, { ...make(p, i), ...options });
    expectSame(got, want, `prompt ${i}`);
    totals.reused += got.timings.reusedPromptTokens;
    totals.drafted += got.timings.draftTokens;
    totals.accepted += got.timings.acceptedDraftTokens;
    totals.steps += got.timings.modelSteps;
    totals.plainSteps += want.timings.modelSteps;
    expect(want.timings.reusedPromptTokens + want.timings.draftTokens).toBe(0);
  }
  return totals;
}

function expectUsed(name: string, options: DecodeOptions, t: Totals): void {
  if (options.prefixCache) expect(t.reused, name).toBeGreaterThan(0);
  else expect(t.reused, name).toBe(0);
  if (options.speculate) {
    expect(t.accepted, name).toBeGreaterThan(0);
    expect(t.drafted, name).toBeGreaterThan(t.accepted); // rejections (and their rollback) happened too
    expect(t.steps, name).toBeLessThan(t.plainSteps);
  } else expect(t.drafted, name).toBe(0);
}

describe('decode with prefix reuse and speculation (tiny Llama)', () => {
  const tokenizer = (): Tokenizer => manyRt.tokenizer;
  const chat = (task: string): number[] =>
    tokenizer().encode(
      tokenizer().applyChatTemplate(
        [
          { role: 'system', content: 'Copy the ids you are given, exactly and in order.' },
          { role: 'user', content: task },
        ],
        { addGenerationPrompt: true },
      ),
    );
  const FREE = ['ids a1b2-c3d4 and e5f6', 'the ids are 9f8e7d-6c5b and 4a3b', 'repeat 1234 5678 1234 5678'];

  it.each(VARIANTS)('%s: free decoding equals plain greedy', async (name, options) => {
    const prompts = FREE.map(chat);
    const t = await compare(prompts, options, (p) => ({
      maxTokens: 40,
      stopTokens: [],
      processLogits: copyBias(p, 40),
    }));
    expectUsed(name, options, t);
  });

  it.each(VARIANTS)('%s: under the train-travel grammar equals plain greedy', async (name, options) => {
    const catalog = await devCatalog('train-travel.yaml');
    const tasks = devTasks('train-travel').slice(0, 4);
    const grammar = callGrammar(catalog, tokenizer());
    const prompts = tasks.map(({ task }) => mapperPromptIds(manyRt, task, catalog, false));
    const t = await compare(prompts, options, (p) => ({
      maxTokens: 60,
      constraint: grammar.matcher(),
      processLogits: copyBias(p, 25),
    }));
    expectUsed(name, options, t);
  });

  it('an adapter switch between calls never serves another adapter’s keys and values', async () => {
    const catalog = await devCatalog('alertmanager.yaml');
    const grammar = callGrammar(catalog, tokenizer());
    const tasks = devTasks('alertmanager').slice(0, 3);
    for (const [i, { task }] of tasks.entries()) {
      const p = mapperPromptIds(manyRt, task, catalog, false);
      for (const a of [adapter, null, adapter]) {
        const opts = { maxTokens: 40, adapter: a, processLogits: copyBias(p, 25) };
        const want = await decode(manyRt, p, { ...opts, ...OFF, constraint: grammar.matcher() });
        const got = await decode(manyRt, p, { ...opts, constraint: grammar.matcher() });
        expectSame(got, want, `task ${i} adapter ${a ? 'on' : 'off'}`);
      }
    }
    // The same prompt under another adapter prefills in full.
    const p = mapperPromptIds(manyRt, 'list the silences', catalog, false);
    prefixCache(manyRt).clear();
    await decode(manyRt, p, { maxTokens: 2, stopTokens: [], adapter });
    const other = await decode(manyRt, p, { maxTokens: 2, stopTokens: [], adapter: null });
    expect(other.timings.reusedPromptTokens).toBe(0);
    const again = await decode(manyRt, p, { maxTokens: 2, stopTokens: [], adapter });
    expect(again.timings.reusedPromptTokens).toBe(p.length - 1);
  });

  it('the prefill verifies a draft too: an answer the history holds comes out of the prefill alone', async () => {
    const catalog = await devCatalog('train-travel.yaml');
    const grammar = callGrammar(catalog, tokenizer());
    const { task, expected } = devTasks('train-travel').find(
      (t) => t.expected.operationId === 'get-stations' && 'search' in t.expected.query,
    )!;
    const target = tokenizer().encode(callToTarget(expected, catalog));
    const p = mapperPromptIds(manyRt, task, catalog, false);
    // A model that writes `target`: its next token gets a large boost (forced tokens skip processLogits).
    const teacher = (row: Float32Array, generated: readonly number[]): void => {
      row[target[generated.length]!]! += 100;
    };
    const history = new AnswerHistory();
    const opts = { maxTokens: 60, processLogits: teacher, speculate: { draftTokens: 64, history } };
    const first = await decode(manyRt, p, { ...opts, constraint: grammar.matcher() });
    expect(ids(first)).toEqual(target);
    expect(first.timings.modelSteps).toBeGreaterThan(1); // nothing to look the values up in yet
    const again = await decode(manyRt, p, { ...opts, constraint: grammar.matcher() });
    expectSame(again, first, 'from the history');
    expect(again.timings.modelSteps).toBe(1);
    expect(again.timings.acceptedDraftTokens).toBeGreaterThanOrEqual(target.length - 1);
  });

  it('sampling turns speculation off; a last-position-only graph decodes plainly', async () => {
    expect(manyRt.session.inputNames).toContain(KEEP_INPUT);
    const p = chat(FREE[0]!);
    const sampled = await decode(manyRt, p, {
      maxTokens: 20,
      stopTokens: [],
      sampling: { temperature: 1, seed: 3 },
      processLogits: copyBias(p, 40),
    });
    expect(sampled.timings.draftTokens).toBe(0);
    expect(lastRt.session.inputNames).not.toContain(KEEP_INPUT);
    const opts = { maxTokens: 20, stopTokens: [], processLogits: copyBias(p, 40) };
    const plain = await decode(lastRt, p, opts);
    expect(plain.timings.draftTokens).toBe(0);
    expectSame(plain, await decode(manyRt, p, { ...opts, ...OFF }), 'last-only graph');
  });
});

describe('KvCache rows, rollback and resume (tiny Llama)', () => {
  const P = [1, 9690, 198, 2683, 314, 253, 5356, 30, 77, 1210];
  const maxDiff = (a: Float32Array, b: Float32Array): number =>
    a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
  const full = async (prefix: number[]): Promise<Float32Array> =>
    (await new KvCache(lastRt, 1, lastRt.loraFeeds(null)).step([prefix]))[0]!;

  it('stepKeep returns the logits of each of the last K positions (num_logits_to_keep or all positions)', async () => {
    for (const rt of [manyRt, allRt]) {
      const kv = new KvCache(rt, 1, rt.loraFeeds(null));
      await kv.step([P.slice(0, 4)]);
      expect(kv.multiLogits).toBe(true); // known from the input, or seen in the 4-row step
      const rows = await kv.stepKeep(P.slice(4), 4);
      expect(rows).toHaveLength(4);
      for (let i = 0; i < 4; i++) expect(maxDiff(rows[i]!, await full(P.slice(0, 7 + i)))).toBeLessThan(1e-4);
    }
    const last = new KvCache(lastRt, 1, lastRt.loraFeeds(null));
    await last.step([P.slice(0, 4)]);
    expect(last.multiLogits).toBe(false);
  });

  it('truncate then step equals recomputing the kept prefix plus the new token', async () => {
    const kv = new KvCache(manyRt, 1, manyRt.loraFeeds(null));
    await kv.step([P]);
    kv.truncate(6);
    expect(kv.length).toBe(6);
    const [row] = await kv.step([[42]]);
    expect(maxDiff(row!, await full([...P.slice(0, 6), 42]))).toBeLessThan(1e-4);
  });

  it('resume from stored keys and values equals a fresh prefill', async () => {
    const first = new KvCache(manyRt, 1, manyRt.loraFeeds(null));
    await first.step([P]);
    const kv = KvCache.resume(manyRt, manyRt.loraFeeds(null), first.tensors()!, P.length);
    const [row] = await kv.step([[42, 43]]);
    expect(maxDiff(row!, await full([...P, 42, 43]))).toBeLessThan(1e-4);
  });
});
