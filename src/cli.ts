import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { SmolmapError, openEngine, toSmolmapError, type Engine } from './engine/index.js';
import { resolveDirs } from './engine/engine.js';
import type { Command, CommandContext, OptionSpec } from './cli/command.js';
import { commands } from './cli/commands.js';

const GLOBAL_OPTIONS: OptionSpec = {
  'data-dir': { type: 'string' },
  'models-dir': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
};

const GLOBAL_HELP = [
  '  --data-dir DIR     store and uploads (default $SMOLMAP_HOME, else ./data)',
  '  --models-dir DIR   base models and adapters (default $SMOLMAP_MODELS, else ./models)',
  '  --json             print one JSON document on stdout (logs go to stderr)',
  '  -h, --help         show help',
].join('\n');

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Longest command name that prefixes argv (`spec add` before `spec`). */
function findCommand(argv: string[]): { command: Command; rest: string[] } | null {
  const words = argv.filter((a) => !a.startsWith('-'));
  let best: Command | null = null;
  for (const c of commands) {
    const parts = c.name.split(' ');
    if (parts.every((p, i) => words[i] === p) && (!best || parts.length > best.name.split(' ').length))
      best = c;
  }
  if (!best) return null;
  const rest = [...argv];
  for (const part of best.name.split(' ')) rest.splice(rest.indexOf(part), 1);
  return { command: best, rest };
}

function commandHelp(c: Command): string {
  const opts = Object.entries(c.optionHelp).map(([k, v]) => `  --${k.padEnd(17)}${v}`);
  return [`smolmap ${c.name} ${c.args}`.trimEnd(), '', c.summary, '', 'Options:', ...opts, GLOBAL_HELP].join(
    '\n',
  );
}

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `smolmap ${version()}: task → API call models from OpenAPI specs`,
    '',
    'Usage: smolmap <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width + 2)}${c.summary}`),
    '',
    'Global options:',
    GLOBAL_HELP,
    '',
    'Run `smolmap <command> --help` for the options of one command.',
  ].join('\n');
}

/** Runs one CLI invocation and returns the exit status. Never throws. */
export async function main(argv: string[]): Promise<number> {
  const wantsJson = argv.includes('--json');
  let engine: Engine | null = null;
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      process.stdout.write(overview() + '\n');
      return 0;
    }
    if (argv[0] === '--version') {
      process.stdout.write(version() + '\n');
      return 0;
    }
    const found = findCommand(argv);
    if (!found) {
      throw new SmolmapError(
        'usage_unknown_command',
        `unknown command "${argv.join(' ')}"; run \`smolmap --help\``,
      );
    }
    const { command, rest } = found;
    let parsed;
    try {
      parsed = parseArgs({
        args: rest,
        options: { ...GLOBAL_OPTIONS, ...command.options },
        allowPositionals: true,
      });
    } catch (e) {
      throw new SmolmapError(
        'usage_bad_option',
        `${(e as Error).message}; run \`smolmap ${command.name} --help\``,
        { cause: e },
      );
    }
    const { values, positionals } = parsed;
    if (values['help']) {
      process.stdout.write(commandHelp(command) + '\n');
      return 0;
    }
    const { dataDir, modelsDir } = resolveDirs({
      dataDir: values['data-dir'] as string | undefined,
      modelsDir: values['models-dir'] as string | undefined,
    });
    const json = values['json'] === true;
    const ctx: CommandContext = {
      dataDir,
      modelsDir,
      json,
      engine: async (o) => (engine ??= await openEngine({ dataDir, modelsDir, ...o })),
      progress: (text) => (json ? process.stderr : process.stdout).write(text),
    };
    const result = await command.run(ctx, positionals, values);
    process.stdout.write(json ? JSON.stringify(result, null, 2) + '\n' : command.human(result) + '\n');
    return 0;
  } catch (e) {
    const err = toSmolmapError(e);
    process.stderr.write(err.toLine() + '\n');
    if (process.env['SMOLMAP_DEBUG'] && err.cause) console.error(err.cause);
    if (wantsJson)
      process.stdout.write(JSON.stringify({ error: { code: err.code, message: err.message } }) + '\n');
    return err.code.startsWith('usage_') ? 2 : 1;
  } finally {
    if (engine) await (engine as Engine).close();
  }
}
