/**
 * The decoding loop on the tiny reference Llama: KV-cache decoding against full recomputation at every step,
 * forced-token skipping against step-by-step decoding, seeded sampling, stop tokens and max tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { decodeBatch } from '../../../src/engine/infer/batch.js';
import { decode, type AllowedLogits, type DecodeConstraint } from '../../../src/engine/infer/decode.js';
import { KvCache } from '../../../src/engine/infer/kv.js';
import { createRuntime, type BaseRuntime } from '../../../src/engine/infer/runtime.js';
import { loadTokenizer } from '../../../src/engine/model/tokenizer/index.js';
import { REF, tinyConfig, tinyWeights } from '../model/tiny-ref.js';

const cfg = tinyConfig();
const PROMPT = [1, 9690, 198, 2683, 314, 253, 5356];
let rt: BaseRuntime;

beforeAll(async () => {
  rt = await createRuntime(cfg, await tinyWeights(), await loadTokenizer(`${REF}/model`), { threads: 1 });
});
afterAll(() => rt.release());

const maxDiff = (a: Float32Array, b: Float32Array): number =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

/** Allows every token; after each free token forces two more derived from it (until `limit` tokens). */
class ScriptedConstraint implements DecodeConstraint {
  readonly seen: number[] = [];
  private free = true;
  constructor(private readonly limit: number) {}
  allowed(): Uint32Array {
    const m = new Uint32Array(Math.ceil(cfg.vocab_size / 32)).fill(0xffffffff);
    m[0] = 0xfffffff0; // tokens 0-3 are never allowed, to show the mask applies
    return m;
  }
  accept(id: number): void {
    this.seen.push(id);
  }
  forced(): number[] {
    const last = this.seen[this.seen.length - 1]!;
    this.free = !this.free;
    return this.free ? [] : [(last * 7 + 11) % 4000, (last * 13 + 5) % 4000];
  }
  done(): boolean {
    return this.seen.length >= this.limit;
  }
}

