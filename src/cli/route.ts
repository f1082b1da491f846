/**
 * From argv to a command: the longest command name the words spell, old names (`models`) mapped to current
 * ones, and the usage errors of words or options that name nothing, with the closest match as a suggestion.
 */
import { SmolmapError } from '../engine/index.js';
import type { Command, OptionSpec } from './command.js';
import { ALIASES, commands } from './commands.js';
import { closest, firstWords, groupCommands } from './help.js';

export const GLOBAL_OPTIONS: OptionSpec = {
  'data-dir': { type: 'string' },
  'models-dir': { type: 'string' },
  tenant: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
};

const words = (argv: string[]): string[] => argv.filter((a) => !a.startsWith('-'));

/** Longest command name that prefixes argv's words (`spec add` before `spec`), and argv without it. */
export function findCommand(argv: string[]): { command: Command; rest: string[] } | null {
  const w = words(argv);
  let best: Command | null = null;
  for (const c of commands) {
    const parts = c.name.split(' ');
    if (parts.every((p, i) => w[i] === p) && (!best || parts.length > best.name.split(' ').length)) best = c;
  }
  if (!best) return null;
  const rest = [...argv];
  for (const part of best.name.split(' ')) rest.splice(rest.indexOf(part), 1);
  return { command: best, rest };
}

/** argv with an old first word (`models`) replaced by its current name, and a note for stderr. */
export function unalias(argv: string[]): { argv: string[]; note: string | null } {
  const at = argv.findIndex((a) => !a.startsWith('-'));
  const now = at < 0 ? undefined : ALIASES[argv[at]!];
  if (now === undefined) return { argv, note: null };
  return {
    argv: argv.map((a, i) => (i === at ? now : a)),
    note: `note: \`smolmap ${argv[at]}\` is now \`smolmap ${now}\`; the old name goes in a later release`,
  };
}

/** The group word argv names alone (`smolmap spec`), else null. */
export function bareGroup(argv: string[]): string | null {
  const w = words(argv);
  return w.length === 1 && groupCommands(w[0]!).length > 0 ? w[0]! : null;
}

/** The error for words that name no command: the group's commands, or the closest command. */
export function unknownCommand(argv: string[]): SmolmapError {
  const [first = '', second = ''] = words(argv);
  const subs = groupCommands(first).map((c) => c.name.slice(first.length + 1));
  if (subs.length > 0) {
    const guess = closest(second, subs);
    return new SmolmapError(
      'usage_unknown_command',
      `\`smolmap ${first}\` has no command "${second}"; ` +
        (guess ? `did you mean \`smolmap ${first} ${guess}\`?` : `it has ${subs.join(', ')}`),
    );
  }
  const guess = closest(first, firstWords());
  return new SmolmapError(
    'usage_unknown_command',
    `unknown command "${first}"; ` +
      (guess ? `did you mean \`smolmap ${guess}\`?` : '`smolmap --help` lists the commands'),
  );
}

/** parseArgs' error as a usage error, with the command's closest option when it names an unknown one. */
export function badOption(e: unknown, command: Command): SmolmapError {
  const message = (e as Error).message;
  const unknown = /Unknown option '(-{1,2})([^']+)'/.exec(message);
  const help = `see \`smolmap ${command.name} --help\``;
  if (!unknown) return new SmolmapError('usage_bad_option', `${message}; ${help}`, { cause: e });
  const guess = closest(unknown[2]!, Object.keys({ ...GLOBAL_OPTIONS, ...command.options }));
  return new SmolmapError(
    'usage_bad_option',
    `unknown option ${unknown[1]}${unknown[2]}; ${guess ? `did you mean --${guess}? ` : ''}(${help})`,
    { cause: e },
  );
}
