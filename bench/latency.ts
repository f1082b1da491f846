/**
 * Mapper latency per call on a real base model, and what prefix KV reuse and prompt-lookup speculation
 * (infer/prefix.ts, infer/lookup.ts) save: model steps, prefilled tokens, p50/p95 milliseconds.
 *
 *   npx tsx bench/latency.ts [file.gguf] [--modes f32,q4] [--specs a,b] [--tasks N] [--adapters DIR]
 *                            [--draft K] [--min-ngram N] [--max-ngram N] [--threads N] [--accuracy 1|4]
 *                            [--no-history]
 *
 * For each weight mode, eval-dev spec and prompt kind (untrained: operations listed, no adapter; trained: the
 * spec's adapter from DIR, default the bench/mapper.ts output, when there is one), the first N eval-dev tasks
 * are decoded as the mapper decodes them (mapper prompt, spec grammar, greedy, forced tokens skipped) under four
 * variants back to back per task: plain, prefix reuse, speculation, both. Each variant has its own prefix cache
 * and runs in the same process, so the comparison is fair under the same load; the variant order rotates per
 * task. Every variant's tokens are compared with plain's (the features must not change the answer). A last row
 * times `mapTask` itself with its defaults. Prints figures and the load average; asserts nothing.
 *
 * q4 with MatMulNBits accuracy level 4 quantises activations per step, so a position's logits depend on how many
 * positions its step holds (max |Δlogit| ~0.5 on SmolLM2-135M): near-ties then decode differently whenever
 * steps are grouped differently — by forced-token skipping as much as by these features. `--accuracy 1` (f32
 * activations) makes grouping immaterial, as in f32 mode.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { decode, type DecodeOptions } from '../src/engine/infer/decode.js';
import { callGrammar } from '../src/engine/infer/grammar/call-grammar.js';
import { AnswerHistory } from '../src/engine/infer/lookup.js';
import { mapperPromptIds, mapTask } from '../src/engine/infer/mapper.js';
import { PrefixCache } from '../src/engine/infer/prefix.js';
import { loadRuntime, releaseRuntimes, type BaseRuntime } from '../src/engine/infer/runtime.js';
import { loadAdapter, type LoraAdapter } from '../src/engine/model/lora.js';
import type { WeightQuant } from '../src/engine/model/quant.js';
import { loadSpecFile } from '../src/engine/specs/ingest.js';
import type { Catalog } from '../src/engine/specs/types.js';
import { EVAL_DEV, EVAL_DEV_OPTION, SPECS } from './eval-dev.js';
import { REAL_MODEL } from './real-model.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    ...EVAL_DEV_OPTION,
    modes: { type: 'string', default: 'f32,q4' },
    specs: { type: 'string', default: Object.keys(SPECS).join(',') },
    tasks: { type: 'string', default: '5' },
    adapters: { type: 'string', default: path.join(os.tmpdir(), 'smolmap-bench-mapper/models/adapters') },
    draft: { type: 'string' },
    'min-ngram': { type: 'string' },
    'max-ngram': { type: 'string' },
    threads: { type: 'string' },
    accuracy: { type: 'string' },
    'no-history': { type: 'boolean', default: false },
  },
});
const source = positionals[0] ?? REAL_MODEL;
const lookup = {
  draftTokens: values.draft === undefined ? undefined : Number(values.draft),
  minNgram: values['min-ngram'] === undefined ? undefined : Number(values['min-ngram']),
  maxNgram: values['max-ngram'] === undefined ? undefined : Number(values['max-ngram']),
};

const VARIANTS = ['plain', 'prefix', 'speculate', 'both'] as const;
type Variant = (typeof VARIANTS)[number];

interface Sample {
  ms: number;
  steps: number;
  prompt: number;
  prefilled: number;
  drafted: number;
  accepted: number;
  tokens: number;
  same: boolean;
}

const load = (): string =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
};
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

function tasksOf(spec: string, n: number): string[] {
  return readFileSync(`${EVAL_DEV}/tasks/${spec}.jsonl`, 'utf8')
    .trim()
    .split('\n')
    .slice(0, n)
    .map((l) => (JSON.parse(l) as { task: string }).task);
}

function adapterDir(spec: string): string | null {
  try {
    const dir = readdirSync(values.adapters).find((d) => d.startsWith(`${spec}-`));
    return dir ? path.join(values.adapters, dir) : null;
  } catch {
    return null;
  }
}

/** Each variant keeps its own prefix cache and answer history, so no variant drafts from another's answers. */
function variantOptions(
  v: Variant,
  caches: Map<Variant, PrefixCache>,
  histories: Map<Variant, AnswerHistory>,
): DecodeOptions {
  const prefix = v === 'prefix' || v === 'both';
  const spec = v === 'speculate' || v === 'both';
  return {
    prefixCache: prefix ? caches.get(v)! : false,
    speculate: spec ? { ...lookup, history: values['no-history'] ? false : histories.get(v)! } : false,
  };
}