describe('decode (tiny Llama)', () => {
  it('KV-cache decoding gives the logits of full recomputation at every step', async () => {
    const steps: Float32Array[] = [];
    const res = await decode(rt, PROMPT, {
      maxTokens: 8,
      stopTokens: [],
      processLogits: (logits) => steps.push(logits.slice()),
    });
    expect(res.tokens).toHaveLength(8);
    expect(res.stopReason).toBe('length');
    for (let t = 0; t < steps.length; t++) {
      const prefix = [...PROMPT, ...res.tokens.slice(0, t).map((x) => x.id)];
      const [full] = await new KvCache(rt, 1, rt.loraFeeds(null)).step([prefix]);
      expect(maxDiff(steps[t]!, full!)).toBeLessThan(1e-4);
    }
  });

  it('biasAllowed moves allowed logits on the lazy masked row, choosing as processLogits does on the full row', async () => {
    // 64 allowed tokens: a mask small enough for the lazy head's JS rows (head.ts LAZY_MAX_TOKENS).
    const small: DecodeConstraint = {
      allowed: () => {
        const m = new Uint32Array(Math.ceil(cfg.vocab_size / 32));
        m[10] = m[11] = 0xffffffff; // tokens 320-383
        return m;
      },
      accept: () => undefined,
      forced: () => [],
      done: () => false,
    };
    const seen: number[] = [];
    const raise = ({ ids, logits }: AllowedLogits, generated: readonly number[]): void => {
      seen.push(ids.length);
      const k = Array.from(ids).indexOf(330 + (generated.length % 5));
      logits[k] = logits[k]! + 1000;
    };
    const biased = await decode(rt, PROMPT, {
      maxTokens: 6,
      stopTokens: [],
      constraint: small,
      biasAllowed: raise,
    });
    const hooked = await decode(rt, PROMPT, {
      maxTokens: 6,
      stopTokens: [],
      constraint: small,
      processLogits: (row, generated) => {
        row[330 + (generated.length % 5)] = row[330 + (generated.length % 5)]! + 1000;
      },
    });
    expect(biased.tokens.map((t) => t.id)).toEqual([330, 331, 332, 333, 334, 330]);
    expect(hooked.tokens.map((t) => t.id)).toEqual(biased.tokens.map((t) => t.id));
    biased.tokens.forEach((t, i) =>
      expect(Math.abs(t.logprob - hooked.tokens[i]!.logprob)).toBeLessThan(1e-4),
    );
    expect(seen.every((n) => n === 64)).toBe(true);
  });

  it('forced tokens skipped in one multi-token step equal step-by-step decoding', async () => {
    const fast = await decode(rt, PROMPT, { maxTokens: 20, constraint: new ScriptedConstraint(14) });
    const slow = await decode(rt, PROMPT, {
      maxTokens: 20,
      constraint: new ScriptedConstraint(14),
      skipForced: false,
    });
    expect(fast.tokens.map((t) => t.id)).toEqual(slow.tokens.map((t) => t.id));
    fast.tokens.forEach((t, i) => expect(Math.abs(t.logprob - slow.tokens[i]!.logprob)).toBeLessThan(1e-4));
    expect(fast.tokens.filter((t) => t.forced).length).toBeGreaterThan(4);
    expect(fast.tokens.every((t) => t.forced || t.id > 3)).toBe(true);
    expect(fast.stopReason).toBe('constraint');
    expect(fast.timings.modelSteps).toBeLessThan(slow.timings.modelSteps);
  });

  it('stops at a stop token and keeps it as the last token', async () => {
    const free = await decode(rt, PROMPT, { maxTokens: 5, stopTokens: [] });
    const stopAt = free.tokens[2]!.id;
    const res = await decode(rt, PROMPT, { maxTokens: 5, stopTokens: [stopAt] });
    expect(res.tokens.map((t) => t.id)).toEqual(
      free.tokens.slice(0, free.tokens.findIndex((t) => t.id === stopAt) + 1).map((t) => t.id),
    );
    expect(res.stopReason).toBe('stop');
  });

  it('seeded sampling is reproducible; top-k 1 equals greedy', async () => {
    const opts = { maxTokens: 12, stopTokens: [] };
    const a = await decode(rt, PROMPT, { ...opts, sampling: { temperature: 1.5, seed: 7 } });
    const b = await decode(rt, PROMPT, { ...opts, sampling: { temperature: 1.5, seed: 7 } });
    const c = await decode(rt, PROMPT, { ...opts, sampling: { temperature: 1.5, seed: 8 } });
    const ids = (r: typeof a): number[] => r.tokens.map((t) => t.id);
    expect(ids(a)).toEqual(ids(b));
    expect(ids(a)).not.toEqual(ids(c));
    const greedy = await decode(rt, PROMPT, opts);
    const k1 = await decode(rt, PROMPT, { ...opts, sampling: { temperature: 2, topK: 1, seed: 1 } });
    expect(ids(k1)).toEqual(ids(greedy));
    const p0 = await decode(rt, PROMPT, { ...opts, sampling: { temperature: 1, topP: 1e-6, seed: 1 } });
    expect(ids(p0)).toEqual(ids(greedy));
  });

  it('a left-padded batch decodes each row as decode() does alone', async () => {
    const prompts = [PROMPT, [504, 3575, 282], [42]];
    const stopAt = (await decode(rt, prompts[1]!, { maxTokens: 3, stopTokens: [] })).tokens[1]!.id;
    const opts = { maxTokens: 6, stopTokens: [stopAt] };
    const batch = await decodeBatch(rt, prompts, opts);
    for (const [i, p] of prompts.entries()) {
      const alone = await decode(rt, p, opts);
      expect(batch.rows[i]!.tokens.map((t) => t.id)).toEqual(alone.tokens.map((t) => t.id));
      expect(batch.rows[i]!.stopReason).toBe(alone.stopReason);
      batch.rows[i]!.tokens.forEach((t, j) =>
        expect(Math.abs(t.logprob - alone.tokens[j]!.logprob)).toBeLessThan(1e-4),
      );
    }
    expect(batch.rows[1]!.stopReason).toBe('stop');
  });

  it('reports timings and log-probs', async () => {
    const res = await decode(rt, PROMPT, {
      maxTokens: 4,
      stopTokens: [],
      prefixCache: false,
      speculate: false,
    });
    expect(res.timings.promptTokens).toBe(PROMPT.length);
    expect(res.timings.reusedPromptTokens).toBe(0);
    expect(res.timings.prefillTokensPerSecond).toBeGreaterThan(0);
    expect(res.timings.modelSteps).toBe(4);
    for (const t of res.tokens) expect(t.logprob).toBeLessThanOrEqual(0);
  });
});
