/**
 * Faults from outside, through the built CLI, on loopback only (no network at all), seeded:
 * 1. N SIGKILLs of a `smolmap jobs run` while it trains the tiny Llama, each at a seeded step after the first
 *    checkpoint; the only recovery step is starting `smolmap jobs run` again. Each adapter is compared, byte for
 *    byte, with an uninterrupted run's.
 * 2. N SIGKILLs of `smolmap spec add` of a multi-megabyte spec at seeded moments of its write window; after each,
 *    the store must read and every recorded file must match its hash; orphaned files are counted before and
 *    after the next runner start (which sweeps them).
 * 3. A `smolmap serve` (no surface) killed mid-job and started again: the job must finish byte-identical and
 *    the restarted serve must stop cleanly on SIGTERM, removing its runner lock.
 * Prints a table; asserts nothing. Needs `npm run build`. Run: `nice -n 10 npx tsx bench/faults.ts [kills=20] [seed=7] [--only=training|spec|serve]`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { addSpec, openEngine, startTraining, type Engine, type JobRecord } from '../src/engine/index.js';
import { tinyConfig, writeTinyModel } from '../src/engine/model/tiny.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const KILLS = Number(args[0] ?? 20);
const SEED = Number(args[1] ?? 7);
/** `--only training|spec|serve`: one phase (default all three). */
const ONLY = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length) ?? 'all';
const phase = (name: string) => ONLY === 'all' || ONLY === name;
const BIN = path.resolve(import.meta.dirname, '..', 'bin', 'smolmap.js');
const TRAIN = { steps: 24, batchSize: 2, lr: 3e-3, maxLen: 512, evalEvery: 0, checkpointEvery: 4, seed: 5 };

/** mulberry32: a small seeded generator, so the kill points repeat run to run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(SEED);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function cli(engine: Engine, args: string[]): ChildProcess {
  const dirs = ['--data-dir', engine.dataDir, '--models-dir', engine.modelsDir];
  return spawn(process.execPath, [BIN, ...args, ...dirs], { stdio: 'ignore' });
}
const exited = (c: ChildProcess) =>
  new Promise<number | null>((r) => (c.exitCode !== null ? r(c.exitCode) : c.once('exit', r)));

async function setup(): Promise<{ engine: Engine; root: string; dataset: string }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'smolmap-faults-'));
  const engine = await openEngine({
    dataDir: path.join(root, 'data'),
    modelsDir: path.join(root, 'models'),
    limits: { tenantDailyJobs: 1000 },
  });
  await addSpec(engine, 'examples/petstore.yaml', { name: 'petstore' });
  await writeTinyModel(path.join(engine.modelsDir, 'base', 'tiny'), { seed: 1, layout: 'hf' });
  await engine.store.update((d) => {
    d.baseModels.push({
      name: 'tiny',
      source: 'tiny.ts seed 1',
      format: 'hf',
      dir: 'base/tiny',
      files: ['config.json', 'model.safetensors', 'tokenizer.json'],
      config: tinyConfig(),
      addedAt: new Date().toISOString(),
    });
  });
  const first = await startTraining(engine, { spec: 'petstore', base: 'tiny', count: 60, train: TRAIN });
  await engine.store.update((d) => void (d.jobs = d.jobs.filter((j) => j.id !== first.job)));
  return { engine, root, dataset: first.dataset };
}

const job = async (engine: Engine, id: string): Promise<JobRecord> =>
  (await engine.store.read()).jobs.find((j) => j.id === id)!;

async function adapterHash(engine: Engine, j: JobRecord): Promise<string | null> {
  const model = (j.options as { modelId: string }).modelId;
  const file = path.join(engine.modelsDir, 'adapters', model, 'adapter_model.safetensors');
  return existsSync(file) ? sha(await readFile(file)) : null;
}

/** Starts `jobs run` and waits for it to finish the queue. */
async function runQueue(engine: Engine): Promise<void> {
  await exited(cli(engine, ['jobs', 'run', '--json']));
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await sleep(50);
  }
  return false;
}

/** Store readable and every recorded spec file present with its hash. */
async function storeIntact(engine: Engine): Promise<boolean> {
  try {
    const data = await engine.store.read();
    for (const s of data.specs)
      for (const v of s.versions) {
        await engine.store.readFile(v.document);
        await engine.store.readFile(v.catalog);
      }
    return true;
  } catch {
    return false;
  }
}

