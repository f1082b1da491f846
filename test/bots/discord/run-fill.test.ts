/**
 * *Run* and *Fill in* on Discord, on discord.js interactions built by a real Client whose REST points at a
 * local fake: Run sends the answered call to a loopback API through the guarded execute path and shows the
 * status and the redacted body privately; Fill in opens a modal with the missing values and answers with the
 * completed call, as a card whose buttons act on it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Client } from 'discord.js';
import { addSpec, type ApiCall, type ExecuteConfig } from '../../../src/engine/index.js';
import { answerNeeds } from '../../../src/bots/common/clarify.js';
import { handleInteraction, type DiscordHandlerOptions } from '../../../src/bots/discord/interaction.js';
import { messageOf } from '../../../src/bots/discord/embeds.js';
import { TINY_SPEC, botDeps, recordAnswer, tempEngine, type TempEngine } from '../helpers.js';
import { cacheChannels, discordClient, interactionPayload, live } from './live.js';
import { startFakeDiscord, type FakeDiscord, type DiscordRequest } from './fake-discord.js';

let t: TempEngine;
let fake: FakeDiscord;
let client: Client;
let api: Server;
let apiUrl: string;
let seen: { url: string; key: string | undefined }[] = [];
const ADMIN = '8';
const SECRET = 'sk-live-0123456789';

const payload = (type: number, data: Record<string, unknown>, permissions = '0') =>
  interactionPayload(type, data, permissions, '901') as { id: string; token: string } & Record<
    string,
    unknown
  >;
const click = (id: string, permissions?: string) =>
  payload(3, { custom_id: id, component_type: 2 }, permissions);
const callbackOf = (p: { id: string; token: string }): DiscordRequest =>
  fake.to(new RegExp(`/interactions/${p.id}/${p.token}/callback$`))[0]!;
const editOf = (p: { token: string }): DiscordRequest | undefined =>
  fake.to(new RegExp(`/webhooks/APP/${p.token}/messages/@original$`), 'PATCH')[0];

function options(execute?: ExecuteConfig): DiscordHandlerOptions {
  return {
    deps: { ...botDeps(t.engine, { everyone: [], allow: [] }), ...(execute && { execute }) },
    logger: pino({ level: 'silent' }),
    minEditIntervalMs: 60,
    pollMs: 20,
    tokenLifetimeMs: 15 * 60_000,
    lifetime: new AbortController().signal,
    background: new Set(),
  };
}

const call = (petId: string): ApiCall => ({
  operationId: 'getPet',
  method: 'GET',
  path: '/pets/{petId}',
  pathParams: { petId },
  query: {},
  headers: {},
  body: null,
  url: `https://pets.example.com/v1/pets/${petId}`,
});

let execute: ExecuteConfig;

beforeAll(async () => {
  t = await tempEngine();
  api = createServer((req, res) => {
    seen.push({ url: req.url ?? '', key: req.headers['x-api-key'] as string | undefined });
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ id: 42, name: 'Rex', echo: req.headers['x-api-key'] }));
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/v1`;
  execute = {
    enabled: true,
    allowedBaseUrls: [apiUrl],
    timeoutMs: 5000,
    maxResponseBytes: 65536,
    specs: {},
    tenants: {
      'discord:G1': { specs: { pets: { baseUrl: apiUrl, headers: { 'X-Api-Key': SECRET }, query: {} } } },
    },
  };
  const file = path.join(t.dir, 'pets.yaml');
  await writeFile(file, TINY_SPEC);
  await addSpec(t.engine, file, { name: 'pets', tenant: 'discord:G1' });
  await recordAnswer(t.engine, {
    id: 'q-run',
    tenant: 'discord:G1',
    spec: 'pets',
    task: 'show me pet 42',
    call: call('42'),
  });
  await recordAnswer(t.engine, {
    id: 'q-fill',
    tenant: 'discord:G1',
    spec: 'pets',
    task: 'show me a pet',
    call: call('7'),
  });
  fake = await startFakeDiscord();
  client = discordClient(fake.api);
});

afterAll(async () => {
  await client.destroy();
  await fake.close();
  await new Promise((r) => api.close(r));
  await t.close();
});

describe('discord Run button', () => {
  it('sends the call to the allowlisted API with the operator key and shows the redacted result privately', async () => {
    seen = [];
    const c = click('smolmap_run:q-run', ADMIN);
    await handleInteraction(options(execute), live(client, c));
    expect(callbackOf(c).body).toMatchObject({ type: 5, data: { flags: 64 } });
    expect(seen).toEqual([{ url: '/v1/pets/42', key: SECRET }]);
    const shown = String(editOf(c)!.body['content']);
    expect(shown).toContain(`GET ${apiUrl}/pets/42\` → **200**`);
    expect(shown).toContain('"name":"Rex"');
    expect(shown).not.toContain(SECRET);
    expect(shown).toContain('"echo":"***"');
  });

  it('refuses a member who may not run calls, and everyone when sending is off; nothing is sent', async () => {
    seen = [];
    const member = click('smolmap_run:q-run');
    await handleInteraction(options(execute), live(client, member));
    expect(String(editOf(member)!.body['content'])).toContain('bot_forbidden');
    const off = click('smolmap_run:q-run', ADMIN);
    await handleInteraction(options({ ...execute, enabled: false }), live(client, off));
    expect(String(editOf(off)!.body['content'])).toContain('bot_run_disabled');
    expect(seen).toEqual([]);
  });

  it('keeps the key of one guild’s spec from another guild’s spec of the same name', async () => {
    seen = [];
    const file = path.join(t.dir, 'other.yaml');
    await writeFile(file, TINY_SPEC);
    await addSpec(t.engine, file, { name: 'pets', tenant: 'discord:G2' });
    await recordAnswer(t.engine, {
      id: 'q-g2',
      tenant: 'discord:G2',
      spec: 'pets',
      task: 'show me pet 42',
      call: call('42'),
    });
    const other = { ...click('smolmap_run:q-g2', ADMIN), guild_id: 'G2' };
    await handleInteraction(options(execute), live(client, other));
    // G2 has no entry of its own: its spec's server is used, and that one is not allowlisted.
    expect(String(editOf(other)!.body['content'])).toContain('call_not_allowed');
    expect(seen).toEqual([]);
  });
});

describe('discord answer cards with Run and Fill in', () => {
  const card = {
    queryId: 'q-x',
    task: 't',
    spec: 'pets',
    specVersion: 1,
    call: call('42'),
    curl: 'curl x',
    confidence: 0.8,
    model: 'tiny',
    untrained: false,
    notes: [],
  };
  const labels = (m: ReturnType<typeof messageOf>) =>
    m.components.flatMap((r) => r.components.map((b) => ('label' in b ? b.label : '')));

  it('offers Run only on runnable cards, and Fill in with the questions when values are missing', () => {
    expect(labels(messageOf({ text: '', card: { ...card, needs: [], runnable: true } }))).toEqual([
      'Copy curl',
      'Correct',
      'Run',
    ]);
    const asking = messageOf({
      text: '',
      card: { ...card, needs: [{ in: 'path', name: 'petId', question: 'Which pet id?' }], runnable: false },
    });
    expect(labels(asking)).toEqual(['Copy curl', 'Correct', 'Fill in']);
    expect(JSON.stringify(asking.embeds)).toContain('Which pet id?');
  });
});

describe('discord Fill in', () => {
  it('asks for the value the task did not state and answers with the completed call', async () => {
    const c = click('smolmap_fill:q-fill');
    await handleInteraction(options(), live(client, c));
    const modal = callbackOf(c).body as {
      type: number;
      data: { custom_id: string; components: { components: { custom_id: string; label: string }[] }[] };
    };
    expect(modal.type).toBe(9);
    const [field] = modal.data.components.flatMap((r) => r.components);
    expect(field).toMatchObject({ custom_id: 'path:petId', label: expect.stringMatching(/^Which pet id\?/) });

    const submit = (value: string, permissions?: string) =>
      payload(
        5,
        {
          custom_id: modal.data.custom_id,
          components: [{ type: 1, components: [{ type: 4, custom_id: 'path:petId', value }] }],
        },
        permissions,
      );
    const bad = submit('not-a-number');
    await handleInteraction(options(), live(client, bad));
    expect(JSON.stringify(callbackOf(bad).body)).toContain('bot_clarify_invalid');

    const good = submit('42', ADMIN);
    await handleInteraction(options(execute), live(client, good));
    const reply = callbackOf(good).body as {
      type: number;
      data: {
        flags: number;
        embeds: { title: string; url: string }[];
        components: { components: { label: string; custom_id: string }[] }[];
      };
    };
    expect(reply.type).toBe(4);
    expect(reply.data.flags).toBe(64);
    expect(reply.data.embeds[0]).toMatchObject({
      title: 'GET /pets/{petId}',
      url: 'https://pets.example.com/v1/pets/42',
    });
    // The completed call is an answer of its own, with the buttons of any answer (Run: the clicker is an admin).
    const ids = reply.data.components.flatMap((r) => r.components).map((b) => b.custom_id);
    const id = ids[0]!.split(':')[1]!;
    expect(id).not.toBe('q-fill');
    expect(ids).toEqual([`smolmap_copy_curl:${id}`, `smolmap_correct:${id}`, `smolmap_run:${id}`]);
    seen = [];
    const run = click(`smolmap_run:${id}`, ADMIN);
    await handleInteraction(options(execute), live(client, run));
    expect(seen).toEqual([{ url: '/v1/pets/42', key: SECRET }]);
    expect(JSON.stringify(editOf(run)?.body)).toContain('200');
  });
});

describe('discord playground thread: values for a clarification', () => {
  /** `/smolmap ask task:<task>` in thread 600 of channel 500. */
  function askInThread(task: string, permissions?: string) {
    const p = payload(
      2,
      {
        id: 'CMD',
        name: 'smolmap',
        type: 1,
        options: [{ type: 1, name: 'ask', options: [{ type: 3, name: 'task', value: task }] }],
      },
      permissions,
    );
    return {
      ...p,
      channel_id: '600',
      channel: { id: '600', type: 11, name: 'show me a pet', parent_id: '500' },
    };
  }

  it('completes the answer the thread waits on, as a card whose buttons act on the completed call', async () => {
    cacheChannels(client, 'G1', [{ id: '600', type: 11, parent_id: '500' }]);
    const o = options(execute);
    const needs = await answerNeeds(t.engine, 'discord:G1', 'q-fill');
    o.deps.sessions.set('discord:G1:600', {
      id: 's-600',
      spec: 'pets',
      awaiting: { queryId: 'q-fill', needs, values: {} },
    });
    const i = askInThread('42', ADMIN);
    await handleInteraction(o, live(client, i));
    const edit = editOf(i)!.body as {
      embeds: { url: string; footer: { text: string } }[];
      components: { components: { custom_id: string }[] }[];
    };
    expect(edit.embeds[0]).toMatchObject({ url: 'https://pets.example.com/v1/pets/42' });
    expect(edit.embeds[0]!.footer.text).toContain('completed from your answers');
    const ids = edit.components.flatMap((r) => r.components).map((b) => b.custom_id);
    const id = ids[0]!.split(':')[1]!;
    expect(ids).toEqual([`smolmap_copy_curl:${id}`, `smolmap_correct:${id}`, `smolmap_run:${id}`]);
    expect(o.deps.sessions.get('discord:G1:600')).toEqual({ id: 's-600', spec: 'pets' });
    expect(fake.to(/\/threads$/, 'POST')).toHaveLength(0); // asked in the thread: no new one
  });
});
