/**
 * `smolmap chat`, the real CLI with task lines piped into stdin, on the tiny model (untrained: answers are
 * valid calls of the spec, not good ones): answers, the `:` commands, and the asks recorded as one session.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { pipeCli, runInProcess } from './run-cli.js';
import { tinyStore, type TinyStore } from './tiny-store.js';

let store: TinyStore;
beforeAll(async () => {
  store = await tinyStore('cli-chat');
});
afterAll(() => rmSync(store.root, { recursive: true, force: true }));

describe('smolmap chat (piped)', () => {
  it('answers each task line, runs the : commands and records one playground session', async () => {
    const lines = [
      'show me note 42',
      ':explain',
      ':copy',
      ':model',
      ':nope',
      'add a note saying hi',
      ':history',
    ];
    const r = await pipeCli(['chat', '--spec', 'notes', '--local', ...store.dirs], lines.join('\n') + '\n');
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^smolmap chat: spec notes, session (cli-\S+); the model loads on the first task/);
    const session = /session (cli-[\w-]+);/.exec(out)![1]!;
    expect(out).toMatch(/^(GET|POST) \/notes/m);
    expect(out).toMatch(/^confidence \d+\.\d% = operation \d+\.\d% × values \d+\.\d%$/m);
    expect(out).toMatch(/^output {5}\{"op":/m);
    expect(out.match(/^curl /gm)!.length).toBe(3); // two answers and :copy
    expect(out).toContain('answering with: tiny');
    expect(out).toContain('unknown command :nope; :help lists them');
    expect(out).toContain('show me note 42\n  → ');
    expect(out).toContain(`session ${session}: 2 asks recorded`);

    const h = await runInProcess(['history', '--session', session, '--json', ...store.dirs]);
    const asks = JSON.parse(h.stdout) as { input: string; sessionId: string }[];
    expect(asks.map((q) => q.input)).toEqual(['show me note 42', 'add a note saying hi']);
  }, 120_000);

  it('stops at :quit, reports a failing task and goes on', async () => {
    const r = await pipeCli(
      ['chat', '--spec', 'notes', '--local', '--model', 'ghost', ...store.dirs],
      ['show note 1', ':model default', ':quit', 'never asked'].join('\n') + '\n',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\w+: no trained model "ghost"/m);
    expect(r.stdout).toContain('next asks use the spec’s active adapter');
    expect(r.stdout).toContain(': 0 asks recorded');
  }, 120_000);

  it('refuses an unknown spec before reading any task', async () => {
    const r = await runInProcess(['chat', '--spec', 'nope', ...store.dirs]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^spec_unknown: /);
    const missing = await runInProcess(['chat', ...store.dirs]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^usage_missing_option: `smolmap chat` needs --spec/);
  });
});