/** Files under specs/ that no record points at (staging leftovers included). */
async function orphanFiles(engine: Engine): Promise<string[]> {
  const data = await engine.store.read();
  const known = new Set(
    data.specs.flatMap((s) => s.versions.flatMap((v) => [v.document.path, v.catalog.path])),
  );
  const files = (await readdir(path.join(engine.dataDir, 'specs'), { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => path.relative(engine.dataDir, path.join(e.parentPath, e.name)));
  return files.filter((f) => !known.has(f));
}

async function trainingKills(engine: Engine, dataset: string, reference: string) {
  let identical = 0;
  let resumedFrom = 0;
  for (let i = 0; i < KILLS; i++) {
    const { job: id } = await startTraining(engine, {
      spec: 'petstore',
      base: 'tiny',
      dataset,
      train: TRAIN,
    });
    const at = TRAIN.checkpointEvery + Math.floor(random() * (TRAIN.steps - TRAIN.checkpointEvery - 1));
    const runner = cli(engine, ['jobs', 'run', '--json']);
    await waitFor(async () => ((await job(engine, id)).progress?.step ?? 0) >= at, 120_000);
    runner.kill('SIGKILL');
    await exited(runner);
    await runQueue(engine); // the one recovery step: start the runner again
    const done = await job(engine, id);
    resumedFrom += done.checkpointStep !== undefined ? 1 : 0;
    if (done.status === 'succeeded' && (await adapterHash(engine, done)) === reference) identical++;
    else console.error(`training kill ${i + 1} at step ${at}: ${done.status} ${done.error?.code ?? ''}`);
  }
  return { identical, resumedFrom };
}

/** A multi-megabyte spec (many operations with long descriptions) unique to `i`, within the spec budgets. */
function bigSpec(i: number): string {
  const paths: Record<string, unknown> = {};
  const words = 'the quick brown fox jumps over the lazy dog while smolmap writes a spec '.repeat(40);
  for (let k = 0; k < 1500; k++)
    paths[`/things${k}/{id}`] = {
      get: {
        operationId: `getThing${k}`,
        description: words,
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'ok' } },
      },
    };
  return JSON.stringify({ openapi: '3.1.0', info: { title: 'Big', version: `1.${i}` }, paths });
}

async function specKills(engine: Engine, root: string) {
  let corrupt = 0;
  let killsLeavingOrphans = 0;
  const file = path.join(root, 'big.json');
  await writeFile(file, bigSpec(-1));
  const t0 = Date.now();
  await exited(cli(engine, ['spec', 'add', file, '--name', 'big', '--json']));
  const window = Date.now() - t0;
  const seen = new Set<string>();
  for (let i = 0; i < KILLS; i++) {
    await writeFile(file, bigSpec(i));
    const child = cli(engine, ['spec', 'add', file, '--name', 'big', '--json']);
    await sleep(window * (0.6 + 0.45 * random())); // mostly the end: ingest done, files being written
    child.kill('SIGKILL');
    await exited(child);
    if (!(await storeIntact(engine))) corrupt++;
    const now = await orphanFiles(engine);
    if (now.some((f) => !seen.has(f))) killsLeavingOrphans++;
    now.forEach((f) => seen.add(f));
  }
  const beforeSweep = (await orphanFiles(engine)).length;
  await runQueue(engine); // a runner start sweeps
  const afterSweep = (await orphanFiles(engine)).length;
  return {
    corrupt,
    killsLeavingOrphans,
    beforeSweep,
    afterSweep,
    window,
    mb: Buffer.byteLength(bigSpec(0)) / 1e6,
  };
}

async function serveKill(engine: Engine, dataset: string, reference: string) {
  const { job: id } = await startTraining(engine, { spec: 'petstore', base: 'tiny', dataset, train: TRAIN });
  const first = cli(engine, ['serve']);
  await waitFor(async () => ((await job(engine, id)).progress?.step ?? 0) >= 10, 120_000);
  first.kill('SIGKILL');
  await exited(first);
  const lockLeft = existsSync(path.join(engine.dataDir, 'jobs', 'runner.lock'));
  const second = cli(engine, ['serve']);
  const finished = await waitFor(async () => (await job(engine, id)).status === 'succeeded', 180_000);
  second.kill('SIGTERM');
  const code = await exited(second);
  const done = await job(engine, id);
  return {
    finished,
    identical: (await adapterHash(engine, done)) === reference,
    lockLeft,
    exitCode: code,
    lockAfter: existsSync(path.join(engine.dataDir, 'jobs', 'runner.lock')),
  };
}

const { engine, root, dataset } = await setup();
try {
  const ref = await startTraining(engine, { spec: 'petstore', base: 'tiny', dataset, train: TRAIN });
  await runQueue(engine);
  const refJob = await job(engine, ref.job);
  const reference = await adapterHash(engine, refJob);
  if (refJob.status !== 'succeeded' || reference === null) throw new Error('the uninterrupted run failed');
  console.log(`faults (seed ${SEED}, ${KILLS} kills each)`);
  console.log('| fault | result |');
  console.log('|---|---|');
  if (phase('training')) {
    const t = await trainingKills(engine, dataset, reference);
    console.log(
      `| SIGKILL during training (\`jobs run\`), then \`jobs run\` again | ${t.identical}/${KILLS} finished byte-identical to an uninterrupted run |`,
    );
  }
  if (phase('spec')) {
    const s = await specKills(engine, root);
    const stores = (await storeIntact(engine)) ? 0 : 1;
    console.log(
      `| SIGKILL during \`spec add\` (${s.mb.toFixed(1)} MB spec, ${s.window} ms window) | ${s.corrupt + stores} corrupt stores; ${s.killsLeavingOrphans}/${KILLS} kills left orphaned files (${s.beforeSweep} files before the next runner start), ${s.afterSweep} after it |`,
    );
  }
  if (phase('serve')) {
    const v = await serveKill(engine, dataset, reference);
    console.log(
      `| SIGKILL of \`serve\` mid-job, \`serve\` started again | finished: ${v.finished}, byte-identical: ${v.identical}; lock left by the kill: ${v.lockLeft}; restarted serve exit on SIGTERM ${v.exitCode}, lock after: ${v.lockAfter} |`,
    );
  }
  console.log(`load average ${os.loadavg()[0]!.toFixed(1)}`);
} finally {
  await rm(root, { recursive: true, force: true });
}
