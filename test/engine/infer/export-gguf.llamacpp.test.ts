/**
 * Opt-in oracle (SMOLMAP_LLAMACPP_DIR = a folder with node-llama-cpp 3.21 installed, e.g. one made by
 * `npm install --prefix ~/.cache/smolmap/peers/llamacpp node-llama-cpp@3.21`; SMOLMAP_REAL_MODEL =
 * SmolLM2-135M-Instruct Q4_1 GGUF): llama.cpp loads the base GGUF plus our exported gguf-lora adapter, and its
 * next-token distribution matches ours with the same adapter, and is far from the base's.
 *
 * The adapters are deliberately strong (B uniform in ±1), so "applied" vs "not applied" differs by far more than
 * the Q4_1-in-llama.cpp vs f32-in-ours noise. Measured: max |Δ log p| over our top 10
 * tokens, ours vs llama.cpp: base 0.22; all seven targets 0.67 with the adapter vs 17.4 without (11.5 when
 * lora_b is left unpermuted); q/k only 0.38 vs 4.4 without (7.4 unpermuted).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { baseConfigOf } from '../../../src/engine/infer/export-gguf.js';
import { exportAdapter } from '../../../src/engine/infer/export.js';
import {
  baseRuntime,
  decode,
  importModel,
  openEngine,
  releaseRuntimes,
  type Engine,
  type LoraAdapter,
} from '../../../src/engine/index.js';
import { registerRandomAdapter } from './export-gguf-helpers.js';

const GGUF = process.env.SMOLMAP_REAL_MODEL;
const LLAMACPP = process.env.SMOLMAP_LLAMACPP_DIR;
const skip = !GGUF || !LLAMACPP;
if (skip)
  console.warn(
    'export-gguf.llamacpp.test: skipped; set SMOLMAP_LLAMACPP_DIR (node-llama-cpp install) and SMOLMAP_REAL_MODEL (the GGUF)',
  );

/** The slice of node-llama-cpp 3.21's API used here (dist/evaluator/LlamaContext/types.d.ts). */
type Item = number | [number, { generateNext: { probabilities: true; options: Record<string, number> } }];
interface LlamaCpp {
  getLlama(o: { gpu: false; logLevel: 'error' }): Promise<{
    loadModel(o: { modelPath: string }): Promise<LlamaModel>;
    dispose(): Promise<void>;
  }>;
}
interface LlamaModel {
  createContext(o: {
    contextSize: number;
    threads: number;
    lora?: { adapters: { filePath: string }[] };
  }): Promise<{
    getSequence(): {
      controlledEvaluate(
        items: Item[],
      ): Promise<({ next: { probabilities?: Map<number, number> } } | undefined)[]>;
    };
    dispose(): Promise<void>;
  }>;
  dispose(): Promise<void>;
}

const PROMPT = 'The capital of France is';
let dir: string;
let engine: Engine;
let prompt: number[];
const adapters = new Map<string, LoraAdapter>();
const files = new Map<string, string>();

beforeAll(async () => {
  if (skip) return;
  dir = await mkdtemp(path.join(os.tmpdir(), 'smolmap-export-llamacpp-'));
  engine = await openEngine({ dataDir: path.join(dir, 'data'), modelsDir: path.join(dir, 'models') });
  await importModel(engine, GGUF, { name: 'smol' });
  const { config } = await baseConfigOf(GGUF);
  const variants = [
    { id: 'all', targets: undefined, outtype: 'f32' },
    { id: 'qk', targets: ['q_proj', 'k_proj'] as const, outtype: 'f32' },
    { id: 'all-q8', targets: undefined, outtype: 'q8_0' },
  ] as const;
  for (const v of variants) {
    const id = v.id === 'all-q8' ? 'all' : v.id;
    if (!adapters.has(id)) {
      const lora = { r: 8, alpha: 16, bScale: 1, targets: v.targets && [...v.targets] };
      adapters.set(id, await registerRandomAdapter(engine, id, config, 'smol', lora));
    }
    const out = path.join(dir, `${v.id}.gguf`);
    await exportAdapter(engine, { model: id, format: 'gguf-lora', outtype: v.outtype, out });
    files.set(v.id, out);
  }
  prompt = (await baseRuntime(engine, 'smol')).tokenizer.encode(PROMPT);
}, 300_000);
afterAll(async () => {
  if (skip) return;
  await releaseRuntimes();
  await rm(dir, { recursive: true, force: true });
});

