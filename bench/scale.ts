/**
 * Scaling out, on this machine, loopback only: a redis-server on a free port, a coordinator (`smolmap serve
 * --queue`) and 1, then 2, `smolmap worker` processes (1 ORT thread each) train N tiny-Llama jobs; prints jobs per
 * hour, seconds per job and the load average. Then the inputs of a paper estimate of where one coordinator and
 * one Redis stop scaling: the coordinator's store write (each progress event is one), BullMQ adds per second, and
 * the bytes a job moves (dataset, checkpoints, adapter). Asserts nothing. Needs `npm run build` and redis-server.
 * Run: `nice -n 10 npx tsx bench/scale.ts [jobs=6] [steps=30]`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';

import { addSpec, openEngine, startTraining, type Engine } from '../src/engine/index.js';
import { tinyConfig, writeTinyModel } from '../src/engine/model/tiny.js';

const JOBS = Number(process.argv[2] ?? 6);
const STEPS = Number(process.argv[3] ?? 30);
const BIN = path.resolve(import.meta.dirname, '..', 'bin', 'smolmap.js');
const TOKEN = 'bench-worker-token-0123456789abcdef';
const TRAIN = { steps: STEPS, batchSize: 2, lr: 3e-3, maxLen: 512, evalEvery: 0, checkpointEvery: 10 };

const load = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function proc(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; out: () => string } {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: 'pipe' });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { child, out: () => out };
}

async function until(probe: () => boolean | Promise<boolean>, what: string, ms = 3_600_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function tinyStore(root: string): Promise<Engine> {
  const engine = await openEngine({ dataDir: path.join(root, 'data'), modelsDir: path.join(root, 'models') });
  await writeTinyModel(path.join(engine.modelsDir, 'base', 'tiny'), { seed: 1, layout: 'hf' });
  await engine.store.update((data) => {
    data.baseModels.push({
      name: 'tiny',
      source: 'tiny.ts seed 1',
      format: 'hf',
      dir: 'base/tiny',
      files: ['config.json', 'model.safetensors', 'tokenizer.json'],
      config: tinyConfig(),
      addedAt: new Date().toISOString(),
    });
  });
  return engine;
}

/** N jobs through a coordinator and `workers` workers; seconds from the first worker's start to the last result. */
async function run(
  workers: number,
  redisUrl: string,
): Promise<{ seconds: number; engine: Engine; root: string }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'smolmap-scale-'));
  const engine = await tinyStore(root);
  for (let i = 0; i < JOBS; i++) {
    const tenant = `tenant-${i}`;
    await addSpec(engine, 'examples/petstore.yaml', { name: 'petstore', tenant });
    await startTraining(engine, {
      spec: 'petstore',
      tenant,
      base: 'tiny',
      count: 40,
      train: { ...TRAIN, seed: i },
      threads: 1,
    });
  }
  const apiPort = await freePort();
  const env = { SMOLMAP_WORKER_TOKEN: TOKEN, SMOLMAP_HOME: '', SMOLMAP_MODELS: '' };
  const dirs = ['--data-dir', engine.dataDir, '--models-dir', engine.modelsDir];
  const coordinator = proc(
    process.execPath,
    [BIN, 'serve', '--queue', redisUrl, '--worker-port', String(apiPort), ...dirs],
    env,
  );
  await until(() => coordinator.out().includes('serving;'), 'coordinator start');
  const ws = Array.from({ length: workers }, (_, i) =>
    proc(
      process.execPath,
      [
        BIN,
        'worker',
        '--queue',
        redisUrl,
        '--server',
        `http://127.0.0.1:${apiPort}`,
        '--threads',
        '1',
        '--data-dir',
        path.join(root, `w${i}`),
      ],
      env,
    ),
  );
  await until(() => ws.every((w) => w.out().includes('taking jobs')), 'workers start');
  const t0 = Date.now();
  await until(
    async () =>
      (await engine.store.read()).jobs.every((j) => j.status === 'succeeded' || j.status === 'failed'),
    'jobs',
  );
  const seconds = (Date.now() - t0) / 1000;
  for (const p of [...ws, coordinator]) p.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 2000));
  return { seconds, engine, root };
}

