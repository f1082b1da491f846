/**
 * `smolmap serve`: the long-running process. It runs the data directory's training jobs (unless another
 * process already does) and the configured surfaces. Each surface (MCP over HTTP here; chat bots plug in the
 * same way) is a ServeSurfaceFactory that looks at its own options and starts, or stays off. The process runs
 * until SIGINT/SIGTERM, then stops every surface and then the jobs (each checkpoints, resumable).
 */
import { SmolmapError, type Engine } from '../engine/index.js';
import { lazyJobRunner } from '../mcp/runner.js';
import { queueChoice, QUEUE_OPTIONS, QUEUE_OPTION_HELP } from './serve-queue.js';
import type { JobControl } from '../mcp/tool.js';
import {
  defineCommand,
  type Command,
  type CommandContext,
  type OptionSpec,
  type OptionValues,
} from './command.js';
import { mcpHttpSurface } from './serve-mcp.js';
import { discordSurface, slackSurface } from './serve-bots.js';
import { askSocketSurface } from './serve-socket.js';
import { DEFAULT_QUANT_HELP, QUANT_HELP, checkQuantOption } from './mapper-options.js';

export interface ServeSurface {
  name: string;
  /** One line for the startup banner, e.g. where it listens. */
  description: string;
  stop(): Promise<void>;
}

/** What `serve` hands every surface. */
export interface ServeShared {
  ctx: CommandContext;
  /** The process's job runner: pump after queueing a job, stop to end one early. */
  jobs: JobControl;
}

export interface ServeSurfaceFactory {
  name: string;
  options: OptionSpec;
  optionHelp: Record<string, string>;
  /** Starts the surface, or returns null when its options do not ask for it. */
  start(engine: Engine, values: OptionValues, shared: ServeShared): Promise<ServeSurface | null>;
}

/** Surfaces `serve` knows, in start order. Add a factory here to plug one in. */
export const serveSurfaces: ServeSurfaceFactory[] = [
  askSocketSurface,
  mcpHttpSurface,
  slackSurface,
  discordSurface,
];

interface ServeResult {
  surfaces: string[];
  signal: string;
}

/**
 * Resolves on SIGINT or SIGTERM. A signal listener does not keep Node's event loop alive, so a timer does:
 * without one, a `serve` with no surface (only the job runner, whose poll timer is unref'd) would end with
 * exit code 13 (a top-level await left unsettled) and leave its runner lock behind.
 */
export function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const keepAlive = setInterval(() => undefined, 2 ** 30);
    const done = (signal: string) => {
      clearInterval(keepAlive);
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve(signal);
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

async function stopAll(started: ServeSurface[]): Promise<void> {
  for (const s of [...started].reverse()) await s.stop();
}

const serve = defineCommand<ServeResult>({
  name: 'serve',
  summary:
    'run training jobs and the configured surfaces (MCP over HTTP, Slack, Discord) until stopped with Ctrl-C',
  args: '',
  options: Object.assign(
    { quant: { type: 'string' } },
    QUEUE_OPTIONS,
    ...serveSurfaces.map((f) => f.options),
  ) as OptionSpec,
  optionHelp: Object.assign(
    { [QUANT_HELP]: DEFAULT_QUANT_HELP },
    QUEUE_OPTION_HELP,
    ...serveSurfaces.map((f) => f.optionHelp),
  ) as Record<string, string>,
  async run(ctx, positionals, values) {
    if (positionals.length > 0)
      throw new SmolmapError('usage_bad_arguments', '`smolmap serve` takes no arguments, only options');
    const quant = checkQuantOption(values);
    const queue = queueChoice(values);
    const engine = await ctx.engine({ quant: quant ?? 'auto' });
    const jobs = lazyJobRunner(engine, queue.choice);
    const started: ServeSurface[] = [];
    try {
      for (const factory of serveSurfaces) {
        const surface = await factory.start(engine, values, { ctx, jobs });
        if (surface) started.push(surface);
      }
      // Starting the runner requeues jobs a crashed process left running, and starts queued ones.
      if (queue.choice.workerApi) await jobs.ready();
      jobs.pump();
      for (const s of started) ctx.progress(`${s.name}: ${s.description}\n`);
      ctx.progress(`jobs: ${queue.banner(engine.dataDir)}\nserving; press Ctrl-C to stop\n`);
      const signal = await waitForSignal();
      return { surfaces: started.map((s) => s.name), signal };
    } finally {
      await stopAll(started);
      await jobs.close();
    }
  },
  human: (r) => `stopped ${r.surfaces.join(', ')} (${r.signal})`,
});

export const serveCommands: Command[] = [serve];
