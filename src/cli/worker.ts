/**
 * `smolmap worker`: runs training jobs from a Redis queue on this machine for a coordinator (`smolmap serve
 * --queue redis://…`), until SIGINT/SIGTERM; then running jobs stop at their next step and go back to the queue
 * with a checkpoint, for another worker to resume.
 */
import path from 'node:path';

import { SmolmapError, resolveJobLimits } from '../engine/index.js';
import { queueSetting } from '../jobs/queue.js';
import { defineCommand, type Command, type OptionValues } from './command.js';
import { waitForSignal } from './serve.js';
import { redactUrl } from './serve-queue.js';

interface WorkerResult {
  signal: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function whole(values: OptionValues, name: string, min: number): number | undefined {
  const v = str(values[name]);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min)
    throw new SmolmapError('usage_bad_option', `--${name} "${v}" must be a whole number of at least ${min}`);
  return Number(v);
}

function required(value: string | undefined, what: string): string {
  if (value === undefined || value.trim() === '')
    throw new SmolmapError('usage_missing_option', `\`smolmap worker\` needs ${what}`);
  return value.trim();
}

const worker = defineCommand<WorkerResult>({
  name: 'worker',
  summary: 'run training jobs from a Redis queue for a coordinator (`smolmap serve --queue redis://…`)',
  args: '',
  required: ['queue', 'server'],
  options: {
    queue: { type: 'string' },
    server: { type: 'string' },
    token: { type: 'string' },
    concurrency: { type: 'string' },
    threads: { type: 'string' },
    'stall-seconds': { type: 'string' },
  },
  optionHelp: {
    'queue Q': "the coordinator's Redis, redis://host:6379 (default $SMOLMAP_QUEUE)",
    'server URL': "the coordinator's worker API, e.g. http://coordinator:8790 (default $SMOLMAP_SERVER)",
    'token T': 'the worker token (default $SMOLMAP_WORKER_TOKEN, which keeps it out of `ps`)',
    'concurrency N': 'jobs at once (default 1: a training uses every core)',
    'threads N': "ORT threads per job (default: the job's setting, else one per core)",
    'stall-seconds S':
      'a job whose worker stops answering this long goes to another worker (default 30; the same on every worker)',
  },
  async run(ctx, positionals, values) {
    if (positionals.length > 0)
      throw new SmolmapError('usage_bad_arguments', '`smolmap worker` takes no arguments, only options');
    const queue = required(
      str(values['queue']) ?? (queueSetting() === 'embedded' ? undefined : queueSetting()),
      '--queue redis://host:6379 (or $SMOLMAP_QUEUE)',
    );
    const server = required(
      str(values['server']) ?? process.env['SMOLMAP_SERVER'],
      '--server URL (or $SMOLMAP_SERVER)',
    );
    if (!/^https?:\/\//.test(server))
      throw new SmolmapError('usage_bad_option', `--server "${server}" must be an http:// or https:// URL`);
    const token = str(values['token']) ?? process.env['SMOLMAP_WORKER_TOKEN'] ?? '';
    const { startTrainWorker } = await import('../jobs/redis/worker.js'); // BullMQ loads only here
    const running = await startTrainWorker({
      queue,
      server,
      token,
      workDir: path.join(ctx.dataDir, 'worker'),
      concurrency: whole(values, 'concurrency', 1),
      threads: whole(values, 'threads', 0),
      stallMs: (whole(values, 'stall-seconds', 1) ?? 30) * 1000,
      maxCrashes: resolveJobLimits().maxCrashes,
      log: (line) => ctx.progress(`worker: ${Object.values(line).join(' ')}\n`),
    });
    ctx.progress(`worker: taking jobs from ${redactUrl(queue)} for ${server}; press Ctrl-C to stop\n`);
    const signal = await waitForSignal();
    await running.close();
    return { signal };
  },
  human: (r) => `worker stopped (${r.signal})`,
});

export const workerCommands: Command[] = [worker];
