/**
 * Corrections and `train --incremental` on the real SmolLM2-135M-Instruct with examples/petstore.yaml: a full
 * training with the product's defaults, then 10 corrections of tasks phrased unlike the synthetic data, then an
 * incremental run from the active adapter. Prints both wall times (data, session build and training: what a
 * user waits for), their ratio, whether the new adapter was activated (held-out loss not worse), and how each
 * corrected task maps before and after. Asserts nothing.
 *
 *   nice -n 10 npx tsx bench/incremental.ts [--dir DIR] [--full-steps K]
 * `--full-steps` shortens the full training when the machine is too loaded for the default recipe; the summary
 * then also projects the default recipe's time from the measured seconds per step.
 * The real model: $SMOLMAP_REAL_MODEL, else ~/.cache/smolmap/gguf/SmolLM2-135M-Instruct.Q4_1.gguf.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import {
  addSpec,
  ask,
  claimNextJob,
  correctCall,
  finishTrainingJob,
  getJob,
  getSpec,
  importModel,
  normaliseScalars,
  openEngine,
  releaseRuntimes,
  runTrainJob,
  startTraining,
  trainingSummary,
  type Engine,
  type StartTrainingOptions,
  type TrainingSummary,
} from '../src/engine/index.js';
import { REAL_MODEL, loadAverages } from './real-model.js';

const { values } = parseArgs({ options: { dir: { type: 'string' }, 'full-steps': { type: 'string' } } });
const fullSteps = values['full-steps'] === undefined ? undefined : Number(values['full-steps']);

interface Fix {
  task: string;
  operation: string;
  set?: Record<string, string>;
}

/** Ten tasks in words the generator does not use, with the call each should produce. */
const FIXES: Fix[] = [
  {
    task: 'which animals have been adopted already',
    operation: 'GET /pet/findByStatus',
    set: { status: 'sold' },
  },
  { task: 'pull up the record for animal number 77', operation: 'GET /pet/{petId}', set: { petId: '77' } },
  { task: 'take animal 12 off the shop for good', operation: 'DELETE /pet/{petId}', set: { petId: '12' } },
  { task: 'how many items of each kind are in stock', operation: 'GET /store/inventory' },
  { task: 'look up purchase 5', operation: 'GET /store/order/{orderId}', set: { orderId: '5' } },
  { task: 'call off purchase 9', operation: 'DELETE /store/order/{orderId}', set: { orderId: '9' } },
  { task: 'fetch the profile of jdoe', operation: 'GET /user/{username}', set: { username: 'jdoe' } },
  { task: 'end my current session', operation: 'GET /user/logout' },
  {
    task: 'close the account of mallory',
    operation: 'DELETE /user/{username}',
    set: { username: 'mallory' },
  },
  {
    task: 'animals still waiting for an owner',
    operation: 'GET /pet/findByStatus',
    set: { status: 'available' },
  },
];

const SPEC = 'petstore';

/** Queues, runs in this process and records one training job (the worker's functions); wall seconds. */
async function train(
  engine: Engine,
  options: Omit<StartTrainingOptions, 'spec'>,
): Promise<{ seconds: number; summary: TrainingSummary }> {
  const t0 = performance.now();
  const started = await startTraining(engine, { spec: SPEC, ...options });
  const claimed = await claimNextJob(engine);
  if (!claimed) throw new Error('the queued training job was not claimable');
  let last = 0;
  const result = await runTrainJob(claimed.input, {
    onProgress: (p) => {
      if (Date.now() - last < 30_000) return;
      last = Date.now();
      process.stderr.write(
        `  step ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(4)} (load ${loadAverages()})\n`,
      );
    },
    onCheckpoint: () => undefined,
    stopRequested: () => false,
  });
  await finishTrainingJob(engine, claimed.job.id, result);
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, summary: trainingSummary(engine, await getJob(engine, started.job, {})) };
}