/** The coordinator's cost per recorded event: one store update (lock, re-read, write) of a job's progress. */
async function storeWriteMs(engine: Engine): Promise<number> {
  const id = (await engine.store.read()).jobs[0]!.id;
  const n = 50;
  const t0 = performance.now();
  for (let i = 0; i < n; i++)
    await engine.store.update((d) => {
      const j = d.jobs.find((x) => x.id === id)!;
      j.updatedAt = new Date().toISOString();
    });
  return (performance.now() - t0) / n;
}

async function addsPerSecond(redisUrl: string): Promise<number> {
  const u = new URL(redisUrl);
  const q = new Queue('smolmap-bench-adds', { connection: { host: u.hostname, port: Number(u.port) } });
  const n = 2000;
  const t0 = performance.now();
  for (let i = 0; i < n; i += 100)
    await Promise.all(
      Array.from({ length: 100 }, (_, k) => q.add('x', { job: `j${i + k}` }, { jobId: `j${i + k}` })),
    );
  const rate = n / ((performance.now() - t0) / 1000);
  await q.obliterate({ force: true });
  await q.close();
  return rate;
}

async function main(): Promise<void> {
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    console.log('bench/scale.ts needs redis-server (`apt-get install redis-server`)');
    return;
  }
  const redisRoot = await mkdtemp(path.join(os.tmpdir(), 'smolmap-scale-redis-'));
  const port = await freePort();
  const redis = proc('redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    redisRoot,
  ]);
  await until(() => redis.out().includes('Ready to accept'), 'redis');
  const url = `redis://127.0.0.1:${port}`;
  console.log(
    `jobs ${JOBS} × ${STEPS} steps (tiny Llama), 1 ORT thread per worker, cores ${os.cpus().length}`,
  );
  console.log('| workers | seconds | s/job | jobs/hour | load average after |');
  console.log('| --- | --- | --- | --- | --- |');
  let last: { engine: Engine; root: string } | null = null;
  for (const workers of [1, 2]) {
    const r = await run(workers, url);
    console.log(
      `| ${workers} | ${r.seconds.toFixed(1)} | ${(r.seconds / JOBS).toFixed(1)} | ${Math.round((JOBS * 3600) / r.seconds)} | ${load()} |`,
    );
    if (last) await rm(last.root, { recursive: true, force: true });
    last = r;
  }
  const engine = last!.engine;
  const data = await engine.store.read();
  const model = data.models[0]!;
  const adapterBytes = (await stat(path.join(engine.modelsDir, model.dir, 'adapter_model.safetensors'))).size;
  const ck = path.join(engine.modelsDir, 'checkpoints', data.jobs[0]!.id, 'tensors.safetensors');
  const checkpointBytes = await stat(ck).then(
    (s) => s.size,
    () => 3 * adapterBytes,
  );
  const dataset = data.datasets[0]!;
  const datasetBytes = (await stat(engine.store.resolve(dataset.file.path))).size;
  const writeMs = await storeWriteMs(engine);
  const adds = await addsPerSecond(url);
  console.log(
    `\nstore write (one progress event on the coordinator): ${writeMs.toFixed(2)} ms with ${data.jobs.length} jobs stored → ${Math.round(1000 / writeMs)} events/s`,
  );
  console.log(`BullMQ adds on this Redis: ${Math.round(adds)} jobs/s`);
  console.log(
    `bytes per job here: dataset ${datasetBytes}, adapter ${adapterBytes}, one checkpoint ${checkpointBytes}`,
  );
  console.log(`load average ${load()}`);
  redis.child.kill('SIGTERM');
  await rm(last!.root, { recursive: true, force: true });
  await rm(redisRoot, { recursive: true, force: true });
}

await main();
