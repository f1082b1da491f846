/**
 * The spec commands: the `--json` contract, and for a sample of the bad-input corpus its
 * coded one-line error, non-zero exit and an untouched store. One success, one failure and one usage error go
 * through the real CLI (`node bin/smolmap.js`, built to dist/ by `npm test`'s pretest; each spawn costs seconds
 * of imports); the other cases call the same `main` in-process with stdout/stderr captured.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { ROOT, runInProcess, spawnCli, type Run } from './run-cli.js';

const smolmap = (args: string[]): Promise<Run> =>
  spawnCli([...args, '--data-dir', dataDir, '--models-dir', path.join(dir, 'models')]);

const inProcess = (args: string[]): Promise<Run> =>
  runInProcess([...args, '--data-dir', dataDir, '--models-dir', path.join(dir, 'models')]);

async function snapshot(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dataDir, { recursive: true, withFileTypes: true }))
    if (e.isFile())
      out[path.relative(dataDir, path.join(e.parentPath, e.name))] = createHash('sha256')
        .update(await readFile(path.join(e.parentPath, e.name)))
        .digest('hex');
  return out;
}

let dir: string;
let dataDir: string;

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist', 'cli.js')))
    throw new Error('dist/cli.js is missing: run `npm run build` (npm test does it in pretest)');
  dir = await mkdtemp(path.join(os.tmpdir(), 'smolmap-cli-'));
  dataDir = path.join(dir, 'data');
});

describe('smolmap spec (CLI)', () => {
  it('adds an example spec and lists its operations as JSON', async () => {
    const add = await smolmap(['spec', 'add', 'examples/petstore.yaml', '--json']);
    expect(add.code, add.stderr).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({
      name: 'petstore',
      version: 1,
      title: 'Swagger Petstore',
      operations: 20,
      servers: ['http://petstore.swagger.io/v2'],
    });
    const ops = await inProcess(['spec', 'ops', 'petstore', '--json']);
    const rows = JSON.parse(ops.stdout) as {
      operationId: string;
      method: string;
      path: string;
      summary: string;
    }[];
    expect(rows).toHaveLength(20);
    expect(rows).toContainEqual(
      expect.objectContaining({
        operationId: 'findPetsByStatus',
        method: 'GET',
        path: '/pet/findByStatus',
        summary: 'Finds Pets by status',
      }),
    );
    const list = await inProcess(['spec', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({ name: 'petstore', version: 1, operations: 20 }),
    ]);
    const human = await inProcess(['spec', 'ops', 'petstore']);
    expect(human.stdout).toMatch(/^METHOD\s+PATH\s+OPERATION\s+SUMMARY\n/);
    expect(human.stdout).toContain('GET     /pet/findByStatus');
  });

  // [label, input, code, through the real process]
  const bad: [string, () => Promise<string>, string, boolean][] = [
    ['invalid JSON', () => file('bad.json', '{"openapi": "3.1.0",'), 'spec_parse_error', false],
    ['YAML alias bomb', () => file('bomb.yaml', bomb()), 'spec_yaml_aliases', false],
    ['non-http URL', async () => 'ftp://example.com/openapi.yaml', 'spec_bad_url', false],
    // scalar's error formatter fails on this one and logs with console.error: the process's stderr must still
    // be one line
    [
      'a schema type that does not exist',
      () =>
        file(
          'type.json',
          JSON.stringify({
            openapi: '3.0.3',
            info: { title: 'x', version: '1' },
            paths: {
              '/a': {
                get: {
                  parameters: [{ name: 'q', in: 'query', schema: { type: 'strin' } }],
                  responses: { '200': { description: 'ok' } },
                },
              },
            },
          }),
        ),
      'spec_invalid',
      true,
    ],
    ['missing file', async () => path.join(dir, 'nope.yaml'), 'spec_not_found', false],
    [
      'external $ref',
      () =>
        file(
          'ext.json',
          JSON.stringify({
            openapi: '3.1.0',
            info: { title: 'x', version: '1' },
            paths: {
              '/a': {
                get: { parameters: [{ $ref: 'other.yaml#/p' }], responses: { '200': { description: 'ok' } } },
              },
            },
          }),
        ),
      'spec_external_ref',
      false,
    ],
  ];

  it.each(bad)(
    'refuses %s: coded line on stderr, exit 1, store unchanged',
    async (_label, make, code, real) => {
      const source = await make();
      const before = await snapshot();
      const run = await (real ? smolmap : inProcess)(['spec', 'add', source, '--name', 'petstore']);
      expect(run.code).toBe(1);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr.startsWith(`${code}: `), run.stderr).toBe(true);
      expect(run.stdout).toBe('');
      expect(await snapshot()).toEqual(before);
    },
  );

  it('prints a JSON error document with --json, and exits 2 on usage errors', async () => {
    const unknown = await inProcess(['spec', 'ops', 'nope', '--json']);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout)).toEqual({
      error: { code: 'spec_unknown', message: expect.any(String) },
    });
    const usage = await smolmap(['spec', 'diff', 'petstore', '1']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^usage_bad_arguments: /);
    const version = await inProcess(['spec', 'show', 'petstore', '--version', 'x']);
    expect(version.code).toBe(2);
  });
});

async function file(name: string, content: string): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, content);
  return p;
}

function bomb(): string {
  const lines = ['openapi: 3.1.0', 'a0: &a0 ["lol"]'];
  for (let i = 1; i < 10; i++)
    lines.push(
      `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  return lines.join('\n') + '\n';
}