/** Whether the model maps each fix's task to its expected call (endpoint and values). */
async function mapsRight(engine: Engine, model?: string): Promise<boolean[]> {
  const out: boolean[] = [];
  for (const f of FIXES) {
    const r = await ask(engine, { spec: SPEC, task: f.task, surface: 'cli', ...(model ? { model } : {}) });
    const [method, p] = f.operation.split(' ');
    // A one-item list and its item are the same query value.
    const flat = Object.entries({ ...r.pathParams, ...r.query }).map(([k, v]) => [
      k,
      Array.isArray(v) && v.length === 1 ? v[0] : v,
    ]);
    const values = normaliseScalars(Object.fromEntries(flat));
    const ok =
      r.method === method &&
      r.path === p &&
      JSON.stringify(values) === JSON.stringify(normaliseScalars(f.set ?? {}));
    console.log(`  ${ok ? 'right' : 'WRONG'}  ${f.task}  →  ${r.method} ${r.url}`);
    out.push(ok);
  }
  return out;
}

const dir = values.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'smolmap-incremental-')));
const engine = await openEngine({ dataDir: path.join(dir, 'data'), modelsDir: path.join(dir, 'models') });
try {
  await importModel(engine, REAL_MODEL, { name: 'smollm2' });
  await addSpec(engine, 'examples/petstore.yaml', { name: SPEC });
  console.log(`dir ${dir}; ${os.availableParallelism()} cores; load ${loadAverages()}`);

  const full = await train(engine, {
    base: 'smollm2',
    ...(fullSteps !== undefined ? { train: { steps: fullSteps } } : {}),
  });
  console.log(
    `full: ${full.summary.model} in ${full.seconds.toFixed(0)} s wall (${full.summary.seconds?.toFixed(0)} s in steps), val loss ${full.summary.valLoss?.toFixed(4)}; load ${loadAverages()}`,
  );
  console.log('before the corrections:');
  const before = await mapsRight(engine);

  for (const f of FIXES)
    await correctCall(engine, {
      spec: SPEC,
      task: f.task,
      operation: f.operation,
      ...(f.set ? { set: f.set } : {}),
      user: 'bench',
      surface: 'cli',
    });
  await releaseRuntimes();

  const inc = await train(engine, { incremental: true });
  const i = inc.summary.incremental!;
  console.log(
    `incremental: ${inc.summary.model} in ${inc.seconds.toFixed(0)} s wall (${inc.summary.seconds?.toFixed(0)} s in steps), ` +
      `${i.corrections} corrections, ${i.replay} rehearsal examples; held-out loss ${i.valLoss?.toFixed(4)} vs ${i.fromValLoss?.toFixed(4)} ` +
      `→ ${i.activated ? 'activated' : 'kept, not active'}; load ${loadAverages()}`,
  );
  console.log('after, with the new adapter:');
  const after = await mapsRight(engine, inc.summary.model ?? undefined);
  const count = (xs: boolean[]) => xs.filter(Boolean).length;
  if (fullSteps !== undefined) {
    // The default recipe for petstore's operations, at the full run's measured wall seconds per step.
    const recipe = Math.max(200, 15 * (await getSpec(engine, SPEC)).catalog.operations.length);
    const projected = (full.seconds / fullSteps) * recipe;
    console.log(
      `projected full training with the default ${recipe} steps: ${projected.toFixed(0)} s; incremental ${((100 * inc.seconds) / projected).toFixed(1)} % of it`,
    );
  }
  console.log(
    `summary: full ${full.seconds.toFixed(0)} s, incremental ${inc.seconds.toFixed(0)} s (${((100 * inc.seconds) / full.seconds).toFixed(1)} % of full); ` +
      `corrected tasks right: ${count(before)}/10 before, ${count(after)}/10 after; new adapter ${i.activated ? 'active' : 'not active'}`,
  );
} finally {
  await engine.close();
}
