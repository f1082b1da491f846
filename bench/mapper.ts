/**
 * The mapper end to end on the real SmolLM2-135M-Instruct (issue 7 "Done when"): for each eval-dev spec,
 * synthesise its dataset (data/), train a LoRA adapter through the same job functions a worker runs
 * (claimNextJob → runTrainJob → finishTrainingJob, in this process), then `evaluate` it on
 * /work/shared/eval-dev/tasks/<spec>.jsonl. Prints endpoint / exact / valid / parameter F1 and latency p50/p95
 * per spec and the mean over specs, with the training settings. Asserts nothing (targets: valid 100 %,
 * endpoint >= 95 %, exact >= 85 %, p50 <= 250 ms on 2 cores).
 *
 *   npx tsx bench/mapper.ts [--steps K] [--count N] [--rank R] [--lr X] [--batch B] [--quant f32|q8|q4]
 *                          [--specs a,b] [--dir DIR] [--reuse]
 * The real model: $SMOLMAP_REAL_MODEL, else ~/.cache/smolmap/gguf/SmolLM2-135M-Instruct.Q4_1.gguf.
 * `--reuse` evaluates the adapters already trained in DIR instead of training new ones.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import {
  addSpec,
  claimNextJob,
  evaluate,
  finishTrainingJob,
  importModel,
  listAdapters,
  meanScores,
  openEngine,
  runTrainJob,
  startTraining,
  type Engine,
  type EvaluateResult,
  type WeightQuant,
} from '../src/engine/index.js';

const EVAL_DEV = '/work/shared/eval-dev';
const SPECS: Record<string, string> = {
  'train-travel': 'train-travel.yaml',
  alertmanager: 'alertmanager.yaml',
  deepl: 'deepl.yaml',
  firecrawl: 'firecrawl.json',
};

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '120' },
    count: { type: 'string', default: '600' },
    rank: { type: 'string', default: '16' },
    lr: { type: 'string', default: '1e-3' },
    batch: { type: 'string', default: '8' },
    quant: { type: 'string', default: 'f32' },
    specs: { type: 'string', default: Object.keys(SPECS).join(',') },
    dir: { type: 'string', default: path.join(os.tmpdir(), 'smolmap-bench-mapper') },
    reuse: { type: 'boolean', default: false },
  },
});
const gguf =
  process.env['SMOLMAP_REAL_MODEL'] ??
  path.join(os.homedir(), '.cache/smolmap/gguf/SmolLM2-135M-Instruct.Q4_1.gguf');
const settings = {
  steps: Number(values.steps),
  count: Number(values.count),
  rank: Number(values.rank),
  lr: Number(values.lr),
  batch: Number(values.batch),
};
const quant = values.quant as WeightQuant;

async function train(engine: Engine, spec: string): Promise<string> {
  const t0 = performance.now();
  await startTraining(engine, {
    spec,
    count: settings.count,
    train: {
      steps: settings.steps,
      batchSize: settings.batch,
      lr: settings.lr,
      evalEvery: 0,
      checkpointEvery: 0,
      lora: { r: settings.rank, alpha: 2 * settings.rank },
    },
  });
  const claimed = await claimNextJob(engine);
  if (!claimed) throw new Error('the queued training job was not claimable');
  let last = 0;
  const result = await runTrainJob(claimed.input, {
    onProgress: (p) => {
      if (Date.now() - last < 15_000) return;
      last = Date.now();
      process.stderr.write(`  ${spec}: step ${p.step}/${p.totalSteps} loss ${p.loss?.toFixed(4)}\n`);
    },
    onCheckpoint: () => undefined,
    stopRequested: () => false,
  });
  await finishTrainingJob(engine, claimed.job.id, result);
  const s = (performance.now() - t0) / 1000;
  console.log(
    `${spec}: trained ${result.step} steps in ${s.toFixed(0)} s (${Math.round(result.tokensPerSecond)} tok/s), ` +
      `train loss ${result.trainLoss?.toFixed(4)}, val loss ${result.valLoss?.toFixed(4)}, ` +
      `examples ${result.examples.train}/${result.examples.validation} (too long ${result.examples.tooLong})`,
  );
  return claimed.input.modelId;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`.padStart(7);

function row(
  name: string,
  r: Pick<EvaluateResult, 'endpointAccuracy' | 'exactMatch' | 'validRate' | 'paramF1'>,
  p50: number,
  p95: number,
): string {
  return `${name.padEnd(14)}${pct(r.endpointAccuracy)}${pct(r.exactMatch)}${pct(r.validRate)}${pct(r.paramF1)}${p50.toFixed(0).padStart(8)}${p95.toFixed(0).padStart(8)}`;
}

async function main(): Promise<void> {
  const engine = await openEngine({
    dataDir: path.join(values.dir, 'data'),
    modelsDir: path.join(values.dir, 'models'),
  });
  if (!(await engine.store.read()).baseModels.some((b) => b.name === 'smollm2')) {
    await importModel(engine, gguf, { name: 'smollm2' });
  }
  console.log(`settings: ${JSON.stringify({ ...settings, quant, threads: os.availableParallelism() })}`);
  const results: [string, EvaluateResult][] = [];
  for (const spec of values.specs.split(',')) {
    const file = SPECS[spec];
    if (!file) throw new Error(`unknown eval-dev spec ${spec}`);
    await addSpec(engine, `${EVAL_DEV}/specs/${file}`, { name: spec });
    const model = values.reuse
      ? (await listAdapters(engine, { spec })).at(-1)?.id
      : await train(engine, spec);
    if (!model) throw new Error(`no adapter for ${spec} in ${values.dir}; run without --reuse`);
    const r = await evaluate(engine, { spec, model, tasks: `${EVAL_DEV}/tasks/${spec}.jsonl`, quant });
    results.push([spec, r]);
    console.log(row(spec, r, r.latencyMs.p50, r.latencyMs.p95));
    for (const f of r.failures) console.log(`    ✗ ${f.task}\n      expected ${f.expected}, got ${f.output}`);
  }
  console.log(
    `\n${'spec'.padEnd(14)}${'endpt'.padStart(7)}${'exact'.padStart(7)}${'valid'.padStart(7)}${'F1'.padStart(7)}${'p50 ms'.padStart(8)}${'p95 ms'.padStart(8)}`,
  );
  for (const [spec, r] of results) console.log(row(spec, r, r.latencyMs.p50, r.latencyMs.p95));
  const m = meanScores(results.map(([, r]) => r));
  const avg = (k: 'p50' | 'p95'): number =>
    results.reduce((s, [, r]) => s + r.latencyMs[k], 0) / results.length;
  console.log(row('mean', m, avg('p50'), avg('p95')));
}

await main();
