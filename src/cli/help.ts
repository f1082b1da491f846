/**
 * Help text: the grouped overview, one command's usage and options, a bare group's subcommands, and the
 * "did you mean" of unknown commands and options. Columns are as wide as their longest entry and long
 * descriptions wrap under their own column, so nothing runs together.
 */
import type { Command } from './command.js';
import { ALIASES, commands, groups } from './commands.js';

export const GLOBAL_HELP: Record<string, string> = {
  'data-dir DIR': 'store and uploads (default $SMOLMAP_HOME, else ./data)',
  'models-dir DIR': 'base models and adapters (default $SMOLMAP_MODELS, else ./models)',
  'tenant T':
    'act as this tenant: see and change only its specs, data, adapters, jobs and asks (default $SMOLMAP_TENANT, else local)',
  json: 'print one JSON document on stdout (logs go to stderr)',
  help: 'show help (also -h)',
};

/** Terminal width for wrapping; 100 when not a terminal (pipes, tests). */
const width = (): number => Math.max(60, Math.min(process.stdout.columns ?? 100, 120));

/** Width of the left column for these rows: the widest entry and two spaces. */
const leftWidth = (rows: [string, string][]): number => Math.max(...rows.map(([l]) => l.length)) + 2;

/** Two columns: `left` padded to `left` characters, `right` wrapped to the terminal under its own column. */
export function columns(rows: [string, string][], left = leftWidth(rows), indent = 2): string[] {
  const room = Math.max(30, width() - indent - left);
  return rows.flatMap(([l, r]) =>
    wrap(r, room).map((line, i) =>
      `${' '.repeat(indent)}${(i === 0 ? l : '').padEnd(left)}${line}`.trimEnd(),
    ),
  );
}

function wrap(text: string, room: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > room) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

/** `spec S` → `--spec S`; the option keys of `optionHelp` carry their value's placeholder. */
const flag = (key: string): string => `--${key}`;

/** `smolmap ask --spec S [options] <task...>`: required options first, then the positionals. */
export function usage(c: Command): string {
  const keys = Object.keys(c.optionHelp);
  const required = (c.required ?? []).map((r) => flag(keys.find((k) => k.split(' ')[0] === r) ?? r));
  return ['smolmap', c.name, ...required, '[options]', c.args].filter((p) => p !== '').join(' ');
}

export function commandHelp(c: Command): string {
  const own: [string, string][] = Object.entries(c.optionHelp).map(([k, v]) => [flag(k), v]);
  const global: [string, string][] = Object.entries(GLOBAL_HELP).map(([k, v]) => [flag(k), v]);
  const left = leftWidth([...own, ...global]);
  return [
    `Usage: ${usage(c)}`,
    '',
    ...wrap(c.summary, width()),
    '',
    ...(own.length ? ['Options:', ...columns(own, left), ''] : []),
    'Global options:',
    ...columns(global, left),
  ].join('\n');
}

export function overview(version: string): string {
  const rows = (cs: Command[]) => cs.map((c): [string, string] => [c.name, c.summary]);
  const left = leftWidth(rows(commands));
  return [
    `smolmap ${version}: task → API call models from OpenAPI specs`,
    '',
    'Usage: smolmap <command> [options]',
    '',
    ...groups.flatMap((g) => [`${g.title}:`, ...columns(rows(g.commands), left), '']),
    'Global options:',
    ...columns(Object.entries(GLOBAL_HELP).map(([k, v]) => [flag(k), v])),
    '',
    'Run `smolmap <command> --help` for the options of one command, `smolmap <group>` for the commands of a',
    'group (`smolmap spec`). `smolmap models …` still works for `smolmap adapters …`.',
  ].join('\n');
}

/** The commands of a group word (`spec` → spec add, spec list, …); empty when the word is no group. */
export function groupCommands(word: string): Command[] {
  return commands.filter((c) => c.name.startsWith(`${word} `));
}

export function groupHelp(word: string): string {
  const subs = groupCommands(word);
  return [
    `Usage: smolmap ${word} <command> [options]`,
    '',
    'Commands:',
    ...columns(subs.map((c): [string, string] => [c.name.slice(word.length + 1), c.summary])),
    '',
    `Run \`smolmap ${word} <command> --help\` for its options.`,
  ].join('\n');
}

/** Edit distance (insert, delete, substitute, swap of neighbours), for "did you mean". */
export function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  return d[a.length]![b.length]!;
}

/** The candidate closest to `word` when it is close enough to be a typo (or `word` is its prefix). */
export function closest(word: string, candidates: Iterable<string>): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = c.startsWith(word) && word.length >= 2 ? 0.5 : distance(word, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== null && bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : null;
}

/** Every word that may start a command line: command names, group words and aliases. */
export function firstWords(): Set<string> {
  return new Set([...commands.map((c) => c.name.split(' ')[0]!), ...Object.keys(ALIASES)]);
}
