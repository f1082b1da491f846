/**
 * The CLI's way finding: grouped, aligned help; usage lines with required options; a bare group's list;
 * "did you mean"; the `models` alias; unquoted task words; hints that name every way forward.
 */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';

import { releaseRuntimes } from '../../src/engine/index.js';
import { runInProcess as run } from './run-cli.js';
import { tinyStore, type TinyStore } from './tiny-store.js';

const stores: TinyStore[] = [];
afterAll(async () => {
  await releaseRuntimes();
  for (const s of stores) rmSync(s.root, { recursive: true, force: true });
});

/** Lines of a two-column block: the left entry, at least two spaces, then the description. */
const TWO_COLUMNS = /^ {2}\S.*?\S? {2,}\S/;

describe('smolmap help', () => {
  it('groups the overview and keeps its columns apart', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    const titles = r.stdout.split('\n').filter((l) => /^[A-Z][\w &]+:$/.test(l));
    expect(titles).toEqual([
      'Specs:',
      'Data & training:',
      'Asking:',
      'Adapters & models:',
      'Serving:',
      'Global options:',
    ]);
    const entries = r.stdout.split('\n').filter((l) => /^ {2}\S/.test(l));
    for (const l of entries) expect(l, l).toMatch(TWO_COLUMNS);
    // Every command's description starts in one column, whatever the length of its name.
    const col = (l: string) => /^ {2}\S+(?: \S+)? +/.exec(l)![0].length;
    const commandCols = new Set(entries.filter((l) => !l.startsWith('  --')).map(col));
    expect(commandCols.size).toBe(1);
    expect(r.stdout).toContain('  adapters list ');
    expect(r.stdout).toContain('  chat ');
  });

  it('shows required options in usage lines and aligns long option names', async () => {
    const ask = await run(['ask', '--help']);
    expect(ask.stdout.split('\n')[0]).toBe('Usage: smolmap ask --spec S [options] <task...>');
    const evalHelp = await run(['eval', '--help']);
    expect(evalHelp.stdout).toContain('Usage: smolmap eval --spec S --tasks F [options]');
    for (const command of [['ask'], ['serve'], ['export'], ['train']]) {
      const h = await run([...command, '--help']);
      const options = h.stdout.split('\n').filter((l) => l.startsWith('  --'));
      expect(options.length, command.join(' ')).toBeGreaterThan(3);
      for (const l of options) expect(l, l).toMatch(/^ {2}--\S+( \S+)? {2,}\S/);
    }
  });

  it('lists the commands of a bare group', async () => {
    const r = await run(['spec']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: smolmap spec <command>');
    for (const sub of ['add', 'list', 'show', 'ops', 'diff', 'rm'])
      expect(r.stdout).toMatch(new RegExp(`^ {2}${sub} `, 'm'));
  });

  it('suggests the closest command, subcommand and option', async () => {
    const cmd = await run(['aks', '--spec', 'x', 'hi']);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toMatch(/^usage_unknown_command: .*did you mean `smolmap ask`\?/);
    const sub = await run(['spec', 'lst']);
    expect(sub.stderr).toContain('did you mean `smolmap spec list`?');
    const nothing = await run(['spec', 'frobnicate']);
    expect(nothing.stderr).toContain('it has add, list, show, ops, diff, rm');
    const flag = await run(['ask', '--sepc', 'x', 'hi']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^usage_bad_option: unknown option --sepc; did you mean --spec\?/);
    const far = await run(['ask', '--zzzzzz']);
    expect(far.stderr).not.toContain('did you mean');
  });
});

describe('adapters, and asks in plain words', () => {
  it('keeps `models` as an alias of `adapters`, with a note', async () => {
    const s = await tinyStore('cli-alias', { model: false });
    stores.push(s);
    const now = await run(['adapters', 'list', '--json', ...s.dirs]);
    expect(now.code).toBe(0);
    expect(JSON.parse(now.stdout)).toEqual([]);
    const old = await run(['models', 'list', '--json', ...s.dirs]);
    expect(old.code).toBe(0);
    expect(JSON.parse(old.stdout)).toEqual([]);
    expect(old.stderr).toContain('`smolmap models` is now `smolmap adapters`');
  });

  it('names model pull and model import when no base model is registered', async () => {
    const s = await tinyStore('cli-nomodel', { model: false });
    stores.push(s);
    const r = await run(['ask', '--spec', 'notes', 'show', 'note', '42', ...s.dirs]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^model_not_found: /);
    expect(r.stderr).toContain('smolmap model pull');
    expect(r.stderr).toContain('smolmap model import');
  });

  it('joins unquoted task words into one task', async () => {
    const s = await tinyStore('cli-words');
    stores.push(s);
    const r = await run(['ask', '--spec', 'notes', 'show', 'me', 'note', '42', '--json', ...s.dirs]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ spec: 'notes', valid: true });
    const h = await run(['history', '--json', ...s.dirs]);
    expect((JSON.parse(h.stdout) as { input: string }[]).map((q) => q.input)).toEqual(['show me note 42']);
    const empty = await run(['ask', '--spec', 'notes', ...s.dirs]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/^usage_bad_arguments: `smolmap ask` needs the task/);
  }, 60_000);
});