const logSoftmax = (x: Float32Array): Float64Array => {
  const m = x.reduce((a, b) => Math.max(a, b), -Infinity);
  const lse = m + Math.log(x.reduce((s, v) => s + Math.exp(v - m), 0));
  return Float64Array.from(x, (v) => v - lse);
};

async function oursNext(adapter: LoraAdapter | null): Promise<Float64Array> {
  const rt = await baseRuntime(engine, 'smol');
  let logits: Float32Array | undefined;
  await decode(rt, prompt, {
    adapter,
    maxTokens: 1,
    stopTokens: [],
    speculate: false,
    prefixCache: false,
    processLogits: (l) => void (logits ??= Float32Array.from(l)),
  });
  return logSoftmax(logits!);
}

/** llama.cpp's full next-token distribution (temperature 1, no truncation) for the same prompt ids. */
async function theirsNext(model: LlamaModel, lora: string | null): Promise<Map<number, number>> {
  const ctx = await model.createContext({
    contextSize: 256,
    threads: 2,
    ...(lora ? { lora: { adapters: [{ filePath: lora }] } } : {}),
  });
  try {
    const last = prompt.length - 1;
    const items: Item[] = prompt.map((t, i) =>
      i === last
        ? [
            t,
            { generateNext: { probabilities: true, options: { temperature: 1, topK: 0, topP: 1, minP: 0 } } },
          ]
        : t,
    );
    const probs = (await ctx.getSequence().controlledEvaluate(items))[last]?.next.probabilities;
    if (!probs) throw new Error('node-llama-cpp returned no probabilities');
    return probs;
  } finally {
    await ctx.dispose();
  }
}

const top = (lp: Float64Array, k: number): number[] =>
  [...lp.keys()].sort((a, b) => lp[b]! - lp[a]!).slice(0, k);

/** max |Δ log p| over our 10 most likely tokens. */
function distance(ours: Float64Array, theirs: Map<number, number>): number {
  return Math.max(...top(ours, 10).map((t) => Math.abs(ours[t]! - Math.log(theirs.get(t) ?? 1e-30))));
}

describe.skipIf(skip)('gguf-lora in llama.cpp (node-llama-cpp) vs ours', () => {
  it('llama.cpp with our adapter = ours with it, far from without', async () => {
    const entry = path.join(LLAMACPP!, 'node_modules', 'node-llama-cpp', 'dist', 'index.js');
    const mod = (await import(pathToFileURL(entry).href)) as unknown as LlamaCpp;
    const llama = await mod.getLlama({ gpu: false, logLevel: 'error' });
    const model = await llama.loadModel({ modelPath: GGUF! });
    try {
      const base = await theirsNext(model, null);
      const oursBase = await oursNext(null);
      const report: Record<string, number> = { base: distance(oursBase, base) };
      expect(report.base).toBeLessThan(0.6);
      for (const id of ['all', 'qk', 'all-q8']) {
        const ours = await oursNext(adapters.get(id === 'all-q8' ? 'all' : id)!);
        const theirs = await theirsNext(model, files.get(id)!);
        const near = distance(ours, theirs);
        const far = distance(ours, base);
        report[`${id} with`] = near;
        report[`${id} without`] = far;
        expect(near).toBeLessThan(1.5);
        expect(far).toBeGreaterThan(3);
        expect(far).toBeGreaterThan(4 * near);
        const theirTop = [...theirs.entries()].sort((a, b) => b[1] - a[1])[0]![0];
        expect(theirTop).toBe(top(ours, 1)[0]);
      }
      console.log('max |Δ log p| over our top 10 (ours vs llama.cpp):', JSON.stringify(report));
    } finally {
      await model.dispose();
      await llama.dispose();
    }
  }, 300_000);
});
