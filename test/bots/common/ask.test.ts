/**
 * The mapper verbs through the bots' handler on the tiny random Llama: ask (answer rendering, playground
 * session reuse), models, activate and history, each scoped by tenant — workspace A cannot ask with,
 * list or activate workspace B's spec and models.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addSpec,
  history,
  importModel,
  listAdapters,
  releaseRuntimes,
  type ModelRecord,
} from '../../../src/engine/index.js';
import { handleCommand, type BotDeps, type Invocation } from '../../../src/bots/common/handler.js';
import { parseCommand } from '../../../src/bots/common/grammar.js';
import type { Actor } from '../../../src/bots/common/permissions.js';
import { REF } from '../../engine/model/tiny-ref.js';
import { TINY_SPEC, botDeps, tempEngine, type TempEngine } from '../helpers.js';

let t: TempEngine;
let deps: BotDeps;
const A: Actor = { tenant: 'discord:GA', user: 'UA', admin: true };
const B: Actor = { tenant: 'discord:GB', user: 'UB', admin: true };

const inv = (actor: Actor, conversation?: string): Invocation => ({
  actor,
  surface: 'discord',
  ...(conversation !== undefined && { conversation }),
});
const run = (i: Invocation, text: string) => handleCommand(deps, i, parseCommand(text));
const code = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (e: { code?: string }) => e.code ?? 'uncoded',
  );

function model(id: string, tenant: string): ModelRecord {
  return {
    id,
    spec: { name: 'pets', version: 1 },
    baseModel: 'tiny',
    datasetId: null,
    dir: `adapters/${id}`,
    lora: { r: 4, alpha: 8, dropout: 0, targets: ['q_proj'] },
    metrics: { n: 10, endpointAccuracy: 0.9, exactMatch: 0.7, validRate: 1, paramF1: 0.8 },
    lossHistory: [],
    status: 'ready',
    active: false,
    jobId: null,
    createdAt: new Date().toISOString(),
    tenant,
  };
}

beforeAll(async () => {
  t = await tempEngine();
  deps = botDeps(t.engine, { everyone: [], allow: [] });
  await importModel(t.engine, `${REF}/model`, { name: 'tiny' });
  const file = path.join(t.dir, 'pets.yaml');
  await writeFile(file, TINY_SPEC);
  await addSpec(t.engine, file, { tenant: B.tenant });
  await t.engine.store.update((d) => void d.models.push(model('pets-b1', B.tenant)));
}, 60_000);

afterAll(async () => {
  await releaseRuntimes();
  await t.close();
});

describe('ask from chat', () => {
  it('answers with the call, curl, confidence and model, and opens a playground session', async () => {
    const r = await run(inv(B), 'ask pets show me pet 42');
    expect(r.text).toMatch(/`GET \/pets(\/\{petId\})?`/);
    expect(r.text).toContain('curl');
    expect(r.text).toMatch(/confidence \d+% · model `tiny` · pets v1/);
    expect(r.text).toContain('untrained');
    expect(r.session).toMatchObject({ spec: 'pets' });
    expect(r.session!.id).toMatch(/^discord-/);
    // A follow-up in the thread reuses the spec and the session.
    deps.sessions.set('thread-1', r.session!);
    const follow = await run(inv(B, 'thread-1'), 'ask pets list the sold pets');
    expect(follow.session!.id).toBe(r.session!.id);
    const threadAsk = await handleCommand(deps, inv(B, 'thread-1'), { verb: 'ask', task: 'list pets' });
    expect(threadAsk.session!.id).toBe(r.session!.id);
    expect((await history(t.engine, { tenant: B.tenant, session: r.session!.id })).length).toBe(3);
  }, 60_000);

  it('a task without a spec outside a playground is a usage error', async () => {
    expect(await code(handleCommand(deps, inv(B), { verb: 'ask', task: 'list pets' }))).toBe('bot_usage');
  });
});

describe('models, activate, history across tenants', () => {
  it('A cannot ask with, list or activate B’s spec and models, nor see B’s history', async () => {
    expect(await code(run(inv(A), 'ask pets show me pet 42'))).toBe('spec_unknown');
    expect((await run(inv(A), 'models')).text).toContain('No trained models');
    expect(await code(run(inv(A), 'activate pets-b1'))).toBe('adapter_not_found');
    expect((await run(inv(A), 'history')).text).toContain('Nothing asked yet');
    expect((await listAdapters(t.engine, { tenant: B.tenant }))[0]!.active).toBe(false);
  });

  it('B lists, activates and reads its history', async () => {
    expect((await run(inv(B), 'models pets')).text).toContain(
      '`pets-b1` pets v1 ready — exact 70%, endpoint 90% (n=10)',
    );
    expect((await run(inv(B), 'activate pets-b1')).text).toContain('`pets-b1` now answers for *pets*');
    expect((await listAdapters(t.engine, { tenant: B.tenant }))[0]!.active).toBe(true);
    expect((await run(inv(B), 'history')).text).toContain('pets: “show me pet 42” → `GET');
  });

  it('activating needs an admin or the allowlist', async () => {
    expect(await code(run(inv({ ...B, admin: false }), 'activate pets-b1'))).toBe('bot_forbidden');
  });
});
