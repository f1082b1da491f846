/** `serve`'s queue options: the embedded runner (default) or a Redis queue with its worker API. */
import { SmolmapError } from '../engine/index.js';
import { queueSetting, type QueueChoice } from '../jobs/queue.js';
import type { OptionSpec, OptionValues } from './command.js';

export const DEFAULT_WORKER_PORT = 8790;

export const QUEUE_OPTIONS: OptionSpec = {
  queue: { type: 'string' },
  'worker-port': { type: 'string' },
  'worker-host': { type: 'string' },
  'worker-token': { type: 'string' },
};

export const QUEUE_OPTION_HELP: Record<string, string> = {
  'queue Q':
    'embedded (default: jobs run in this process) or redis://host:6379 (`smolmap worker` processes run them; default $SMOLMAP_QUEUE)',
  'worker-port P': `with a redis queue: port of the API workers fetch inputs from and upload to (default ${DEFAULT_WORKER_PORT})`,
  'worker-host H': 'address the worker API binds (default 127.0.0.1; bind others behind TLS only)',
  'worker-token T': 'secret workers must send (default $SMOLMAP_WORKER_TOKEN, which keeps it out of `ps`)',
};

/** The URL without its credentials, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '(malformed URL)';
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function queueChoice(values: OptionValues): { choice: QueueChoice; banner(dataDir: string): string } {
  const queue = queueSetting(str(values['queue']));
  if (queue === 'embedded') {
    for (const o of ['worker-port', 'worker-host', 'worker-token'])
      if (values[o] !== undefined)
        throw new SmolmapError('usage_bad_option', `--${o} needs a redis queue (--queue redis://host:6379)`);
    return { choice: { queue }, banner: (dir) => `running the queue of ${dir}` };
  }
  const p = str(values['worker-port']) ?? String(DEFAULT_WORKER_PORT);
  if (!/^\d{1,5}$/.test(p) || Number(p) > 65535)
    throw new SmolmapError('usage_bad_option', `--worker-port "${p}" is not a port number (0-65535)`);
  const host = str(values['worker-host']) ?? '127.0.0.1';
  const token = str(values['worker-token']) ?? process.env['SMOLMAP_WORKER_TOKEN'] ?? '';
  return {
    choice: { queue, workerApi: { host, port: Number(p), token } },
    banner: (dir) =>
      `coordinating the queue of ${dir} on ${redactUrl(queue)}; workers reach this process at http://${host}:${p} with the worker token`,
  };
}
