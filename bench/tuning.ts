/**
 * The mapper on the team's own tuning set (bench/tuning/, tuning-set.ts): per spec, add the spec, train an
 * adapter with the product defaults (what `smolmap train --spec S` does: the generator's default data and the
 * step recipe of train/options.ts; only checkpoints are off, since nothing resumes here), then `evaluate` it on
 * the spec's tasks. Prints per spec and as the mean: endpoint / exact / valid / parameter F1, exact on the
 * answerable tasks alone, latency p50/p95 and training figures with the load average, then every non-exact
 * answer grouped by error kind. A clarify line (its task omits a required value) scores as the eval-dev rules
 * score it: a call that fills the value is a miss; such misses are grouped apart. Asserts nothing.
 *
 *   npx tsx bench/tuning.ts [--split tune|frozen|all] [--specs a,b] [--steps K] [--quant f32|q8|q4|i8|auto]
 *                           [--dir DIR] [--reuse] [--loso] [--knobs JSON]
 * `--split` picks the specs of split.json (default tune); `--specs` narrows them to the named ones.
 * `--steps` overrides the recipe's step count (for a quick end-to-end check, not for figures).
 * `--reuse` evaluates the adapters already trained in DIR instead of training new ones.
 * `--knobs '{"keyBias":5,"valueBias":8,"operation":"trie"}'` sets decoding knobs (processors/index.ts, the
 * operation choice of mapper.ts) for every task.
 * `--loso` adds the leave-one-spec-out table: each spec scored with the other specs of the run as the tuning
 * pool. No decoding knob is fitted on the pool yet, so a spec's held-out figures are its own row and the
 * leave-one-spec-out mean is the mean of the rows; the table says so.
 * The real model: $SMOLMAP_REAL_MODEL, else ~/.cache/smolmap/gguf/SmolLM2-135M-Instruct.Q4_1.gguf.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import {
  addSpec,
  checkQuant,
  evaluate,
  importModel,
  listAdapters,
  loadSpecFile,
  meanScores,
  openEngine,
  type Engine,
  type EvaluateOptions,
  type EvaluateResult,
  type TrainOptionsInput,
  type QuantRequest,
} from '../src/engine/index.js';
import { reportFailures } from './failures.js';
import { REAL_MODEL, loadAverages } from './real-model.js';
import { load1, trainAdapter, type Trained } from './train-adapter.js';
import { readTuningTasks, specPath, splitSpecs, type SplitName, type TuningTask } from './tuning-set.js';

const { values } = parseArgs({
  options: {
    split: { type: 'string', default: 'tune' },
    specs: { type: 'string' },
    steps: { type: 'string' },
    quant: { type: 'string', default: 'f32' },
    dir: { type: 'string', default: path.join(os.tmpdir(), 'smolmap-bench-tuning') },
    reuse: { type: 'boolean', default: false },
    loso: { type: 'boolean', default: false },
    knobs: { type: 'string' },
  },
});

/** The decoding knobs of `--knobs`, checked. */
const knobs = ((): EvaluateOptions['knobs'] => {
  if (values.knobs === undefined) return undefined;
  const parsed = JSON.parse(values.knobs) as Record<string, unknown>;
  for (const [k, v] of Object.entries(parsed)) {
    const number = (k === 'keyBias' || k === 'valueBias') && typeof v === 'number';
    const scoring = k === 'operation' && ['greedy', 'trie', 'sum', 'mean'].includes(String(v));
    if (!number && !scoring)
      throw new Error(
        `--knobs: expected keyBias, valueBias (numbers), operation (greedy|trie|sum|mean); got ${k}`,
      );
  }
  return parsed as EvaluateOptions['knobs'];
})();

function chosenSpecs(): string[] {
  const split = values.split;
  if (split !== 'tune' && split !== 'frozen' && split !== 'all')
    throw new Error(`--split: expected tune, frozen or all, got ${split}`);
  const pool = splitSpecs(split as SplitName | 'all');
  if (values.specs === undefined) return pool;
  const named = values.specs.split(',').filter(Boolean);
  const outside = named.filter((s) => !pool.includes(s));
  if (outside.length > 0)
    throw new Error(`--specs: ${outside.join(', ')} not in the ${split} split (${pool.join(', ')})`);
  return named;
}

interface SpecRun {
  spec: string;
  result: EvaluateResult;
  /** Exact-call share over the tasks without a clarify mark. */
  answerableExact: number;
  clarify: number;
  trained: Trained | undefined;
}

