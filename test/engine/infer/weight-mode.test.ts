/**
 * The weight-mode self-check on the seeded tiny Llama. A "mode" whose projections are deliberately broken (its
 * weights overwritten with noise) stands in for a quantised kernel that misbehaves on some CPU, so the refusal
 * and `auto`'s fallback are shown without depending on which kernels this machine runs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { doctor, generate, isSmolmapError, type Engine } from '../../../src/engine/index.js';
import { createRuntime, type BaseRuntime } from '../../../src/engine/infer/runtime.js';
import { referenceWalk, scoreMode, MIN_TOP1 } from '../../../src/engine/infer/selfcheck.js';
import { checkedRuntime, type RuntimeSource } from '../../../src/engine/infer/weight-mode.js';
import type { WeightQuant } from '../../../src/engine/model/quant.js';
import { tinyConfig, tinyWeights } from '../../../src/engine/model/tiny.js';
import { loadTokenizer } from '../../../src/engine/model/tokenizer/index.js';
import type { WeightMap } from '../../../src/engine/model/types.js';
import { tinyEngine } from '../../jobs/fixtures.js';

let engine: Engine;
let root: string;
let good: BaseRuntime;
let broken: BaseRuntime;

/** The tiny model's weights with every attention output projection replaced by large noise. */
function brokenWeights(): WeightMap {
  const w = new Map(tinyWeights(1));
  let seed = 7;
  for (const [name, t] of w) {
    if (!name.endsWith('o_proj.weight')) continue;
    const data = new Float32Array(t.data.length);
    for (let i = 0; i < data.length; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      data[i] = (seed / 2 ** 31 - 0.5) * 8;
    }
    w.set(name, { ...t, data });
  }
  return w;
}

beforeAll(async () => {
  ({ engine, root } = await tinyEngine());
  const tok = await loadTokenizer(path.join(engine.modelsDir, 'base', 'tiny'));
  good = await createRuntime(tinyConfig(), tinyWeights(1), tok, { threads: 1 });
  broken = await createRuntime(tinyConfig(), brokenWeights(), tok, { threads: 1 });
});

afterAll(async () => {
  await good.release();
  await broken.release();
  await rm(root, { recursive: true, force: true });
});

/** A runtime source whose `q4` is the broken runtime and whose other modes are the faithful one. */
function source(dir: string, loads: WeightQuant[]): RuntimeSource {
  return {
    modelsDir: dir,
    source: path.join(engine.modelsDir, 'base', 'tiny'),
    load: (q) => {
      loads.push(q);
      return Promise.resolve({ ...(q === 'q4' ? broken : good), quant: q });
    },
    drop: () => Promise.resolve(),
  };
}

describe('self-check probe', () => {
  it('passes a mode that computes what f32 computes', async () => {
    const score = await scoreMode(good, await referenceWalk(good));
    expect(score).toMatchObject({ top1: 1, maxAbsDiff: 0, answersMatch: true, passed: true, reason: '' });
  });

  it('fails a broken mode and says why', async () => {
    const score = await scoreMode(broken, await referenceWalk(good));
    expect(score.passed).toBe(false);
    expect(score.top1).toBeLessThan(MIN_TOP1);
    expect(score.maxAbsDiff).toBeGreaterThan(0.1);
    expect(score.reason).toMatch(/agrees with f32 at .* % of probe positions/);
  });
});

describe('checkedRuntime', () => {
  it('refuses a requested mode that fails, naming the modes to use, and caches the result', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'smolmap-selfcheck-'));
    const loads: WeightQuant[] = [];
    const err = await checkedRuntime(source(dir, loads), 'q4').catch((e: unknown) => e);
    expect(isSmolmapError(err) && err.code).toBe('weight_mode_refused');
    expect((err as Error).message).toMatch(/q4 failed its self-check.*use --quant f32.*--quant auto/);
    const cached = JSON.parse(readFileSync(path.join(dir, 'selfcheck.json'), 'utf8')) as {
      checks: { mode: string; score: { passed: boolean } }[];
    };
    expect(cached.checks.map((c) => [c.mode, c.score.passed])).toEqual([['q4', false]]);
    // The second request is refused from the cache: no runtime is loaded to probe again.
    loads.length = 0;
    await expect(checkedRuntime(source(dir, loads), 'q4')).rejects.toThrow(/failed its self-check/);
    expect(loads).toEqual([]);
    await rm(dir, { recursive: true, force: true });
  });

  it('auto never picks a mode that failed', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'smolmap-selfcheck-'));
    const rt = await checkedRuntime(source(dir, []), 'auto');
    expect(rt.quant).not.toBe('q4');
    const cached = JSON.parse(readFileSync(path.join(dir, 'selfcheck.json'), 'utf8')) as {
      checks: { mode: string; score: { passed: boolean } }[];
    };
    expect(cached.checks.map((c) => c.mode).sort()).toEqual(['f32', 'i8', 'q4', 'q8']);
    expect(cached.checks.find((c) => c.mode === rt.quant)?.score.passed).toBe(true);
    await rm(dir, { recursive: true, force: true });
  });
});

describe('through the facade', () => {
  it('generate --quant auto answers in a mode that passed here, and doctor reports the checks', async () => {
    const res = await generate(engine, { model: 'tiny', prompt: 'hello', maxTokens: 4, quant: 'auto' });
    expect(existsSync(path.join(engine.modelsDir, 'selfcheck.json'))).toBe(true);
    const report = await doctor(engine);
    const chosen = report.checks.find((c) => c.mode === res.quant);
    expect(chosen?.score.passed).toBe(true);
    const passing = report.checks.filter((c) => c.score.passed);
    expect(Math.min(...passing.map((c) => c.score.stepMs))).toBe(chosen?.score.stepMs);
    expect(report.machine.ort).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
