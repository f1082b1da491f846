/**
 * The mapper end to end on the real SmolLM2-135M-Instruct: for each eval-dev spec, synthesise its dataset
 * (data/), train a LoRA adapter through the same job functions a worker runs (claimNextJob → runTrainJob →
 * finishTrainingJob, in this process), then `evaluate` it on the eval-dev tasks (`<eval-dev>/tasks/<spec>.jsonl`;
 * the folder: --eval-dev DIR or $SMOLMAP_EVAL_DEV, see eval-dev.ts). Prints per spec and as the mean: endpoint / exact / valid /
 * parameter F1, latency p50/p95, training seconds, steps, tokens/s and the load average (2 shared cores skew
 * every timing), then every non-exact answer grouped by error kind. Asserts nothing (targets: valid 100 %,
 * endpoint >= 95 %, exact >= 85 %, p50 <= 250 ms on 2 cores).
 *
 *   npx tsx bench/mapper.ts [--steps K | --steps-per-op S] [--min-steps M] [--count N] [--rank R] [--lr X]
 *                          [--batch B] [--layers top:N|a-b] [--warmup W] [--quant f32|q8|q4] [--specs a,b]
 *                          [--dir DIR] [--reuse] [--eval-every E] [--eval-dev DIR]
 * `--steps-per-op` scales the steps with the spec's operation count (more operations, more to learn).
 * `--layers top:10` adapts only the last 10 decoder layers: the backward pass then stops there, so a step
 * costs far less. The real model: $SMOLMAP_REAL_MODEL, else ~/.cache/smolmap/gguf/SmolLM2-135M-Instruct.Q4_1.gguf.
 * `--reuse` evaluates the adapters already trained in DIR instead of training new ones.
 * Defaults are the product's (`smolmap train`, train/options.ts): lr, batch, warmup, max(min-steps,
 * steps-per-op × operations) steps, and the generator's default example count for the spec.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import {
  addSpec,
  evaluate,
  importModel,
  listAdapters,
  loadSpecFile,
  meanScores,
  openEngine,
  type Catalog,
  type Engine,
  type EvaluateResult,
  type WeightQuant,
} from '../src/engine/index.js';
import { parseTrainOptions } from '../src/engine/train/options.js';
import { EVAL_DEV, EVAL_DEV_OPTION, SPECS } from './eval-dev.js';
import { reportFailures, type Expected } from './failures.js';
import { REAL_MODEL } from './real-model.js';
import { load1 as load, trainAdapter, type Trained } from './train-adapter.js';

const TRAIN_DEFAULTS = parseTrainOptions({});
const NUM_LAYERS = 30; // SmolLM2-135M

const { values } = parseArgs({
  options: {
    ...EVAL_DEV_OPTION,
    steps: { type: 'string' },
    'steps-per-op': { type: 'string' },
    'min-steps': { type: 'string', default: String(TRAIN_DEFAULTS.minSteps) },
    count: { type: 'string' },
    rank: { type: 'string', default: '16' },
    lr: { type: 'string', default: String(TRAIN_DEFAULTS.lr) },
    batch: { type: 'string', default: String(TRAIN_DEFAULTS.batchSize) },
    layers: { type: 'string', default: 'all' },
    warmup: { type: 'string', default: String(TRAIN_DEFAULTS.warmupRatio) },
    'eval-every': { type: 'string', default: '0' },
    quant: { type: 'string', default: 'f32' },
    specs: { type: 'string', default: Object.keys(SPECS).join(',') },
    dir: { type: 'string', default: path.join(os.tmpdir(), 'smolmap-bench-mapper') },
    reuse: { type: 'boolean', default: false },
  },
});
const gguf = REAL_MODEL;
const quant = values.quant as WeightQuant;

/** "all" | "top:N" (the last N layers) | "a-b" (inclusive). */
function parseLayers(spec: string): number[] | null {
  if (spec === 'all') return null;
  const top = /^top:(\d+)$/.exec(spec);
  if (top) {
    const n = Number(top[1]);
    return Array.from({ length: n }, (_, i) => NUM_LAYERS - n + i);
  }
  const range = /^(\d+)-(\d+)$/.exec(spec);
  if (range) {
    const [a, b] = [Number(range[1]), Number(range[2])];
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  }
  throw new Error(`--layers: expected all, top:N or a-b, got ${spec}`);
}

const recipe = {
  count: values.count === undefined ? undefined : Number(values.count),
  rank: Number(values.rank),
  lr: Number(values.lr),
  batch: Number(values.batch),
  warmupRatio: Number(values.warmup),
  layers: parseLayers(values.layers),
};

