/**
 * The runtime's session on the tiny reference Llama (test/fixtures/reference/tiny-llama): its forward against the
 * naive TypeScript reference (bound 1e-4 absolute per logit), LoRA inputs of zeros against the graph without
 * LoRA, and a non-zero PEFT adapter against the merged-weight model (bound 1e-4).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { KvCache } from '../../../src/engine/infer/kv.js';
import { createRuntime, type BaseRuntime } from '../../../src/engine/infer/runtime.js';
import {
  createAdapter,
  loadAdapter,
  mergeAdapter,
  loraConfigSchema,
} from '../../../src/engine/model/lora.js';
import { loadTokenizer } from '../../../src/engine/model/tokenizer/index.js';
import type { WeightMap } from '../../../src/engine/model/types.js';
import { referenceForward } from '../model/reference-forward.js';
import { REF, tinyConfig, tinyWeights } from '../model/tiny-ref.js';

const cfg = tinyConfig();
const PROMPTS = [[1, 9690, 198, 2683, 314, 253, 5356], [504, 3575, 282, 4649, 314], [42]];
let weights: WeightMap;
let rt: BaseRuntime;

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

async function lastLogits(r: BaseRuntime, ids: number[], adapter = r.loraFeeds(null)): Promise<Float32Array> {
  const kv = new KvCache(r, 1, adapter);
  return (await kv.step([ids]))[0]!;
}

beforeAll(async () => {
  weights = await tinyWeights();
  rt = await createRuntime(cfg, weights, await loadTokenizer(`${REF}/model`), { threads: 1 });
});
afterAll(() => rt.release());

describe('runtime session (tiny Llama)', () => {
  it('equals the plain TypeScript reference forward within 1e-4', async () => {
    for (const ids of PROMPTS) {
      const ref = referenceForward(cfg, weights, ids);
      const got = await lastLogits(rt, ids);
      expect(maxDiff(got, ref[ids.length - 1]!)).toBeLessThan(1e-4);
    }
  });

  it('KV-cache steps give the reference logits at every position', async () => {
    const ids = PROMPTS[0]!;
    const ref = referenceForward(cfg, weights, ids);
    const kv = new KvCache(rt, 1, rt.loraFeeds(null));
    let [row] = await kv.step([ids.slice(0, 3)]);
    expect(maxDiff(row!, ref[2]!)).toBeLessThan(1e-4);
    for (let t = 3; t < ids.length; t++) {
      [row] = await kv.step([[ids[t]!]]);
      expect(maxDiff(row!, ref[t]!)).toBeLessThan(1e-4);
    }
  });

  it('a fresh adapter (B = 0) leaves logits unchanged', async () => {
    const fresh = createAdapter(cfg, loraConfigSchema.parse({ r: 4, alpha: 8, seed: 3 }));
    for (const ids of PROMPTS) {
      const base = await lastLogits(rt, ids);
      const withZero = await lastLogits(rt, ids, rt.loraFeeds(fresh));
      expect(maxDiff(withZero, base)).toBe(0);
    }
  });

  it('a non-zero PEFT adapter equals the merged-weight model', async () => {
    const adapter = await loadAdapter(`${REF}/adapter`);
    const merged = await createRuntime(cfg, mergeAdapter(weights, adapter), rt.tokenizer, { threads: 1 });
    try {
      for (const ids of PROMPTS) {
        const viaInputs = await lastLogits(rt, ids, rt.loraFeeds(adapter));
        const viaMerge = await lastLogits(merged, ids);
        const base = await lastLogits(rt, ids);
        expect(maxDiff(viaInputs, base)).toBeGreaterThan(1e-3); // the adapter does change the output
        expect(maxDiff(viaInputs, viaMerge)).toBeLessThan(1e-4);
      }
      expect(rt.loraFeeds(adapter)).toBe(rt.loraFeeds(adapter)); // feeds cached per adapter
    } finally {
      await merged.release();
    }
  });

  it('batched rows with left padding equal each row alone', async () => {
    const [a, b] = [PROMPTS[0]!, PROMPTS[1]!];
    const pad = a.length - b.length;
    const kv = new KvCache(rt, 2, rt.loraFeeds(null));
    const [ra, rb] = await kv.step([a, [...new Array<null>(pad).fill(null), ...b]]);
    expect(maxDiff(ra!, await lastLogits(rt, a))).toBeLessThan(1e-4);
    expect(maxDiff(rb!, await lastLogits(rt, b))).toBeLessThan(1e-4);
    const [na, nb] = await kv.step([[7], [9]]);
    expect(maxDiff(na!, await lastLogits(rt, [...a, 7]))).toBeLessThan(1e-4);
    expect(maxDiff(nb!, await lastLogits(rt, [...b, 9]))).toBeLessThan(1e-4);
  });
});
