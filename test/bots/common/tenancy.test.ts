/**
 * Cross-tenant isolation through the bots' one entry point: workspace A cannot see, use or delete what
 * workspace B added, even when it names B's spec or job exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { addSpec, getJob, listSpecs, startTraining } from '../../../src/engine/index.js';
import { runInProcess } from '../../cli/run-cli.js';
import { handleCommand, type BotDeps } from '../../../src/bots/common/handler.js';
import { parseCommand } from '../../../src/bots/common/grammar.js';
import type { Actor } from '../../../src/bots/common/permissions.js';
import { TINY_SPEC, botDeps, fakeBaseModel, tempEngine, type TempEngine } from '../helpers.js';

let t: TempEngine;
let deps: BotDeps;
let jobB: string;
const A: Actor = { tenant: 'slack:TA', user: 'UA', admin: true };
const B: Actor = { tenant: 'slack:TB', user: 'UB', admin: true };

const run = (actor: Actor, text: string) =>
  handleCommand(deps, { actor, surface: 'slack' }, parseCommand(text));
/** The failure as `code: message`, with `name` replaced so two names' answers compare. */
const failure = (p: Promise<unknown>, name: string): Promise<string> =>
  p.then(
    () => 'ok',
    (e: { code: string; message: string }) => `${e.code}: ${e.message.split(name).join('<name>')}`,
  );
const code = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (e: { code?: string }) => e.code ?? 'uncoded',
  );

beforeAll(async () => {
  t = await tempEngine();
  deps = botDeps(t.engine, { everyone: [], allow: [] });
  const file = path.join(t.dir, 'secret.yaml');
  await writeFile(file, TINY_SPEC.replace('Tiny Pets', 'B Secret Pets'));
  await addSpec(t.engine, file, { tenant: B.tenant });
  await fakeBaseModel(t.engine);
  jobB = (await startTraining(t.engine, { spec: 'secret', tenant: B.tenant, train: { steps: 2 } })).job;
});

afterAll(() => t.close());

describe('tenancy', () => {
  it('A does not see B’s specs or jobs', async () => {
    expect((await run(A, 'spec list')).text).toContain('No specs');
    expect((await run(B, 'spec list')).text).toContain('secret');
    expect((await run(A, 'jobs')).text).toContain('No jobs');
    expect((await run(B, 'jobs')).text).toContain(jobB);
    expect(await code(run(A, 'spec ops secret'))).toBe('spec_unknown');
  });

  it('A cannot train on, stop or delete B’s things', async () => {
    expect(await code(run(A, 'train secret steps=2'))).toBe('spec_unknown');
    expect(await code(run(A, `stop ${jobB}`))).toBe('job_unknown');
    expect((await getJob(t.engine, jobB, { tenant: B.tenant })).status).toBe('queued');
    expect(await code(run(A, 'spec rm secret'))).toBe('spec_unknown');
    expect((await listSpecs(t.engine, { tenant: B.tenant })).map((s) => s.name)).toEqual(['secret']);
  });

  it('the same name in A is A’s own spec', async () => {
    const file = path.join(t.dir, 'secret.yaml');
    await writeFile(file, TINY_SPEC);
    await addSpec(t.engine, file, { tenant: A.tenant });
    expect((await run(A, 'spec rm secret')).text).toContain('Removed spec *secret*');
    expect((await listSpecs(t.engine, { tenant: B.tenant })).map((s) => s.name)).toEqual(['secret']);
  });

  it('B can stop its own job', async () => {
    expect((await run(B, `stop ${jobB}`)).text).toContain(jobB);
    expect((await getJob(t.engine, jobB, { tenant: B.tenant })).status).toBe('stopped');
  });

  it('answers B’s names and ids exactly as ones that do not exist', async () => {
    for (const [text, name] of [
      ['spec ops secret', 'secret'],
      ['spec rm secret', 'secret'],
      ['train secret steps=2', 'secret'],
      [`stop ${jobB}`, jobB],
      ['ask secret show me pet 1', 'secret'],
    ] as const) {
      const theirs = await failure(run(A, text), name);
      expect(theirs).toMatch(/^(spec_unknown|job_unknown): /);
      expect(theirs).toBe(await failure(run(A, text.replace(name, 'no-such-thing')), 'no-such-thing'));
    }
  });

  it('keeps the CLI’s own (local) specs and a workspace’s apart, and the operator can act as a workspace', async () => {
    const file = path.join(t.dir, 'cli.yaml');
    await writeFile(file, TINY_SPEC.replace('Tiny Pets', 'CLI Pets'));
    const dirs = ['--data-dir', t.engine.dataDir, '--models-dir', t.engine.modelsDir];
    expect((await runInProcess(['spec', 'add', file, '--name', 'cli-only', ...dirs])).code).toBe(0);
    expect((await run(A, 'spec list')).text).not.toContain('cli-only');
    expect(await code(run(A, 'spec ops cli-only'))).toBe('spec_unknown');
    expect((await listSpecs(t.engine)).map((s) => s.name)).not.toContain('secret');
    // `smolmap --tenant slack:TA` stores what workspace A then sees, through the same engine scoping.
    const as = await runInProcess([
      'spec',
      'add',
      file,
      '--name',
      'preloaded',
      '--tenant',
      A.tenant,
      ...dirs,
    ]);
    expect(as.code).toBe(0);
    expect((await run(A, 'spec list')).text).toContain('preloaded');
    expect((await run(B, 'spec list')).text).not.toContain('preloaded');
  });
});
