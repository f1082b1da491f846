/**
 * The README and docs/ as a user reads them: every JSON snippet parses, every MCP client config and every shell
 * line that runs smolmap names a command of the CLI's table (src/cli/commands.ts) with options it accepts, and
 * every relative link (with its #anchor) points at a file and heading that exist.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { afterAll, describe, expect, it } from 'vitest';

import { commands } from '../src/cli/commands.js';
import type { Command, OptionSpec } from '../src/cli/command.js';
import { McpConfigSchema } from '../src/mcp/config.js';
import { releaseRuntimes } from '../src/engine/index.js';
import { runInProcess } from './cli/run-cli.js';

const ROOT = path.resolve(import.meta.dirname, '..');

/** The options every command takes besides its own (src/cli.ts). */
const GLOBAL_OPTIONS: OptionSpec = {
  'data-dir': { type: 'string' },
  'models-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

const DOC_FILES = [
  'README.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

interface Block {
  file: string;
  lang: string;
  text: string;
}

function codeBlocks(file: string): Block[] {
  return [...read(file).matchAll(/^```(\w*)\n([\s\S]*?)^```/gm)].map((m) => ({
    file,
    lang: m[1] ?? '',
    text: m[2] ?? '',
  }));
}

const blocks = DOC_FILES.flatMap(codeBlocks);

/** Shell words of one command line: quotes grouped, `#` comments dropped. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const m of line.matchAll(re)) {
    const word = m[1] ?? m[2] ?? m[3] ?? '';
    if (m[3]?.startsWith('#')) break;
    words.push(word);
  }
  return words;
}

/** The simple commands of a shell block: lines joined at `\`, split at `&&`, `||`, `;` and `|`. */
function shellCommands(text: string): string[][] {
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  const out: string[][] = [];
  for (const line of lines) {
    let current: string[] = [];
    for (const w of shellWords(line)) {
      if (['&&', '||', ';', '|'].includes(w)) {
        out.push(current);
        current = [];
      } else current.push(w);
    }
    out.push(current);
  }
  return out
    .map((words) => {
      let i = 0;
      while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!)) i++;
      return words.slice(i);
    })
    .filter((words) => words.length > 0);
}

/** The smolmap argv of an invocation (`npx smolmap …`, `smolmap …`, `node …/bin/smolmap.js …`), else null. */
function smolmapArgv(words: readonly string[]): string[] | null {
  if (words[0] === 'npx' && words[1] === 'smolmap') return words.slice(2);
  if (words[0] === 'smolmap') return words.slice(1);
  if (words[0] === 'node' && words[1]?.endsWith('bin/smolmap.js')) return words.slice(2);
  return null;
}

/** The command a CLI argv names, by the CLI's own rule: the longest name whose words lead the positionals. */
function findCommand(argv: readonly string[]): Command | null {
  const words = argv.filter((a) => !a.startsWith('-'));
  let best: Command | null = null;
  for (const c of commands) {
    const parts = c.name.split(' ');
    if (parts.every((p, i) => words[i] === p) && (!best || parts.length > best.name.split(' ').length))
      best = c;
  }
  return best;
}

/** Every smolmap invocation the docs show, with where it came from. */
interface Invocation {
  where: string;
  argv: string[];
}

/** The server entries of an MCP client config: `mcpServers` (Claude, Cursor) or `servers` (VS Code). */
function serverEntries(doc: unknown): { client: 'mcpServers' | 'servers'; entry: Record<string, unknown> }[] {
  if (typeof doc !== 'object' || doc === null) return [];
  const out: { client: 'mcpServers' | 'servers'; entry: Record<string, unknown> }[] = [];
  for (const client of ['mcpServers', 'servers'] as const) {
    const servers = (doc as Record<string, unknown>)[client];
    if (typeof servers === 'object' && servers !== null)
      for (const entry of Object.values(servers))
        out.push({ client, entry: entry as Record<string, unknown> });
  }
  return out;
}

/** A JSON snippet's value, or undefined when it does not parse (the first test reports it). */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const jsonBlocks = blocks.filter((b) => b.lang === 'json');
const configs = jsonBlocks.flatMap((b) =>
  serverEntries(parseJson(b.text)).map((s) => ({ ...s, where: b.file })),
);