/** Decodes every task under every variant (rotating order); samples per variant. */
async function measure(
  rt: BaseRuntime,
  catalog: Catalog,
  tasks: string[],
  adapter: LoraAdapter | null,
): Promise<Map<Variant, Sample[]>> {
  const grammar = callGrammar(catalog, rt.tokenizer);
  const caches = new Map(VARIANTS.map((v) => [v, new PrefixCache()]));
  const histories = new Map(VARIANTS.map((v) => [v, new AnswerHistory()]));
  const samples = new Map<Variant, Sample[]>(VARIANTS.map((v) => [v, []]));
  const untrained = adapter === null;
  const run = (ids: number[], v: Variant) =>
    decode(rt, ids, {
      adapter,
      maxTokens: Math.min(384, rt.config.max_position_embeddings - ids.length),
      constraint: grammar.matcher(),
      ...variantOptions(v, caches, histories),
    });
  await run(mapperPromptIds(rt, tasks[0]!, catalog, untrained), 'plain'); // warm-up: first grammar masks
  for (const [i, task] of tasks.entries()) {
    const ids = mapperPromptIds(rt, task, catalog, untrained);
    const order = VARIANTS.map((_, k) => VARIANTS[(k + i) % VARIANTS.length]!);
    const outs = new Map<Variant, number[]>();
    for (const v of order) {
      const t0 = performance.now();
      const r = await run(ids, v);
      const ms = performance.now() - t0;
      outs.set(
        v,
        r.tokens.map((t) => t.id),
      );
      samples.get(v)!.push({
        ms,
        steps: r.timings.modelSteps,
        prompt: ids.length,
        prefilled: ids.length - r.timings.reusedPromptTokens,
        drafted: r.timings.draftTokens,
        accepted: r.timings.acceptedDraftTokens,
        tokens: r.tokens.length,
        same: true,
      });
    }
    const plain = outs.get('plain')!.join();
    for (const v of VARIANTS) samples.get(v)!.at(-1)!.same = outs.get(v)!.join() === plain;
  }
  return samples;
}

function row(label: string, v: string, s: Sample[]): string {
  const ms = s.map((x) => x.ms);
  const cols = [
    label.padEnd(28),
    v.padEnd(10),
    pct(ms, 0.5).toFixed(0).padStart(6),
    pct(ms, 0.95).toFixed(0).padStart(6),
    mean(s.map((x) => x.steps))
      .toFixed(1)
      .padStart(6),
    mean(s.map((x) => x.tokens))
      .toFixed(1)
      .padStart(6),
    mean(s.map((x) => x.prompt))
      .toFixed(0)
      .padStart(6),
    mean(s.map((x) => x.prefilled))
      .toFixed(0)
      .padStart(6),
    `${mean(s.map((x) => x.accepted)).toFixed(1)}/${mean(s.map((x) => x.drafted)).toFixed(1)}`.padStart(10),
    `${s.filter((x) => x.same).length}/${s.length}`.padStart(6),
    `  load ${load()}`,
  ];
  return cols.join(' ');
}

/** `mapTask` with its defaults (operation scoring, copy constraint, both features); a failure is printed. */
async function endToEnd(
  rt: BaseRuntime,
  spec: string,
  catalog: Catalog,
  tasks: string[],
  adapter: LoraAdapter,
): Promise<void> {
  const label = `${`${spec} trained`.padEnd(28)} ${'mapTask'.padEnd(10)}`;
  try {
    const ms: number[] = [];
    for (const task of tasks) {
      ms.push((await mapTask(rt, task, { catalog, adapter, untrained: false })).latencyMs);
    }
    const cols = [pct(ms, 0.5), pct(ms, 0.95)].map((x) => x.toFixed(0).padStart(6)).join(' ');
    console.log(`${label} ${cols}   (defaults, end to end)  load ${load()}`);
  } catch (e) {
    console.log(`${label} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function mode(quant: WeightQuant): Promise<void> {
  const rt = await loadRuntime(source, {
    quant,
    threads: values.threads === undefined ? undefined : Number(values.threads),
    accuracyLevel: values.accuracy === undefined ? undefined : (Number(values.accuracy) as 1 | 4),
  });
  console.log(`\n## ${quant} (runtime load ${rt.loadSeconds.toFixed(1)} s, load average ${load()})`);
  console.log(
    `${'spec / prompt'.padEnd(28)} ${'variant'.padEnd(10)} ${'p50'.padStart(6)} ${'p95'.padStart(6)} ${'steps'.padStart(6)} ${'tokens'.padStart(6)} ${'prompt'.padStart(6)} ${'prefil'.padStart(6)} ${'acc/draft'.padStart(10)} ${'same'.padStart(6)}`,
  );
  const all = new Map<Variant, Sample[]>(VARIANTS.map((v) => [v, []]));
  const n = Number(values.tasks);
  for (const spec of values.specs.split(',')) {
    const catalog = (await loadSpecFile(`${EVAL_DEV}/specs/${SPECS[spec]!}`)).catalog;
    const tasks = tasksOf(spec, n);
    const dir = adapterDir(spec);
    const kinds: [string, LoraAdapter | null][] = [['untrained', null]];
    if (dir) kinds.push([`trained ${path.basename(dir)}`, await loadAdapter(dir)]);
    for (const [kind, adapter] of kinds) {
      const res = await measure(rt, catalog, tasks, adapter);
      for (const v of VARIANTS) {
        console.log(row(`${spec} ${kind.split(' ')[0]}`, v, res.get(v)!));
        all.get(v)!.push(...res.get(v)!);
      }
      if (adapter) await endToEnd(rt, spec, catalog, tasks, adapter);
    }
  }
  for (const v of VARIANTS) console.log(row('ALL', v, all.get(v)!));
  await releaseRuntimes();
}

console.log(
  `bench/latency: ${source}, ${values.tasks} tasks per spec, lookup ${JSON.stringify(lookup)}, ${os.cpus().length} cores`,
);
for (const m of values.modes.split(',')) await mode(m as WeightQuant);
