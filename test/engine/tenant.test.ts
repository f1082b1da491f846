/**
 * Tenants through the engine facade: names a CLI or MCP may act as, stores written before records carried a
 * tenant (everything is `local`'s), the same spec name in two tenants, and another tenant's names and ids
 * answered exactly as names and ids that do not exist.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  LOCAL_TENANT,
  actingTenant,
  activateAdapter,
  addSpec,
  correctionDraft,
  diffSpecVersions,
  generate,
  generateData,
  getJob,
  importModel,
  releaseRuntimes,
  getSpec,
  history,
  listAdapters,
  listCorrections,
  listJobs,
  listSpecs,
  loadDataset,
  removeSpec,
  resumeJob,
  rollbackAdapter,
  showAdapter,
  showDataset,
  specOperations,
  startTraining,
  stopJob,
  addCorrection,
  openEngine,
  type Engine,
  type QueryRecord,
  type SessionRecord,
} from '../../src/engine/index.js';
import { TINY_SPEC, fakeBaseModel, simulateTraining, tempEngine, type TempEngine } from '../bots/helpers.js';
import { REF } from './model/tiny-ref.js';

let t: TempEngine;
beforeEach(async () => {
  t = await tempEngine();
});
afterEach(() => t.close());

async function specFile(name: string, title = 'Tiny Pets'): Promise<string> {
  const file = path.join(t.dir, `${name}.yaml`);
  await writeFile(file, TINY_SPEC.replace('Tiny Pets', title));
  return file;
}

/** A spec, a dataset, a trained adapter, a job, an ask in a session and a correction, all of `tenant`. */
async function populate(engine: Engine, tenant: string, title: string) {
  await addSpec(engine, await specFile('petstore', title), { name: 'petstore', tenant });
  const data = await generateData(engine, { spec: 'petstore', tenant, count: 20 });
  const started = await startTraining(engine, {
    spec: 'petstore',
    tenant,
    dataset: data.dataset,
    train: { steps: 2 },
  });
  await simulateTraining(engine, started.job, 2);
  const now = new Date().toISOString();
  const spec = { name: 'petstore', version: 1 };
  const session: SessionRecord = {
    tenant,
    id: `s-${tenant}`,
    surface: 'cli',
    externalId: null,
    user: null,
    spec,
    model: null,
    createdAt: now,
    lastActiveAt: now,
  };
  const query: QueryRecord = {
    tenant,
    id: `q-${tenant}`,
    sessionId: session.id,
    input: 'show me pet 7',
    output: '',
    call: null,
    valid: false,
    issues: [],
    confidence: null,
    latencyMs: 1,
    model: started.model,
    spec,
    createdAt: now,
  };
  await engine.store.update((d) => {
    d.sessions.push(session);
    d.queries.push(query);
  });
  await addCorrection(engine, {
    spec: 'petstore',
    tenant,
    task: 'show me pet 7',
    expected: { method: 'GET', path: '/pets/{petId}', pathParams: { petId: '7' } },
    surface: 'cli',
  });
  return {
    job: started.job,
    model: started.model,
    dataset: data.dataset,
    query: query.id,
    session: session.id,
  };
}

/** The code and message of a failed call, with `name` replaced so two names' messages compare. */
async function failure(p: Promise<unknown>, name: string): Promise<string> {
  const e = await p.then(
    () => null,
    (err: { code: string; message: string }) => err,
  );
  if (e === null) return 'succeeded';
  return `${e.code}: ${e.message.split(name).join('<name>')}`;
}

describe('tenant names', () => {
  it('acts as the given name, else $SMOLMAP_TENANT, else local', () => {
    expect(actingTenant(undefined, {})).toBe(LOCAL_TENANT);
    expect(actingTenant(undefined, { SMOLMAP_TENANT: ' ' })).toBe(LOCAL_TENANT);
    expect(actingTenant(undefined, { SMOLMAP_TENANT: 'team-a' })).toBe('team-a');
    expect(actingTenant('team_b', { SMOLMAP_TENANT: 'team-a' })).toBe('team_b');
    expect(actingTenant('slack:T0123AB', {})).toBe('slack:T0123AB'); // a bot's workspace, for its operator
    expect(actingTenant('discord:1234567890', {})).toBe('discord:1234567890');
  });

  it('refuses names that are neither short slugs nor bot tenants', () => {
    for (const bad of ['', 'Team', 'a b', '../x', 'slack:', 'teams:T1', 'slack:T1/x', '-x', 'x'.repeat(33)])
      expect(() => actingTenant(bad, {})).toThrow(expect.objectContaining({ code: 'tenant_bad_name' }));
    expect(() => actingTenant(undefined, { SMOLMAP_TENANT: 'a/b' })).toThrow(/SMOLMAP_TENANT "a\/b"/);
  });
});

