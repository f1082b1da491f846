/** `smolmap jobs ...` as a named tenant, with a runner that died, and the group's help. */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openEngine, type JobRecord } from '../../src/engine/index.js';
import { runInProcess, spawnCli } from './run-cli.js';

let root: string;
let data: string;
const at = new Date().toISOString();
const job = (id: string, patch: Partial<JobRecord>): JobRecord => ({
  id,
  kind: 'train',
  status: 'queued',
  options: {},
  progress: null,
  error: null,
  checkpoint: null,
  result: null,
  createdAt: at,
  startedAt: null,
  finishedAt: null,
  updatedAt: at,
  ...patch,
});

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'smolmap-cli-jobs-'));
  data = path.join(root, 'data');
  const engine = await openEngine({ dataDir: data, modelsDir: path.join(root, 'models') });
  const progress = {
    step: 9,
    totalSteps: 20,
    epoch: 0,
    loss: 1,
    valLoss: null,
    lr: 1e-3,
    tokensPerSecond: 1,
    etaSeconds: 1,
  };
  await engine.store.update((d) => {
    d.jobs.push(job('theirs', { tenant: 'discord:G1', status: 'stopped' }));
    d.jobs.push(
      job('crashed', { status: 'running', checkpoint: 'checkpoints/crashed', checkpointStep: 4, progress }),
    );
  });
  // A runner lock whose holder no longer runs: a pid past any real one on this host.
  await mkdir(path.join(data, 'jobs'), { recursive: true });
  const holder = { pid: 2 ** 22 + 17, host: os.hostname(), nonce: 'x', acquiredAt: at };
  await writeFile(path.join(data, 'jobs', 'runner.lock'), JSON.stringify(holder));
});
afterAll(async () => rm(root, { recursive: true, force: true }));

const cli = (...args: string[]) => runInProcess([...args, '--data-dir', data, '--json']);

describe('smolmap jobs', () => {
  it("refuses another tenant's job unless acting as that tenant", async () => {
    for (const cmd of ['show', 'stop', 'resume']) {
      const r = await cli('jobs', cmd, 'theirs');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^job_unknown:/);
    }
    const list = JSON.parse((await cli('jobs', 'list')).stdout) as { id: string }[];
    expect(list.map((j) => j.id)).toEqual(['crashed']);
    const as = await cli('jobs', 'show', 'theirs', '--tenant', 'discord:G1');
    expect(as.code).toBe(0);
    expect(JSON.parse(as.stdout)).toMatchObject({ id: 'theirs', status: 'stopped' });
  });

  it('reports a job whose runner died as interrupted at its checkpoint step, and stops it', async () => {
    const [row] = JSON.parse((await cli('jobs', 'list')).stdout) as { status: string; step: number }[];
    expect(row).toMatchObject({ status: 'interrupted', step: 4 });
    const stop = await cli('jobs', 'stop', 'crashed');
    expect(stop.code).toBe(0);
    expect(JSON.parse(stop.stdout)).toMatchObject({ id: 'crashed', status: 'stopped' });
  });

  it('has help for the group', async () => {
    const r = await spawnCli(['jobs', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('jobs list');
    expect(r.stdout).toContain('jobs resume');
  }, 30_000);
});
