/**
 * What the mapper's decoding choices are worth on eval-dev (real specs, human tasks), with the real
 * SmolLM2-135M: the same tasks through several variants of `mapTask`, back to back per task so load affects
 * them alike. Variants: `before` (greedy operation tokens, free strings: the plain greedy decoder), `copy` (copy-
 * constrained strings, greedy operation), `copy+sum` / `copy+mean` (operation chosen by sequence score, summed
 * or per-token mean log-probability). Prints endpoint / exact / valid / parameter F1, mean latency and model
 * steps per variant and spec, the mean over specs, and the load average. Asserts nothing.
 *
 *   npx tsx bench/decoding-accuracy.ts [--eval-dev DIR] [--specs a,b] [--variants before,copy,copy+key3,copy+sum,copy+mean]
 *                                      [--adapters DIR] [--quant f32|q8|q4] [--limit N] [--max-tokens K] [--show] [--no-picks]
 *                                      [--graph fast|standard]
 * `--variants none` runs only the operation scoring (which operation each scoring picks; cheap); `--no-picks`
 * skips that scoring. `copy+keyB`: copy, greedy operation, the key processors' knob B (processors/index.ts; the default is 3);
 * `+sib`: with the sibling filter (processors/siblings.ts) (the default; every other variant runs without it).
 * `--adapters DIR`: evaluate trained adapters DIR/<spec>/ (PEFT folders) instead of the untrained base prompt.
 * The real model: $SMOLMAP_REAL_MODEL, else ~/.cache/smolmap/gguf/SmolLM2-135M-Instruct.Q4_1.gguf.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import type { ExpectedCall } from '../src/engine/calls.js';
import { callGrammar } from '../src/engine/infer/grammar/call-grammar.js';
import { mapperPromptIds, mapTask, type MapOptions } from '../src/engine/infer/mapper.js';
import { chooseOperation, operationOpenings } from '../src/engine/infer/op-choice.js';
import { loadRuntime, type BaseRuntime } from '../src/engine/infer/runtime.js';
import { loadAdapter, type LoraAdapter } from '../src/engine/model/lora.js';
import type { WeightQuant } from '../src/engine/model/quant.js';
import { loadSpecFile } from '../src/engine/specs/ingest.js';
import type { Catalog, Operation } from '../src/engine/specs/types.js';
import { scoreCalls } from '../src/engine/train/metrics.js';
import { EVAL_DEV, EVAL_DEV_OPTION, SPECS } from './eval-dev.js';
import { REAL_MODEL } from './real-model.js';

const VARIANTS: Record<string, Pick<MapOptions, 'copy' | 'operation' | 'keyBias' | 'siblings'>> = {
  before: { copy: false, operation: 'greedy', keyBias: 0, siblings: false },
  copy: { copy: true, operation: 'greedy', keyBias: 0, siblings: false },
  'copy+key2': { copy: true, operation: 'greedy', keyBias: 2, siblings: false },
  'copy+key3': { copy: true, operation: 'greedy', keyBias: 3, siblings: false },
  'copy+key4': { copy: true, operation: 'greedy', keyBias: 4, siblings: false },
  'copy+key3+sib': { copy: true, operation: 'greedy', keyBias: 3, siblings: true },
  'copy+key4+sib': { copy: true, operation: 'greedy', keyBias: 4, siblings: true },
  'copy+trie': { copy: true, operation: 'trie', siblings: false },
  'copy+trie+sib': { copy: true, operation: 'trie', siblings: true },
  'copy+sum': { copy: true, operation: 'sum', siblings: false },
  'copy+mean': { copy: true, operation: 'mean', siblings: false },
};

const { values } = parseArgs({
  options: {
    ...EVAL_DEV_OPTION,
    specs: { type: 'string', default: Object.keys(SPECS).join(',') },
    variants: { type: 'string', default: Object.keys(VARIANTS).join(',') },
    adapters: { type: 'string' },
    quant: { type: 'string', default: 'f32' },
    limit: { type: 'string', default: '0' },
    show: { type: 'boolean', default: false },
    'max-tokens': { type: 'string', default: '384' },
    graph: { type: 'string', default: 'fast' },
    'no-picks': { type: 'boolean', default: false },
  },
});
const gguf = REAL_MODEL;
const variants = (values.variants ?? '').split(',').filter((v) => v in VARIANTS);
const load = (): string => os.loadavg()[0]!.toFixed(1);

interface Tally {
  items: { predicted: Parameters<typeof scoreCalls>[0][number]['predicted']; expected: ExpectedCall }[];
  ms: number[];
  steps: number[];
}

async function main(): Promise<void> {
  const rt = await loadRuntime(gguf, {
    quant: values.quant as WeightQuant,
    graph: values.graph === 'standard' ? 'standard' : 'fast',
  });
  console.log(`model ${gguf} (${values.quant}), load average ${load()}`);
  const means = new Map<string, number[][]>();
  for (const spec of (values.specs ?? '').split(',')) {
    const file = SPECS[spec];
    if (!file) throw new Error(`unknown spec ${spec}`);
    const { catalog } = await loadSpecFile(`${EVAL_DEV}/specs/${file}`);
    currentSpec = spec;
    let tasks = readFileSync(`${EVAL_DEV}/tasks/${spec}.jsonl`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { task: string; expected: ExpectedCall });
    if (Number(values.limit) > 0) tasks = tasks.slice(0, Number(values.limit));
    const adapterDir = values.adapters ? path.join(values.adapters, spec) : null;
    const adapter: LoraAdapter | null =
      adapterDir && existsSync(adapterDir) ? await loadAdapter(adapterDir) : null;
    if (values.adapters && !adapter) console.log(`${spec}: no adapter in ${adapterDir}, untrained prompt`);
    const tallies = new Map<string, Tally>(variants.map((v) => [v, { items: [], ms: [], steps: [] }]));
    for (const { task, expected } of tasks) {
      for (const v of variants) {
        const r = await mapTask(rt, task, {
          catalog,
          adapter,
          untrained: !adapter,
          maxTokens: Number(values['max-tokens']),
          ...VARIANTS[v],
        });
        const t = tallies.get(v)!;
        t.items.push({ predicted: r.call, expected });
        t.ms.push(r.latencyMs);
        t.steps.push(r.modelSteps);
        if (values.show && scoreCalls([{ predicted: r.call, expected }], catalog).exactMatch < 1)
          console.log(`  ${v}: ${task}\n    → ${r.text}`);
      }
      if (!values['no-picks']) picks(await opPicks(rt, task, catalog, adapter), expected);
    }
    const pick = pickCounts.get(spec) ?? { trie: 0, sum: 0, mean: 0, n: 0 };
    if (pick.n > 0)
      console.log(
        `${spec.padEnd(13)} operation right by sequence score (${pick.n} tasks): ` +
          SCORINGS.map((k) => `${k} ${pct(pick[k] / pick.n)}`).join(', ') +
          `  (load ${load()})`,
      );
    for (const v of variants) {
      const t = tallies.get(v)!;
      const s = scoreCalls(t.items, catalog);
      const row = [s.endpointAccuracy, s.exactMatch, s.validRate, s.paramF1];
      means.set(v, [...(means.get(v) ?? []), row]);
      const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
      console.log(
        `${spec.padEnd(13)} ${v.padEnd(10)} ${adapter ? 'trained  ' : 'untrained'} endpoint ${pct(row[0]!)} ` +
          `exact ${pct(row[1]!)} valid ${pct(row[2]!)} paramF1 ${row[3]!.toFixed(3)}  ` +
          `mean ${avg(t.ms).toFixed(0)} ms, ${avg(t.steps).toFixed(1)} model steps  (load ${load()})`,
      );
    }
  }
  const specs = [...pickCounts.values()];
  if (specs.length > 0)
    console.log(
      `MEAN          operation right by sequence score: ` +
        SCORINGS.map((k) => `${k} ${pct(specs.reduce((a, c) => a + c[k] / c.n, 0) / specs.length)}`).join(
          ', ',
        ),
    );
  for (const [v, rows] of means) {
    const m = (k: number): number => rows.reduce((a, r) => a + r[k]!, 0) / rows.length;
    console.log(
      `MEAN          ${v.padEnd(10)} endpoint ${pct(m(0))} exact ${pct(m(1))} valid ${pct(m(2))} paramF1 ${m(3).toFixed(3)}`,
    );
  }
}

const SCORINGS = ['trie', 'sum', 'mean'] as const;
const pickCounts = new Map<string, Record<(typeof SCORINGS)[number] | 'n', number>>();
let currentSpec = '';

/** The operation each scoring picks, from one unpruned scoring run. */
async function opPicks(
  rt: BaseRuntime,
  task: string,
  catalog: Catalog,
  adapter: LoraAdapter | null,
): Promise<Record<(typeof SCORINGS)[number], Operation>> {
  const openings = operationOpenings(catalog, callGrammar(catalog, rt.tokenizer));
  const prompt = mapperPromptIds(rt, task, catalog, !adapter);
  const c = await chooseOperation(rt, prompt, openings, { adapter, prune: false });
  let shared = 0;
  while (openings.every((o) => o.length > shared + 1 && o[shared] === openings[0]![shared])) shared++;
  const argmax = (xs: number[]): Operation => catalog.operations[xs.indexOf(Math.max(...xs))]!;
  return {
    trie: argmax(c.conditional),
    sum: argmax(c.logprobs),
    mean: argmax(c.logprobs.map((lp, i) => lp / (openings[i]!.length - shared))),
  };
}

function picks(p: Record<(typeof SCORINGS)[number], Operation>, expected: ExpectedCall): void {
  const c = pickCounts.get(currentSpec) ?? { trie: 0, sum: 0, mean: 0, n: 0 };
  for (const k of SCORINGS) c[k] += p[k].method === expected.method && p[k].path === expected.path ? 1 : 0;
  c.n++;
  pickCounts.set(currentSpec, c);
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)} %`.padStart(7);
}

await main();
