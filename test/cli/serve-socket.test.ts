/**
 * Warm asks: the real `smolmap serve` listens on its private socket, and `smolmap ask` and `smolmap chat` (the
 * real CLI) answer through it, say so, and honour `--local`. Speed is not asserted here; see the README.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BIN, ROOT, pipeCli, runInProcess, spawnCli } from './run-cli.js';
import { tinyStore, type TinyStore } from './tiny-store.js';

let store: TinyStore;
let serve: ChildProcess;
let serveOut = '';
let sock: string;

beforeAll(async () => {
  store = await tinyStore('cli-serve-socket');
  sock = path.join(store.root, 'data', 'run', 'serve.sock');
  serve = spawn(process.execPath, [BIN, 'serve', ...store.dirs], {
    cwd: ROOT,
    env: { ...process.env, SMOLMAP_HOME: '', SMOLMAP_MODELS: '' },
  });
  serve.stdout!.on('data', (d: Buffer) => (serveOut += d.toString()));
  serve.stderr!.on('data', (d: Buffer) => (serveOut += d.toString()));
  for (let waited = 0; !serveOut.includes('serving;'); waited += 200) {
    if (waited > 60_000 || serve.exitCode !== null) throw new Error(`serve did not start:\n${serveOut}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}, 90_000);

afterAll(async () => {
  if (serve && serve.exitCode === null) {
    const exited = new Promise((r) => serve.once('exit', r));
    serve.kill('SIGTERM');
    await exited;
  }
  rmSync(store.root, { recursive: true, force: true });
});

describe('smolmap ask through a running serve', () => {
  it('listens on a socket only its user can reach', () => {
    expect(serveOut).toContain(`ask socket: ${sock}`);
    expect(statSync(sock).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(sock)).mode & 0o777).toBe(0o700);
  });

  it('answers asks there, and says so', async () => {
    for (const task of ['show me note 42', 'add a note saying hi']) {
      const r = await spawnCli(['ask', '--spec', 'notes', ...task.split(' '), '--json', ...store.dirs]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/answered by the running `smolmap serve` \(pid \d+\)/);
      expect(JSON.parse(r.stdout)).toMatchObject({ spec: 'notes', model: 'tiny', valid: true });
    }
    const human = await spawnCli(['ask', '--spec', 'notes', 'show', 'note', '7', ...store.dirs]);
    expect(human.stdout).toMatch(/^curl /m);
    const h = await runInProcess(['history', '--json', ...store.dirs]);
    expect((JSON.parse(h.stdout) as { input: string }[]).map((q) => q.input)).toEqual([
      'show me note 42',
      'add a note saying hi',
      'show note 7',
    ]);
  }, 120_000);

  it('reports the errors of the ask it ran, with the CLI exit codes', async () => {
    const usage = await spawnCli(['ask', '--spec', 'notes', '--version', 'x', 'hi', ...store.dirs]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^usage_bad_option: --version/m);
    const unknown = await spawnCli(['ask', '--spec', 'ghost', 'hi', '--json', ...store.dirs]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^spec_unknown: /m);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ error: { code: 'spec_unknown' } });
  }, 60_000);

  it('answers in the asking process with --local or for other directories', async () => {
    const local = await spawnCli(['ask', '--spec', 'notes', '--local', 'show', 'note', '1', ...store.dirs]);
    expect(local.code, local.stderr).toBe(0);
    expect(local.stderr).not.toContain('answered by the running');
    const other = path.join(store.root, 'other-models');
    const elsewhere = await spawnCli([
      'ask',
      '--spec',
      'notes',
      'hi',
      '--data-dir',
      path.join(store.root, 'data'),
      '--models-dir',
      other,
    ]);
    // Not the serve's models folder: answered here, where the registered base model's files are missing.
    expect(elsewhere.stderr).not.toContain('answered by the running');
    expect(elsewhere.stderr).toMatch(/^model_\w+: /m);
  }, 60_000);

  it('serves chat too', async () => {
    const r = await pipeCli(['chat', '--spec', 'notes', ...store.dirs], 'show me note 42\n:explain\n');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('answered by the running `smolmap serve`');
    expect(r.stdout).toMatch(/^confidence /m);
    expect(r.stdout).toMatch(/: 1 ask recorded/);
  }, 60_000);

  it('asks as the caller’s tenant, from --tenant or $SMOLMAP_TENANT', async () => {
    const file = path.join(store.root, 'notes.json');
    const add = await runInProcess([
      'spec',
      'add',
      file,
      '--name',
      'team-notes',
      '--tenant',
      'team-x',
      ...store.dirs,
    ]);
    expect(add.code, add.stderr).toBe(0);
    const task = ['ask', '--spec', 'team-notes', 'show', 'note', '5', ...store.dirs];
    const flag = await spawnCli([...task, '--tenant', 'team-x']);
    expect(flag.code, flag.stderr).toBe(0);
    expect(flag.stderr).toContain('answered by the running');
    process.env['SMOLMAP_TENANT'] = 'team-x';
    const env = await spawnCli(task).finally(() => delete process.env['SMOLMAP_TENANT']);
    expect(env.code, env.stderr).toBe(0);
    expect(env.stderr).toContain('answered by the running');
    const local = await spawnCli(task);
    expect(local.code).toBe(1);
    expect(local.stderr).toMatch(/^spec_unknown: /m);
    const asks = async (...as: string[]) =>
      (
        JSON.parse((await runInProcess(['history', '--json', ...as, ...store.dirs])).stdout) as {
          spec: { name: string };
        }[]
      ).filter((q) => q.spec.name === 'team-notes').length;
    expect(await asks('--tenant', 'team-x')).toBe(2);
    expect(await asks()).toBe(0);
  }, 90_000);

  it('removes its socket when stopped', async () => {
    const exited = new Promise((r) => serve.once('exit', r));
    serve.kill('SIGTERM');
    await exited;
    expect(existsSync(sock)).toBe(false);
  }, 60_000);
});
