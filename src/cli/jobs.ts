/**
 * `smolmap jobs ...`: list, show, stop, resume and run training jobs. Jobs run in a JobRunner owned by one
 * process per data directory (`serve`, a `train --wait`, or a background `jobs run` started by `train`); the
 * other commands work through the store, so they reach a job whichever process runs it.
 */
import { spawn } from 'node:child_process';

import {
  SmolmapError,
  getJob,
  listJobs,
  resumeJob,
  stopJob,
  waitForJob,
  type Engine,
  type JobRecord,
} from '../engine/index.js';
import { JobRunner } from '../jobs/runner.js';
import { defineCommand, type Command, type CommandContext, type OptionValues } from './command.js';

function one(positionals: string[], command: string): string {
  if (positionals.length !== 1)
    throw new SmolmapError(
      'usage_bad_arguments',
      `\`smolmap ${command}\` takes exactly one job id (got ${positionals.length}); see \`smolmap jobs list\``,
    );
  return positionals[0]!;
}

const fmtTime = (s: number | null): string => {
  if (s === null || !Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
};

/** One status line: a 20-cell bar, step, loss, validation loss, throughput and ETA. */
export function progressLine(job: JobRecord): string {
  const p = job.progress;
  if (!p) return `${job.id} ${job.status}`;
  const filled = Math.round((20 * p.step) / Math.max(1, p.totalSteps));
  const bar = '#'.repeat(filled) + '.'.repeat(20 - filled);
  const val = p.valLoss === null ? '' : ` val ${p.valLoss.toFixed(4)}`;
  const tps = p.tokensPerSecond === null ? '' : ` ${Math.round(p.tokensPerSecond)} tok/s`;
  return `[${bar}] ${p.step}/${p.totalSteps} loss ${p.loss?.toFixed(4) ?? '?'}${val}${tps} ETA ${fmtTime(p.etaSeconds)}`;
}

/**
 * Runs the job's queue in this process until `jobId` ends, drawing a live progress line (stderr with --json).
 * When another process already runs the jobs, follows the job through the store instead. Ctrl-C stops the
 * job at its next step, with a checkpoint, so `jobs resume` can continue it.
 */
export async function runUntilDone(ctx: CommandContext, engine: Engine, jobId: string): Promise<JobRecord> {
  const tty = (ctx.json ? process.stderr : process.stdout).isTTY === true;
  let lastPrint = 0;
  const show = (job: JobRecord): void => {
    const now = Date.now();
    if (tty) ctx.progress(`\r${progressLine(job)}\x1b[K`);
    else if (now - lastPrint > 5000 || job.status !== 'running') {
      ctx.progress(progressLine(job) + '\n');
      lastPrint = now;
    }
  };
  const runner = new JobRunner(engine);
  let owned = false;
  const own = async (): Promise<void> => {
    try {
      await runner.start();
      owned = true;
    } catch (e) {
      if (!(e instanceof SmolmapError && e.code === 'jobs_runner_busy')) throw e;
    }
  };
  await own();
  // When the process running the jobs dies, its jobs turn interrupted: this one then takes over as runner.
  let taking: Promise<void> | null = null;
  const onUpdate = (job: JobRecord): void => {
    show(job);
    if (!owned && job.status === 'interrupted' && taking === null)
      taking = own().finally(() => (taking = null));
  };
  const onSigint = (): void => void stopJob(engine, jobId, { tenant: ctx.tenant }).catch(() => undefined);
  process.once('SIGINT', onSigint);
  try {
    const job = await waitForJob(engine, jobId, { tenant: ctx.tenant, onUpdate, pollMs: 1000 });
    if (tty) ctx.progress('\n');
    return job;
  } finally {
    process.off('SIGINT', onSigint);
    await taking;
    if (owned) await runner.close();
  }
}

/** Starts a detached `smolmap jobs run` for this data directory (it exits when the queue is empty). */
export function startBackgroundRunner(ctx: CommandContext): void {
  const cli = process.argv[1];
  if (!cli) return;
  const args = [cli, 'jobs', 'run', '--data-dir', ctx.dataDir, '--models-dir', ctx.modelsDir, '--json'];
  spawn(process.execPath, args, { detached: true, stdio: 'ignore' }).unref();
}

interface JobRow {
  id: string;
  kind: string;
  status: string;
  step: number | null;
  totalSteps: number | null;
  loss: number | null;
  createdAt: string;
}

const list = defineCommand<JobRow[]>({
  name: 'jobs list',
  summary: 'list jobs, newest last',
  args: '',
  options: { status: { type: 'string' } },
  optionHelp: {
    'status S': 'only jobs in this state (queued, running, interrupted, succeeded, failed, stopped)',
  },
  async run(ctx, _positionals, values: OptionValues) {
    const status = values['status'] as JobRecord['status'] | undefined;
    const jobs = await listJobs(await ctx.engine(), { tenant: ctx.tenant, ...(status && { status }) });
    return jobs.map((j) => ({
      id: j.id,
      kind: j.kind,
      status: j.status,
      step: j.progress?.step ?? null,
      totalSteps: j.progress?.totalSteps ?? null,
      loss: j.progress?.loss ?? null,
      createdAt: j.createdAt,
    }));
  },
  human: (rows) =>
    rows.length === 0
      ? 'no jobs; `smolmap train --spec S` starts one'
      : rows
          .map(
            (r) =>
              `${r.id}  ${r.kind}  ${r.status.padEnd(9)}  ${r.step ?? '-'}/${r.totalSteps ?? '-'}  loss ${r.loss?.toFixed(4) ?? '-'}  ${r.createdAt}`,
          )
          .join('\n'),
});

const show = defineCommand<JobRecord>({
  name: 'jobs show',
  summary: 'a job with its options, progress, error and result',
  args: '<id>',
  options: {},
  optionHelp: {},
  run: async (ctx, positionals) =>
    getJob(await ctx.engine(), one(positionals, 'jobs show'), { tenant: ctx.tenant }),
  human: (j) =>
    [
      `${j.id} (${j.kind}) ${j.status}${j.dispatchedAt ? ' (handed to the queue; waiting for a worker)' : ''}`,
      progressLine(j),
      j.error ? `error: ${j.error.code}: ${j.error.message}` : '',
      j.checkpoint ? `checkpoint: ${j.checkpoint}` : '',
    ]
      .filter((l) => l !== '')
      .join('\n'),
});

const stop = defineCommand<JobRecord>({
  name: 'jobs stop',
  summary: 'stop a job (a running one checkpoints at its next step)',
  args: '<id>',
  options: {},
  optionHelp: {},
  run: async (ctx, positionals) =>
    stopJob(await ctx.engine(), one(positionals, 'jobs stop'), { tenant: ctx.tenant }),
  human: (j) =>
    j.status === 'running'
      ? `${j.id} stops at its next step; \`smolmap jobs resume ${j.id}\` continues it`
      : `${j.id} ${j.status}`,
});

const resume = defineCommand<JobRecord>({
  name: 'jobs resume',
  summary: 'queue a stopped, failed or interrupted job again; it continues from its last checkpoint',
  args: '<id>',
  options: { wait: { type: 'boolean', default: false } },
  optionHelp: { wait: 'run it here and wait, with a live progress line' },
  async run(ctx, positionals, values) {
    const engine = await ctx.engine();
    const job = await resumeJob(engine, one(positionals, 'jobs resume'), { tenant: ctx.tenant });
    if (values['wait'] === true) return runUntilDone(ctx, engine, job.id);
    startBackgroundRunner(ctx);
    return job;
  },
  human: (j) =>
    j.status === 'queued' ? `${j.id} queued; \`smolmap jobs show ${j.id}\` follows it` : progressLine(j),
});

const run = defineCommand<{ ran: string[] }>({
  name: 'jobs run',
  summary: 'run queued jobs in this process until the queue is empty',
  args: '',
  options: {},
  optionHelp: {},
  async run(ctx) {
    const engine = await ctx.engine();
    const runner = new JobRunner(engine);
    const ran: string[] = [];
    const off = runner.on((e) => {
      if (e.type === 'started') ran.push(e.job);
    });
    await runner.start();
    for (;;) {
      await runner.pump();
      const active = (await engine.store.read()).jobs.filter(
        (j) => j.status === 'running' || j.status === 'queued',
      );
      if (active.length === 0) break;
      await Promise.all(active.map((j) => runner.wait(j.id)));
    }
    off();
    await runner.close();
    return { ran };
  },
  human: (r) => (r.ran.length === 0 ? 'no queued jobs' : `ran ${r.ran.join(', ')}`),
});

/** `smolmap jobs` (and `smolmap jobs --help`): what the group's commands do. */
const group = defineCommand<string>({
  name: 'jobs',
  summary:
    'training jobs: `jobs list`, `jobs show <id>`, `jobs stop <id>`, `jobs resume <id>`, `jobs run`; add --help to one for its options',
  args: '<list|show|stop|resume|run>',
  options: {},
  optionHelp: {},
  run: (_ctx, positionals) => {
    if (positionals.length > 0)
      throw new SmolmapError(
        'usage_unknown_command',
        `unknown command "jobs ${positionals.join(' ')}"; the jobs commands are list, show, stop, resume and run`,
      );
    return Promise.resolve(
      [list, show, stop, resume, run]
        .map((c) => `  smolmap ${c.name} ${c.args}`.trimEnd() + `\n      ${c.summary}`)
        .join('\n'),
    );
  },
  human: (text) => text,
});

export const jobsCommands: Command[] = [list, show, stop, resume, run, group];