describe('a store written before records carried a tenant', () => {
  it('finds everything under local, and keeps it all on the next write', async () => {
    await fakeBaseModel(t.engine);
    const ids = await populate(t.engine, LOCAL_TENANT, 'Old Pets');
    // Today's layout: no `tenant` on any record, spec files under specs/<name>/<version>.
    const raw = JSON.parse(await readFile(t.engine.store.file, 'utf8')) as Record<string, unknown>;
    for (const list of Object.values(raw))
      if (Array.isArray(list)) for (const r of list as Record<string, unknown>[]) delete r['tenant'];
    await writeFile(t.engine.store.file, JSON.stringify(raw));
    expect(await readFile(t.engine.store.file, 'utf8')).not.toContain('"tenant"');
    const spec = await getSpec(t.engine, 'petstore');
    expect(spec.version.catalog.path).toBe('specs/petstore/1/catalog.json');

    const engine = await openEngine({ dataDir: t.engine.dataDir, modelsDir: t.engine.modelsDir });
    for (const scope of [{}, { tenant: LOCAL_TENANT }]) {
      expect((await listSpecs(engine, scope)).map((s) => s.name)).toEqual(['petstore']);
      expect((await getSpec(engine, 'petstore', scope)).catalog.title).toBe('Old Pets');
      expect((await showDataset(engine, ids.dataset, scope)).dataset).toBe(ids.dataset);
      expect((await listAdapters(engine, scope)).map((m) => [m.id, m.active])).toEqual([[ids.model, true]]);
      expect((await listJobs(engine, scope)).map((j) => j.id)).toEqual([ids.job]);
      expect((await getJob(engine, ids.job, scope)).status).toBe('succeeded');
      expect((await history(engine, { ...scope, session: ids.session })).map((q) => q.id)).toEqual([
        ids.query,
      ]);
      expect((await correctionDraft(engine, ids.query, scope)).task).toBe('show me pet 7');
      expect(await listCorrections(engine, scope)).toHaveLength(1);
    }
    const other = { tenant: 'team-a' };
    expect(await listSpecs(engine, other)).toEqual([]);
    expect(await listAdapters(engine, other)).toEqual([]);
    expect(await listJobs(engine, other)).toEqual([]);
    expect(await history(engine, other)).toEqual([]);
    expect(await listCorrections(engine, other)).toEqual([]);

    // A write stores the tenant explicitly and loses nothing.
    await addSpec(engine, await specFile('second'), { name: 'second' });
    const after = JSON.parse(await readFile(engine.store.file, 'utf8')) as Record<string, unknown[]>;
    for (const key of ['specs', 'datasets', 'models', 'jobs', 'sessions', 'queries', 'corrections'])
      for (const r of after[key]!) expect(r).toMatchObject({ tenant: LOCAL_TENANT });
    expect(after['specs']).toHaveLength(2);
    expect((raw['datasets'] as unknown[]).length).toBe(after['datasets']!.length);
    expect(after['baseModels']![0]).not.toHaveProperty('tenant'); // base models stay shared
  });
});