async function runSpec(engine: Engine, spec: string, quant: QuantRequest): Promise<SpecRun> {
  const file = specPath(spec);
  await addSpec(engine, file, { name: spec });
  const { catalog } = await loadSpecFile(file);
  let trained: Trained | undefined;
  let model: string | undefined;
  if (values.reuse) model = (await listAdapters(engine, { spec })).at(-1)?.id;
  else {
    const train: TrainOptionsInput = { checkpointEvery: 0 };
    if (values.steps !== undefined) train.steps = Number(values.steps);
    trained = await trainAdapter(engine, { spec, train });
    model = trained.model;
  }
  if (!model) throw new Error(`no adapter for ${spec} in ${values.dir}; run without --reuse`);
  const tasks = readTuningTasks(spec);
  const tasksArg = tasks.map(({ task, expected }) => ({ task, expected }));
  const result = await evaluate(engine, { spec, model, tasks: tasksArg, quant, knobs });
  const clarifyTasks = new Set(tasks.filter((t) => t.clarify.length > 0).map((t) => t.task));
  const answerable = tasks.length - clarifyTasks.size;
  const answerableMisses = result.failures.filter((f) => !clarifyTasks.has(f.task)).length;
  const run: SpecRun = {
    spec,
    result,
    answerableExact: answerable === 0 ? 0 : (answerable - answerableMisses) / answerable,
    clarify: clarifyTasks.size,
    trained,
  };
  console.log(row(run) + `  (eval load ${load1()})`);
  const byTask = new Map(tasks.map((t: TuningTask) => [t.task, t.expected] as const));
  reportFailures(spec, result.failures, byTask, catalog, (task) =>
    clarifyTasks.has(task) ? 'clarify task answered with a call' : undefined,
  );
  return run;
}

// ---- table ---------------------------------------------------------------------------------------------------

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`.padStart(8);

const HEAD =
  `${'spec'.padEnd(20)}${'n'.padStart(4)}${'clar'.padStart(5)}${'endpt'.padStart(8)}${'exact'.padStart(8)}` +
  `${'ex-ans'.padStart(8)}${'valid'.padStart(8)}${'F1'.padStart(8)}${'p50 ms'.padStart(8)}${'p95 ms'.padStart(8)}`;
const TRAIN_HEAD = `${'train s'.padStart(8)}${'steps'.padStart(6)}${'tok/s'.padStart(7)}${'load'.padStart(6)}`;

function row(r: SpecRun, name = r.spec): string {
  const e = r.result;
  const t = r.trained;
  const train = t
    ? `${t.seconds.toFixed(0).padStart(8)}${String(t.steps).padStart(6)}${Math.round(t.tokensPerSecond).toString().padStart(7)}${t.load.padStart(6)}`
    : '';
  return (
    `${name.padEnd(20)}${String(e.n).padStart(4)}${String(r.clarify).padStart(5)}${pct(e.endpointAccuracy)}` +
    `${pct(e.exactMatch)}${pct(r.answerableExact)}${pct(e.validRate)}${pct(e.paramF1)}` +
    `${e.latencyMs.p50.toFixed(0).padStart(8)}${e.latencyMs.p95.toFixed(0).padStart(8)}${train}`
  );
}

function meanRow(runs: readonly SpecRun[], name: string): string {
  const m = meanScores(runs.map((r) => r.result));
  const avg = (f: (r: SpecRun) => number): number => runs.reduce((s, r) => s + f(r), 0) / runs.length;
  return (
    `${name.padEnd(20)}${String(runs.reduce((s, r) => s + r.result.n, 0)).padStart(4)}` +
    `${String(runs.reduce((s, r) => s + r.clarify, 0)).padStart(5)}${pct(m.endpointAccuracy)}${pct(m.exactMatch)}` +
    `${pct(avg((r) => r.answerableExact))}${pct(m.validRate)}${pct(m.paramF1)}` +
    `${avg((r) => r.result.latencyMs.p50)
      .toFixed(0)
      .padStart(8)}${avg((r) => r.result.latencyMs.p95)
      .toFixed(0)
      .padStart(8)}`
  );
}

function printLoso(runs: readonly SpecRun[]): void {
  console.log(
    `\nleave-one-spec-out (each spec held out, the other ${runs.length - 1} as the tuning pool). No decoding knob` +
      " is fitted on the pool yet, so each held-out figure is the spec's own row and the mean is the mean of the rows.",
  );
  console.log(HEAD);
  for (const r of runs) console.log(row({ ...r, trained: undefined }, `-${r.spec}`));
  console.log(meanRow(runs, 'LOSO mean'));
}

async function main(): Promise<void> {
  const specs = chosenSpecs();
  const quant = checkQuant(values.quant);
  const engine = await openEngine({
    dataDir: path.join(values.dir, 'data'),
    modelsDir: path.join(values.dir, 'models'),
  });
  if (!(await engine.store.read()).baseModels.some((b) => b.name === 'smollm2'))
    await importModel(engine, REAL_MODEL, { name: 'smollm2' });
  console.log(
    `tuning set, ${values.split} split: ${specs.join(', ')}; ${values.reuse ? 'reusing adapters' : `training with the product defaults${values.steps ? `, ${values.steps} steps` : ''}`}; ${quant}${knobs ? `; knobs ${JSON.stringify(knobs)}` : ''}; ${os.availableParallelism()} threads; load ${loadAverages()}`,
  );
  const runs: SpecRun[] = [];
  for (const spec of specs) runs.push(await runSpec(engine, spec, quant));
  console.log(`\n${HEAD}${values.reuse ? '' : TRAIN_HEAD}`);
  for (const r of runs) console.log(row(r));
  console.log(meanRow(runs, 'mean') + `  (load ${loadAverages()})`);
  console.log(
    'ex-ans: exact call over the tasks without a clarify mark; clar: tasks whose right answer asks.',
  );
  if (values.loso) printLoso(runs);
}

await main();
