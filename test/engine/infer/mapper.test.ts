/**
 * The mapper on the tiny random Llama (SmolLM2's tokenizer): every test spec's generated tasks come back as calls that
 * parse and validate, untrained weights included; forced-token skipping equals step-by-step decoding; a LoRA
 * adapter fed as session inputs equals a freshly built merged model; a cut budget is completed by the grammar.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { validateCall } from '../../../src/engine/calls.js';
import { callGrammar } from '../../../src/engine/infer/grammar/call-grammar.js';
import { needsUuid, ruledOutSiblings } from '../../../src/engine/infer/processors/index.js';
import { mapTask, scoredOpenings, type MapResult } from '../../../src/engine/infer/mapper.js';
import { createRuntime, type BaseRuntime } from '../../../src/engine/infer/runtime.js';
import { loadAdapter, mergeAdapter, type LoraAdapter } from '../../../src/engine/model/lora.js';
import { loadTokenizer } from '../../../src/engine/model/tokenizer/index.js';
import type { WeightMap } from '../../../src/engine/model/types.js';
import type { Catalog } from '../../../src/engine/specs/types.js';
import { REF, tinyConfig, tinyWeights } from '../model/tiny-ref.js';
import { OWN_SPECS, ownCatalog, ownTasks } from './own-specs.js';

let weights: WeightMap;
let rt: BaseRuntime;
let adapter: LoraAdapter;

beforeAll(async () => {
  weights = await tinyWeights();
  rt = await createRuntime(tinyConfig(), weights, await loadTokenizer(`${REF}/model`), { threads: 1 });
  adapter = await loadAdapter(`${REF}/adapter`);
});
afterAll(() => rt.release());

const UUID = /[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}/i;

function expectWellFormed(r: MapResult, catalog: Catalog): void {
  expect(r.call, r.text).not.toBeNull();
  expect(r.issues, r.text).toEqual([]);
  expect(validateCall(r.call!, catalog)).toEqual([]);
  expect(r.valid).toBe(true);
  expect(r.call!.url.length).toBeGreaterThan(0);
  for (const p of [r.confidence.overall, r.confidence.operation, r.confidence.values]) {
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThanOrEqual(1 + 1e-9);
  }
}

describe('mapTask on random weights', () => {
  let idless = 0;
  afterAll(() => expect(idless).toBeGreaterThan(10)); // tasks without an id were checked
  for (const spec of OWN_SPECS) {
    it(`${spec}: every task parses and validates (with and without an adapter)`, async () => {
      const catalog = await ownCatalog(spec);
      const tasks = ownTasks(catalog, 20);
      for (const [i, { task }] of tasks.entries()) {
        // 128 tokens: random weights ramble inside strings; longer answers only cost time here.
        const r = await mapTask(rt, task, {
          catalog,
          adapter: i % 2 ? adapter : null,
          untrained: false,
          maxTokens: 128,
        });
        expectWellFormed(r, catalog);
        expect(r.forcedTokens + r.openingTokens).toBeGreaterThan(0);
        // Random weights pick operations at random: an id-less task must still never get an invented UUID id.
        if (!UUID.test(task)) {
          const op = catalog.operations.find((o) => o.method === r.call!.method && o.path === r.call!.path)!;
          expect(needsUuid(op), `${task} → ${r.text}`).toBe(false);
          idless++;
        }
      }
    }, 300_000);
  }

  it('untrained prompts list the operations and still give valid calls (ferry, alertmanager)', async () => {
    for (const spec of ['ferry', 'examples/alertmanager.yaml']) {
      const catalog = await ownCatalog(spec);
      const trained = await mapTask(rt, 'find the available pets', {
        catalog,
        adapter: null,
        untrained: false,
      });
      const r = await mapTask(rt, 'find the available pets', { catalog, adapter: null, untrained: true });
      expect(r.promptTokens).toBeGreaterThan(trained.promptTokens + 20);
      expectWellFormed(r, catalog);
    }
  }, 60_000);

  it('scores only the operations the task does not rule out (the sibling filter)', async () => {
    const catalog = await ownCatalog('examples/deepl.yaml');
    const grammar = callGrammar(catalog, rt.tokenizer);
    const task = 'print the entires in glosary 5e2d8a61-93c4-4f0b-b7a2-61d0c9e4f3a8';
    const text = (ids: number[]): string => rt.tokenizer.decode(ids, { skipSpecialTokens: false });
    const all = scoredOpenings(catalog, grammar, []).map(text);
    const out = ruledOutSiblings(catalog, task);
    const kept = scoredOpenings(catalog, grammar, out).map(text);
    expect(out.length).toBeGreaterThan(0);
    expect(kept.length).toBe(all.length - out.length);
    expect(kept.some((o) => o.includes('/glossaries/{glossary_id}/entries'))).toBe(true);
    for (const op of out) expect(all.filter((o) => !kept.includes(o)).join('\n')).toContain(op.path);
  });

  it('a prompt beyond the context window is a coded error', async () => {
    const catalog = await ownCatalog('site');
    await expect(
      mapTask(rt, 'scrape '.repeat(600), { catalog, adapter: null, untrained: false }),
    ).rejects.toMatchObject({ code: 'ask_prompt_too_long' });
  });
});

describe('decoding invariants', () => {
  it('skipping forced tokens gives the same output as one model step per token, in fewer steps', async () => {
    for (const spec of OWN_SPECS) {
      const catalog = await ownCatalog(spec);
      for (const { task } of ownTasks(catalog, 3)) {
        // Greedy operation choice: a scored opening leaves fewer forced tokens to compare.
        const options = { catalog, adapter, untrained: false, operation: 'greedy' } as const;
        const fast = await mapTask(rt, task, options);
        const slow = await mapTask(rt, task, { ...options, skipForced: false });
        expect(fast.text).toBe(slow.text);
        // Scored opening ('trie' is the default only for untrained prompts since the greedy default).
        const scoredOptions = { catalog, adapter, untrained: false, operation: 'trie' } as const;
        const scored = await mapTask(rt, task, scoredOptions);
        const scoredSlow = await mapTask(rt, task, { ...scoredOptions, skipForced: false });
        expect(scored.text).toBe(scoredSlow.text);
        expect(fast.confidence.overall).toBeCloseTo(slow.confidence.overall, 4);
        expect(fast.modelSteps).toBeLessThan(slow.modelSteps);
      }
    }
  }, 300_000);

  it('a UUID copied from the task is forced, and skipping still equals step-by-step decoding', async () => {
    // Only the payment operation, so random weights reach its UUID path parameter (and then write a body).
    const catalog = await ownCatalog('ferry');
    const payment = {
      ...catalog,
      operations: catalog.operations.filter((o) => o.path === '/bookings/{bookingId}/payment'),
    };
    const id = '6f2a9c41-0d7e-4b38-a5c9-e1f03b7d2a64';
    const task = `Pay for booking ${id} by card, 49.90 EUR`;
    for (const a of [adapter, null]) {
      const options = { catalog: payment, adapter: a, untrained: false, operation: 'greedy' } as const;
      const fast = await mapTask(rt, task, options);
      const slow = await mapTask(rt, task, { ...options, skipForced: false });
      expect(fast.text).toBe(slow.text);
      expect(fast.text).toContain(`"bookingId":"${id}"`);
      expect(fast.forcedTokens).toBeGreaterThan(15); // the UUID's tokens, not only the grammar's structure
      expect(fast.modelSteps).toBeLessThan(slow.modelSteps);
    }
  }, 120_000);

  it('an adapter as session inputs equals a freshly built merged model', async () => {
    const merged = await createRuntime(tinyConfig(), mergeAdapter(weights, adapter), rt.tokenizer, {
      threads: 1,
    });
    try {
      let differsFromBase = 0;
      for (const spec of OWN_SPECS) {
        const catalog = await ownCatalog(spec);
        for (const { task } of ownTasks(catalog, 3)) {
          const switched = await mapTask(rt, task, { catalog, adapter, untrained: false });
          const fresh = await mapTask(merged, task, { catalog, adapter: null, untrained: false });
          const base = await mapTask(rt, task, { catalog, adapter: null, untrained: false });
          expect(switched.text).toBe(fresh.text);
          if (base.text !== switched.text) differsFromBase++;
        }
      }
      expect(differsFromBase).toBeGreaterThan(0); // the adapter is not a no-op
    } finally {
      await merged.release();
    }
  }, 300_000);

  it('a budget cut short is completed by the grammar into a valid call', async () => {
    for (const spec of OWN_SPECS) {
      const catalog = await ownCatalog(spec);
      const { task } = ownTasks(catalog, 1)[0]!;
      const r = await mapTask(rt, task, { catalog, adapter: null, untrained: false, maxTokens: 3 });
      expect(r.tokens).toBeLessThanOrEqual(3);
      expect(r.completed).toBe(true);
      expectWellFormed(r, catalog);
    }
  });
});

describe('copy-constrained values', () => {
  it('free string path and query values are copies of the task or of spec-suggested values', async () => {
    let checked = 0;
    for (const spec of OWN_SPECS) {
      const catalog = await ownCatalog(spec);
      for (const { task } of ownTasks(catalog, 4)) {
        const r = await mapTask(rt, task, { catalog, adapter: null, untrained: false, maxTokens: 64 });
        const op = catalog.operations.find((o) => o.method === r.call?.method && o.path === r.call?.path);
        const given = { path: r.call?.pathParams ?? {}, query: r.call?.query ?? {} };
        for (const p of op?.parameters ?? []) {
          if (p.in !== 'path' && p.in !== 'query') continue;
          const value = given[p.in][p.name];
          const s = p.schema;
          // Plain strings: a format (uuid, uri...) is left free when the task holds no value of that shape.
          const free = s.type === 'string' && !s.enum && !s.pattern && !s.format;
          if (typeof value !== 'string' || !free) continue;
          const suggested = [s.example, ...(s.examples ?? []), s.default].filter(
            (v) => typeof v === 'string',
          );
          const sources = [task, ...suggested].map((t) => JSON.stringify(t).slice(1, -1));
          expect(
            sources.some((src) => src.includes(JSON.stringify(value).slice(1, -1))),
            value,
          ).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(1);
  }, 120_000);
});

const REAL = process.env['SMOLMAP_REAL_MODEL'];
if (!REAL)
  console.info('mapper.test: real-model checks skipped (set SMOLMAP_REAL_MODEL to the SmolLM2 GGUF)');

describe.skipIf(!REAL)(
  'mapTask on the real SmolLM2-135M-Instruct (untrained: operations in the prompt)',
  () => {
    it('ferry tasks come back as valid calls', async () => {
      const { loadRuntime } = await import('../../../src/engine/infer/runtime.js');
      const real = await loadRuntime(REAL!);
      const catalog = await ownCatalog('ferry');
      for (const { task } of ownTasks(catalog, 3)) {
        const r = await mapTask(real, task, { catalog, adapter: null, untrained: true });
        expectWellFormed(r, catalog);
      }
    }, 300_000);
  },
);
