import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { actingTenant, openEngine, toSmolmapError, type Engine } from './engine/index.js';
import { resolveDirs } from './engine/engine.js';
import type { CommandContext } from './cli/command.js';
import { commandHelp, groupHelp, overview } from './cli/help.js';
import { spinner } from './cli/spinner.js';
import { GLOBAL_OPTIONS, badOption, bareGroup, findCommand, unalias, unknownCommand } from './cli/route.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Runs one CLI invocation and returns the exit status. Never throws. */
export async function main(args: string[]): Promise<number> {
  const wantsJson = args.includes('--json');
  let engine: Engine | null = null;
  try {
    if (args.length === 0 || args[0] === '--help' || args[0] === '-h' || args[0] === 'help') {
      process.stdout.write(overview(version()) + '\n');
      return 0;
    }
    if (args[0] === '--version') {
      process.stdout.write(version() + '\n');
      return 0;
    }
    const { argv, note } = unalias(args);
    if (note) process.stderr.write(note + '\n');
    const found = findCommand(argv);
    if (!found) {
      const group = bareGroup(argv);
      if (group === null) throw unknownCommand(argv);
      process.stdout.write(groupHelp(group) + '\n');
      return 0;
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
      throw badOption(e, command);
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
      tenant: actingTenant(values['tenant'] as string | undefined),
      engine: async (o) => (engine ??= await openEngine({ dataDir, modelsDir, ...o })),
      progress: (text) => (json ? process.stderr : process.stdout).write(text),
      busy: (text) => spinner(text),
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
