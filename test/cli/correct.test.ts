/**
 * `smolmap correct` and `smolmap data show --spec` through main(): an answer's id (printed by `ask`) starts the
 * correction, which is validated against the spec and stored with who and when; usage errors suggest the fix,
 * and nothing is stored for a correction that does not fit.
 */
import { rmSync } from 'node:fs';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runInProcess as run, spawnCli } from './run-cli.js';
import { tinyStore, type TinyStore } from './tiny-store.js';

let store: TinyStore;
let answer: string;

beforeAll(async () => {
  store = await tinyStore('cli-correct');
  const asked = await run(['ask', '--spec', 'notes', 'show me note 7', '--json', ...store.dirs]);
  expect(asked.code, asked.stderr).toBe(0);
  answer = (JSON.parse(asked.stdout) as { queryId: string }).queryId;
});
afterAll(() => rmSync(store.root, { recursive: true, force: true }));

const corrections = async () => {
  const r = await run(['data', 'show', '--spec', 'notes', '--json', ...store.dirs]);
  return (JSON.parse(r.stdout) as { corrections: { id: string }[] }).corrections;
};

describe('smolmap correct', () => {
  it('ask prints the answer id; correct <id> alone shows the answer and stores nothing', async () => {
    const human = await run(['ask', '--spec', 'notes', 'show me note 8', ...store.dirs]);
    expect(human.stdout).toMatch(
      /answer id: {2}q-[\w-]+ {2}\(if it is wrong: `smolmap correct q-[\w-]+ …`\)/,
    );
    const r = await run(['correct', answer, ...store.dirs]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Answer ${answer} (notes v1): “show me note 7”`);
    expect(r.stdout).toMatch(/Nothing stored/);
    expect(await corrections()).toEqual([]);
  });

  it('stores the answer corrected to another operation and value, with the user and time', async () => {
    const r = await run([
      'correct',
      answer,
      'GET',
      '/notes/{id}',
      '--param',
      'id=7',
      '--json',
      ...store.dirs,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { stored: boolean; correction: Record<string, unknown> };
    expect(doc.stored).toBe(true);
    expect(doc.correction).toMatchObject({
      task: 'show me note 7',
      queryId: answer,
      surface: 'cli',
      user: os.userInfo().username,
      expected: { method: 'GET', path: '/notes/{id}', operationId: 'getNote', pathParams: { id: '7' } },
    });
    expect(Date.now() - Date.parse(doc.correction['createdAt'] as string)).toBeLessThan(60_000);
  });

  it('adds an example without an answer from --spec, --task, the operationId and --body', async () => {
    const r = await run([
      'correct',
      '--spec',
      'notes',
      '--task',
      'jot down buy milk',
      'addNote',
      '--body',
      '{"text":"buy milk"}',
      ...store.dirs,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Saved correction corr-\w+ of notes v1 by /);
    expect(r.stdout).toContain('now:  POST /notes  body {"text":"buy milk"}');
    expect(r.stdout).toContain('`smolmap train --spec notes --incremental`');
  });

  it('refuses what does not fit the spec with the fix, and stores nothing', async () => {
    const before = (await corrections()).length;
    const param = await run(['correct', answer, 'getNote', '--param', 'idd=7', ...store.dirs]);
    expect(param.code).toBe(1);
    expect(param.stderr).toMatch(
      /^correction_invalid: GET \/notes\/\{id\} has no path or query parameter "idd"; it takes id/,
    );
    const value = await run(['correct', answer, 'getNote', '--param', 'id=seven', ...store.dirs]);
    expect(value.stderr).toMatch(/^correction_invalid: .*id/);
    const op = await run(['correct', answer, 'DELETE', '/notes', ...store.dirs]);
    expect(op.stderr).toMatch(/has no operation "DELETE \/notes".*smolmap spec ops notes/);
    const unknown = await run(['correct', 'q-gone', 'getNote', '--param', 'id=1', ...store.dirs]);
    expect(unknown.stderr).toMatch(/^query_unknown: no answer "q-gone"/);
    expect(await corrections()).toHaveLength(before);
  });

  it('reports usage errors with exit 2 and a suggestion', async () => {
    const typo = await run(['corect', answer, ...store.dirs]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/did you mean `smolmap correct`/);
    const option = await run(['correct', answer, '--parm', 'id=1', ...store.dirs]);
    expect(option.stderr).toMatch(/did you mean --param/);
    const body = await run(['correct', answer, '--body', '{bad', ...store.dirs]);
    expect(body.code).toBe(2);
    expect(body.stderr).toMatch(/^usage_bad_option: --body is not JSON/);
    const param = await run(['correct', answer, '--param', 'id', ...store.dirs]);
    expect(param.stderr).toMatch(/--param takes NAME=VALUE/);
    const noTask = await run(['correct', '--spec', 'notes', 'getNote', ...store.dirs]);
    expect(noTask.code).toBe(2);
    expect(noTask.stderr).toMatch(/^usage_missing_option: .*--task/);
    const nothing = await run(['correct', ...store.dirs]);
    expect(nothing.stderr).toMatch(/needs an answer id/);
  });

  it('data show --spec lists the corrections with who and when; the real binary has the help', async () => {
    const r = await run(['data', 'show', '--spec', 'notes', ...store.dirs]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Corrections of notes: 2 /);
    expect(r.stdout).toMatch(
      new RegExp(`\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z  corr-\\w+  ${os.userInfo().username} \\(cli\\)  notes v1`),
    );
    expect(r.stdout).toContain('“show me note 7” → GET /notes/{id}  path {"id":"7"}');
    const help = await spawnCli(['correct', '--help']);
    expect(help.stdout).toMatch(
      /^Usage: smolmap correct \[options\] \[<answer-id>\] \[OPERATION \| METHOD PATH\]/,
    );
    expect(help.stdout).toContain('--param NAME=VALUE');
  });
});