describe('two tenants', () => {
  it('each has its own petstore, with its own versions, data, adapters and removal', async () => {
    await fakeBaseModel(t.engine);
    const a = await populate(t.engine, 'team-a', 'Pets of A');
    const b = await populate(t.engine, 'team-b', 'Pets of B');
    expect((await getSpec(t.engine, 'petstore', { tenant: 'team-a' })).catalog.title).toBe('Pets of A');
    expect((await getSpec(t.engine, 'petstore', { tenant: 'team-b' })).catalog.title).toBe('Pets of B');
    expect((await listSpecs(t.engine, { tenant: 'team-a' }))[0]).toMatchObject({ version: 1, versions: [1] });
    expect((await listSpecs(t.engine, { tenant: 'team-b' }))[0]).toMatchObject({ version: 1, versions: [1] });
    expect(await listSpecs(t.engine)).toEqual([]);

    // Identical synthetic data still makes one dataset per tenant.
    const again = await generateData(t.engine, { spec: 'petstore', tenant: 'team-b', count: 20 });
    expect(again.dataset).toBe(b.dataset);
    expect(a.dataset).not.toBe(b.dataset);
    expect((await loadDataset(t.engine, a.dataset, { tenant: 'team-a' })).record.tenant).toBe('team-a');

    // Each tenant's first adapter is active for its own petstore.
    expect((await listAdapters(t.engine, { tenant: 'team-a' })).map((m) => [m.id, m.active])).toEqual([
      [a.model, true],
    ]);
    expect((await listAdapters(t.engine, { tenant: 'team-b' })).map((m) => [m.id, m.active])).toEqual([
      [b.model, true],
    ]);

    await removeSpec(t.engine, 'petstore', { tenant: 'team-a' });
    expect(await listSpecs(t.engine, { tenant: 'team-a' })).toEqual([]);
    const left = await getSpec(t.engine, 'petstore', { tenant: 'team-b' });
    expect(left.catalog.title).toBe('Pets of B');
    expect((await t.engine.store.readFile(left.version.document)).toString()).toContain('Pets of B');
  });
});

describe("another tenant's things", () => {
  it('answer exactly as names and ids that do not exist, and stay unchanged', async () => {
    await fakeBaseModel(t.engine);
    const b = await populate(t.engine, 'team-b', 'Secret Pets');
    const a = { tenant: 'team-a' };
    const same = async (call: (name: string) => Promise<unknown>, name: string) =>
      expect(await failure(call(name), name)).toBe(await failure(call('no-such-thing'), 'no-such-thing'));

    await same((n) => getSpec(t.engine, n, a), 'petstore');
    await same((n) => specOperations(t.engine, n, a), 'petstore');
    await same((n) => diffSpecVersions(t.engine, n, 1, 1, a), 'petstore');
    await same((n) => removeSpec(t.engine, n, a), 'petstore');
    await same((n) => generateData(t.engine, { spec: n, ...a }), 'petstore');
    await same((n) => startTraining(t.engine, { spec: n, ...a }), 'petstore');
    await same(
      (n) => addCorrection(t.engine, { spec: n, ...a, task: 'x', expected: {}, surface: 'cli' }),
      'petstore',
    );
    await same((n) => showDataset(t.engine, n, a), b.dataset);
    await same((n) => loadDataset(t.engine, n, a), b.dataset);
    await same((n) => showAdapter(t.engine, n, a), b.model);
    await same((n) => activateAdapter(t.engine, n, a), b.model);
    await same((n) => rollbackAdapter(t.engine, n, a), 'petstore');
    await same((n) => getJob(t.engine, n, a), b.job);
    await same((n) => stopJob(t.engine, n, a), b.job);
    await same((n) => resumeJob(t.engine, n, a), b.job);
    await same((n) => history(t.engine, { ...a, session: n }), b.session);
    await same((n) => correctionDraft(t.engine, n, a), b.query);

    // A dataset id of B's cannot train A's spec of the same name.
    await addSpec(t.engine, await specFile('mine'), { name: 'petstore', ...a });
    await expect(
      startTraining(t.engine, { spec: 'petstore', ...a, dataset: b.dataset, train: { steps: 2 } }),
    ).rejects.toMatchObject({ code: 'dataset_unknown' });

    expect((await getSpec(t.engine, 'petstore', { tenant: 'team-b' })).catalog.title).toBe('Secret Pets');
    expect((await getJob(t.engine, b.job, { tenant: 'team-b' })).status).toBe('succeeded');
    expect(await listCorrections(t.engine, a)).toEqual([]);
    expect(await history(t.engine, a)).toEqual([]);
  });
});

describe('generate with an adapter id', () => {
  it('finds only the acting tenant’s adapter', async () => {
    await importModel(t.engine, `${REF}/model`, { name: 'tiny' });
    try {
      const b = await populate(t.engine, 'team-b', 'Pets of B');
      const run = (tenant: string) =>
        failure(
          generate(t.engine, { model: 'tiny', adapter: b.model, tenant, prompt: 'hi', maxTokens: 1 }),
          b.model,
        );
      expect(await run('team-a')).toMatch(/^adapter_not_found: /);
      // B's own id is found (its simulated training wrote no adapter files, so loading it fails next).
      expect(await run('team-b')).not.toMatch(/^adapter_not_found: /);
    } finally {
      await releaseRuntimes();
    }
  }, 60_000);
});