const invocations: Invocation[] = [
  ...configs
    .filter(({ entry }) => entry['command'] !== undefined)
    .map(({ entry, where }) => ({
      where: `${where} (MCP config)`,
      argv: smolmapArgv([String(entry['command']), ...(entry['args'] as string[])]) ?? ['<not smolmap>'],
    })),
  ...blocks
    .filter((b) => b.lang === 'sh')
    .flatMap((b) =>
      shellCommands(b.text).flatMap((words): Invocation[] => {
        const where = `${b.file}: ${words.join(' ')}`;
        const direct = smolmapArgv(words);
        if (direct) return [{ where, argv: direct }];
        const dashes = words.indexOf('--');
        if (words[0] === 'claude' && words[1] === 'mcp' && words[2] === 'add' && dashes > 0)
          return [{ where, argv: smolmapArgv(words.slice(dashes + 1)) ?? ['<not smolmap>'] }];
        return [];
      }),
    ),
];

afterAll(async () => {
  await releaseRuntimes();
});

describe('README and docs', () => {
  it('have JSON snippets that parse, and MCP client configs that run smolmap', () => {
    expect(jsonBlocks.length).toBeGreaterThan(3);
    for (const b of jsonBlocks) expect(() => JSON.parse(b.text), `${b.file}:\n${b.text}`).not.toThrow();
    const clients = new Set(configs.map((c) => c.client));
    expect([...clients].sort()).toEqual(['mcpServers', 'servers']);
    for (const { client, entry, where } of configs) {
      if (client === 'servers') expect(['stdio', 'http'], where).toContain(entry['type']);
      if (entry['url'] !== undefined) {
        const url = new URL(String(entry['url']));
        expect(url.pathname, where).toBe('/mcp');
        const headers = (entry['headers'] ?? {}) as Record<string, string>;
        for (const v of Object.values(headers)) expect(typeof v, where).toBe('string');
        if (headers['Authorization'] !== undefined)
          expect(headers['Authorization'], where).toMatch(/^Bearer /);
      } else {
        expect(entry['command'], where).toBeTypeOf('string');
        expect(Array.isArray(entry['args']), where).toBe(true);
      }
    }
  });

  it('show an execute_call config the MCP server accepts', () => {
    const withExecute = jsonBlocks.filter((b) => {
      const doc = parseJson(b.text);
      return typeof doc === 'object' && doc !== null && 'executeCall' in doc;
    });
    expect(withExecute.length).toBeGreaterThan(0);
    for (const b of withExecute) {
      const r = McpConfigSchema.safeParse(JSON.parse(b.text));
      expect(r.success, `${b.file}: ${r.success ? '' : r.error.message}`).toBe(true);
    }
  });

  it('run smolmap only with commands of the CLI table and options each command takes', async () => {
    expect(invocations.length).toBeGreaterThan(10);
    expect(invocations.some((i) => i.where.includes('MCP config'))).toBe(true);
    expect(invocations.some((i) => i.where.includes('claude mcp add'))).toBe(true);
    for (const { where, argv } of invocations) {
      const command = findCommand(argv);
      expect(command, `${where}: no such command`).not.toBeNull();
      const options = { ...GLOBAL_OPTIONS, ...command!.options };
      expect(() => parseArgs({ args: argv.slice(), options, allowPositionals: true }), where).not.toThrow();
      // The real CLI parses the same argv; --help stops it before it opens a store or loads a model.
      const r = await runInProcess([...argv, '--help']);
      expect(r.code, `${where}: ${r.stderr}`).toBe(0);
    }
  });

  it('link only to files and headings that exist, and reach every docs page from the README', () => {
    const slug = (heading: string): string =>
      heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-');
    const anchors = (file: string): Set<string> =>
      new Set(
        [
          ...read(file)
            .replace(/^```[\s\S]*?^```/gm, '')
            .matchAll(/^#{1,6} (.+)$/gm),
        ].map((m) => slug(m[1]!)),
      );
    const reached = new Set<string>();
    for (const file of DOC_FILES) {
      const text = read(file).replace(/^```[\s\S]*?^```/gm, '');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const link = m[1]!;
        if (/^[a-z]+:/i.test(link)) continue;
        const [target = '', anchor] = link.split('#');
        const resolved =
          target === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), target));
        expect(existsSync(path.join(ROOT, resolved)), `${file} links to missing ${link}`).toBe(true);
        if (anchor && resolved.endsWith('.md'))
          expect(anchors(resolved).has(anchor), `${file} links to missing heading ${link}`).toBe(true);
        if (file === 'README.md' || file === 'docs/README.md') reached.add(resolved);
      }
    }
    for (const page of DOC_FILES.filter((f) => f.startsWith('docs/')))
      expect(reached.has(page), `${page} is linked from neither README.md nor docs/README.md`).toBe(true);
    const readmeLinks = [...reached].filter((f) => f.startsWith('docs/'));
    expect(readmeLinks.length).toBeGreaterThan(5);
  });
});
