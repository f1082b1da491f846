/**
 * The built CLI as a named tenant (`--tenant`, `$SMOLMAP_TENANT`): two tenants with a spec of the same name,
 * and another tenant's specs, datasets, adapters, jobs and asks answered as unknown by every command.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { TINY_SPEC } from '../bots/helpers.js';
import { BIN, ROOT, runInProcess, type Run } from './run-cli.js';

let root: string;
let dirs: string[];
let datasetA: string;

/** The real CLI process with this environment added (SMOLMAP_TENANT unset unless given). */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args, ...dirs],
      {
        cwd: ROOT,
        env: { ...process.env, SMOLMAP_HOME: '', SMOLMAP_MODELS: '', SMOLMAP_TENANT: '', ...env },
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const json = <T>(r: Run): T => {
  expect(r.stderr.split('\n').filter((l) => /^[a-z_]+: /.test(l))).toEqual([]);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as T;
};

/** The error line, with `name` replaced so two names' answers compare. */
const refusal = (r: Run, name: string): string => {
  expect(r.code).toBe(1);
  return r.stderr.trim().split('\n').at(-1)!.split(name).join('<name>');
};

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'smolmap-cli-tenant-'));
  dirs = ['--data-dir', path.join(root, 'data'), '--models-dir', path.join(root, 'models')];
  for (const t of ['a', 'b']) {
    const file = path.join(root, `petstore-${t}.yaml`);
    await writeFile(file, TINY_SPEC.replace('Tiny Pets', `Pets of ${t.toUpperCase()}`));
    const r = await runInProcess([
      'spec',
      'add',
      file,
      '--name',
      'petstore',
      '--tenant',
      `team-${t}`,
      ...dirs,
    ]);
    if (r.code !== 0) throw new Error(r.stderr);
  }
  const gen = await runInProcess([
    'data',
    'generate',
    '--spec',
    'petstore',
    '--count',
    '20',
    '--json',
    '--tenant',
    'team-a',
    ...dirs,
  ]);
  datasetA = (JSON.parse(gen.stdout) as { dataset: string }).dataset;
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('smolmap --tenant', () => {
  it('keeps two petstores apart, by flag or by $SMOLMAP_TENANT', async () => {
    const [a, b, local] = await Promise.all([
      cli(['spec', 'list', '--json', '--tenant', 'team-a']),
      cli(['spec', 'list', '--json'], { SMOLMAP_TENANT: 'team-b' }),
      cli(['spec', 'list', '--json']),
    ]);
    expect(json<{ name: string; version: number }[]>(a)).toEqual([
      expect.objectContaining({ name: 'petstore', version: 1, title: 'Pets of A' }),
    ]);
    expect(json<{ name: string; version: number }[]>(b)).toEqual([
      expect.objectContaining({ name: 'petstore', version: 1, title: 'Pets of B' }),
    ]);
    expect(json(local)).toEqual([]);
  }, 60_000);

  it("answers another tenant's names and ids exactly as ones that do not exist", async () => {
    const as = ['--tenant', 'team-c', '--json'];
    const pairs: [string[], string][] = [
      [['spec', 'ops', 'petstore'], 'petstore'],
      [['spec', 'rm', 'petstore'], 'petstore'],
      [['ask', '--spec', 'petstore', 'show pet 7'], 'petstore'],
      [['train', '--spec', 'petstore'], 'petstore'],
      [['data', 'show', datasetA], datasetA],
    ];
    const runs = await Promise.all(
      pairs.flatMap(([args, name]) => [
        cli([...args, ...as]),
        cli([...args.map((x) => (x === name ? 'no-such-thing' : x)), ...as]),
      ]),
    );
    pairs.forEach(([, name], i) => {
      const theirs = refusal(runs[2 * i]!, name);
      expect(theirs).toMatch(/^(spec_unknown|dataset_unknown): /);
      expect(theirs).toBe(refusal(runs[2 * i + 1]!, 'no-such-thing'));
    });
    // Tenant B's own dataset view of A's id: unknown too.
    expect(refusal(await cli(['data', 'show', datasetA, '--tenant', 'team-b']), datasetA)).toMatch(
      /^dataset_unknown: /,
    );
  }, 120_000);

  it('removes only its own petstore', async () => {
    const rm = await cli(['spec', 'rm', 'petstore', '--json', '--tenant', 'team-b']);
    expect(json(rm)).toMatchObject({ name: 'petstore', removed: [1], remaining: [] });
    const ops = json<{ operationId: string }[]>(
      await cli(['spec', 'ops', 'petstore', '--json', '--tenant', 'team-a']),
    );
    expect(ops.map((o) => o.operationId).sort()).toEqual(['getPet', 'listPets']);
    expect(
      json<{ dataset: string }>(await cli(['data', 'show', datasetA, '--json', '--tenant', 'team-a']))
        .dataset,
    ).toBe(datasetA);
  }, 60_000);

  it('refuses a tenant name that is not a short slug, from the flag or the environment', async () => {
    const [flag, env] = await Promise.all([
      cli(['spec', 'list', '--tenant', '../a']),
      cli(['spec', 'list'], { SMOLMAP_TENANT: 'Team A' }),
    ]);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toMatch(/^tenant_bad_name: --tenant "\.\.\/a"/m);
    expect(env.stderr).toMatch(/^tenant_bad_name: SMOLMAP_TENANT "Team A"/m);
  }, 60_000);
});