function stepsFor(operations: number): number {
  if (values.steps) return Number(values.steps);
  const perOp = Number(values['steps-per-op'] ?? TRAIN_DEFAULTS.stepsPerOperation);
  return Math.max(Number(values['min-steps']), Math.round(perOp * operations));
}

function train(engine: Engine, spec: string, steps: number): Promise<Trained> {
  return trainAdapter(engine, {
    spec,
    ...(recipe.count !== undefined && { count: recipe.count }),
    train: {
      steps,
      batchSize: recipe.batch,
      lr: recipe.lr,
      warmupRatio: recipe.warmupRatio,
      evalEvery: Number(values['eval-every']),
      checkpointEvery: 0,
      lora: { r: recipe.rank, alpha: 2 * recipe.rank, layers: recipe.layers },
    },
  });
}

/** Every non-exact answer, grouped by error kind, against the eval-dev task file's expected calls. */
function reportEvalDevFailures(spec: string, r: EvaluateResult, catalog: Catalog): void {
  const byTask = new Map(
    readFileSync(`${EVAL_DEV}/tasks/${spec}.jsonl`, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => {
        const d = JSON.parse(l) as { task: string; expected: Expected };
        return [d.task, d.expected] as const;
      }),
  );
  reportFailures(spec, r.failures, byTask, catalog);
}

// ---- table ---------------------------------------------------------------------------------------------------

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`.padStart(7);

function row(
  name: string,
  r: Pick<EvaluateResult, 'endpointAccuracy' | 'exactMatch' | 'validRate' | 'paramF1'>,
  p50: number,
  p95: number,
  t?: Trained,
): string {
  const train = t
    ? `${t.seconds.toFixed(0).padStart(7)}${String(t.steps).padStart(6)}${Math.round(t.tokensPerSecond).toString().padStart(7)}${t.load.padStart(6)}`
    : '';
  return `${name.padEnd(14)}${pct(r.endpointAccuracy)}${pct(r.exactMatch)}${pct(r.validRate)}${pct(r.paramF1)}${p50.toFixed(0).padStart(8)}${p95.toFixed(0).padStart(8)}${train}`;
}

async function main(): Promise<void> {
  const engine = await openEngine({
    dataDir: path.join(values.dir, 'data'),
    modelsDir: path.join(values.dir, 'models'),
  });
  if (!(await engine.store.read()).baseModels.some((b) => b.name === 'smollm2')) {
    await importModel(engine, gguf, { name: 'smollm2' });
  }
  console.log(
    `recipe: ${JSON.stringify({ ...recipe, steps: values.steps ?? `max(${values['min-steps']}, ${values['steps-per-op'] ?? TRAIN_DEFAULTS.stepsPerOperation}/op)`, quant, threads: os.availableParallelism() })}`,
  );
  const results: [string, EvaluateResult, Trained | undefined][] = [];
  for (const spec of values.specs.split(',')) {
    const file = SPECS[spec];
    if (!file) throw new Error(`unknown eval-dev spec ${spec}`);
    await addSpec(engine, `${EVAL_DEV}/specs/${file}`, { name: spec });
    const { catalog } = await loadSpecFile(`${EVAL_DEV}/specs/${file}`);
    let trained: Trained | undefined;
    let model: string | undefined;
    if (values.reuse) model = (await listAdapters(engine, { spec })).at(-1)?.id;
    else {
      trained = await train(engine, spec, stepsFor(catalog.operations.length));
      model = trained.model;
    }
    if (!model) throw new Error(`no adapter for ${spec} in ${values.dir}; run without --reuse`);
    const r = await evaluate(engine, { spec, model, tasks: `${EVAL_DEV}/tasks/${spec}.jsonl`, quant });
    results.push([spec, r, trained]);
    console.log(row(spec, r, r.latencyMs.p50, r.latencyMs.p95, trained) + `  (eval load ${load()})`);
    reportEvalDevFailures(spec, r, catalog);
  }
  const head = `\n${'spec'.padEnd(14)}${'endpt'.padStart(7)}${'exact'.padStart(7)}${'valid'.padStart(7)}${'F1'.padStart(7)}${'p50 ms'.padStart(8)}${'p95 ms'.padStart(8)}`;
  console.log(
    values.reuse
      ? head
      : `${head}${'train s'.padStart(7)}${'steps'.padStart(6)}${'tok/s'.padStart(7)}${'load'.padStart(6)}`,
  );
  for (const [spec, r, t] of results) console.log(row(spec, r, r.latencyMs.p50, r.latencyMs.p95, t));
  const m = meanScores(results.map(([, r]) => r));
  const avg = (k: 'p50' | 'p95'): number =>
    results.reduce((s, [, r]) => s + r.latencyMs[k], 0) / results.length;
  console.log(row('mean', m, avg('p50'), avg('p95')) + `  (load now ${load()})`);
}

await main();
