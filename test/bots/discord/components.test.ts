/**
 * Answer cards on Discord, on discord.js interaction objects built from API payloads by a real Client whose
 * REST points at a local fake: the embed
 * and its buttons, Copy curl, the Correct modal and its submission (stored, validated), Stop from the
 * progress message, and a failed ask answered privately.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { APIInteraction, Client } from 'discord.js';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  addSpec,
  getJob,
  importModel,
  listCorrections,
  listJobs,
  releaseRuntimes,
} from '../../../src/engine/index.js';
import { REF } from '../../engine/model/tiny-ref.js';
import { handleInteraction, type DiscordHandlerOptions } from '../../../src/bots/discord/interaction.js';
import { TINY_SPEC, botDeps, tempEngine, type TempEngine } from '../helpers.js';
import { discordClient, interactionPayload, live } from './live.js';
import { startFakeDiscord, type FakeDiscord, type DiscordRequest } from './fake-discord.js';

let t: TempEngine;
let fake: FakeDiscord;
let opts: DiscordHandlerOptions;
let client: Client;
const ADMIN = '8';

const base = (type: number, data: Record<string, unknown>, permissions = '0'): APIInteraction =>
  interactionPayload(type, data, permissions) as unknown as APIInteraction;

const str = (name: string, value: string) => ({ type: 3, name, value });
const slash = (sub: string, options: unknown[], permissions?: string) =>
  base(2, { id: 'CMD', name: 'smolmap', type: 1, options: [{ type: 1, name: sub, options }] }, permissions);
/** A click on a button of the bot's message 900 (Discord sends the message with the click). */
const click = (customId: string, permissions?: string) =>
  base(3, { custom_id: customId, component_type: 2 }, permissions);
const submit = (customId: string, task: string, call: string) =>
  base(5, {
    custom_id: customId,
    components: [
      { type: 1, components: [{ type: 4, custom_id: 'task', value: task }] },
      { type: 1, components: [{ type: 4, custom_id: 'call', value: call }] },
    ],
  });

const tokenOf = (i: APIInteraction): string => (i as { token: string }).token;
const callbackOf = (i: APIInteraction): DiscordRequest =>
  fake.to(new RegExp(`/interactions/${i.id}/${tokenOf(i)}/callback$`))[0]!;
const editOf = (i: APIInteraction): DiscordRequest =>
  fake.to(new RegExp(`/webhooks/APP/${tokenOf(i)}/messages/@original$`), 'PATCH')[0]!;
type Row = { components: { custom_id: string; label: string; value?: string }[] };
const rows = (r: DiscordRequest): Row[] => (r.body['components'] ?? []) as Row[];

beforeAll(async () => {
  t = await tempEngine();
  await importModel(t.engine, `${REF}/model`, { name: 'tiny' });
  const file = path.join(t.dir, 'pets.yaml');
  await writeFile(file, TINY_SPEC);
  await addSpec(t.engine, file, { name: 'pets', tenant: 'discord:G1' });
  fake = await startFakeDiscord();
  client = discordClient(fake.api);
  opts = {
    deps: botDeps(t.engine, { everyone: [], allow: [] }),
    logger: pino({ level: 'silent' }),
    minEditIntervalMs: 60,
    pollMs: 20,
    tokenLifetimeMs: 15 * 60_000,
    lifetime: new AbortController().signal,
    background: new Set(),
  };
});

afterAll(async () => {
  await releaseRuntimes();
  await client.destroy();
  await fake.close();
  await t.close();
});

describe('discord answer cards', () => {
  it('answers a failed ask privately: deferred reply deleted, ephemeral follow-up', async () => {
    const i = slash('ask', [str('task', 'show me pet 42'), str('spec', 'nosuchspec')]);
    await handleInteraction(opts, live(client, i));
    expect(fake.to(new RegExp(`/webhooks/APP/${tokenOf(i)}/messages/@original$`), 'DELETE')).toHaveLength(1);
    const [followUp] = fake.to(new RegExp(`/webhooks/APP/${tokenOf(i)}$`), 'POST');
    expect(followUp!.body).toMatchObject({ flags: 64, content: expect.stringContaining('spec_unknown') });
  });

  it('shows an embed with Copy curl and Correct; the correction is validated and stored', async () => {
    const ask = slash('ask', [str('task', 'show me pet 42'), str('spec', 'pets')]);
    await handleInteraction(opts, live(client, ask));
    const card = editOf(ask);
    const [embed] = card.body['embeds'] as { title: string; fields: { name: string; value: string }[] }[];
    expect(embed!.title).toMatch(/^GET \/pets/);
    expect(embed!.fields.map((f) => f.name)).toEqual(
      expect.arrayContaining(['Parameters', 'URL', 'curl', 'Confidence', 'Adapter']),
    );
    const [copy, correct] = rows(card)[0]!.components;
    expect([copy!.label, correct!.label]).toEqual(['Copy curl', 'Correct']);

    const c1 = click(copy!.custom_id);
    await handleInteraction(opts, live(client, c1));
    expect(callbackOf(c1).body).toMatchObject({
      type: 4,
      data: { flags: 64, content: expect.stringContaining('curl') },
    });

    const c2 = click(correct!.custom_id);
    await handleInteraction(opts, live(client, c2));
    expect(callbackOf(c2).body['type']).toBe(9);
    const data = callbackOf(c2).body['data'] as { custom_id: string; components: Row[] };
    const inputs = data.components.flatMap((r) => r.components);
    expect(inputs[0]!.value).toBe('show me pet 42');
    expect(inputs[1]!.value).toMatch(/"method": "GET"/);
    const modalId = data.custom_id;

    const bad = submit(modalId, 'the sold pets', '{"method":"GET","path":"/pets","query":{"status":"lost"}}');
    await handleInteraction(opts, live(client, bad));
    expect(callbackOf(bad).body).toMatchObject({
      data: { flags: 64, content: expect.stringContaining('correction_invalid') },
    });
    expect(await listCorrections(t.engine, { tenant: 'discord:G1' })).toEqual([]);

    const good = submit(
      modalId,
      'the sold pets',
      '{"method":"GET","path":"/pets","query":{"status":"sold"}}',
    );
    await handleInteraction(opts, live(client, good));
    expect(callbackOf(good).body).toMatchObject({
      data: { flags: 64, content: expect.stringContaining('Saved') },
    });
    const [stored] = await listCorrections(t.engine, { tenant: 'discord:G1' });
    expect(stored).toMatchObject({ task: 'the sold pets', user: 'U1', surface: 'discord' });
  }, 60_000);

  it('stops a job from the Stop button of its progress message, for admins only', async () => {
    const train = slash('train', [str('spec', 'pets')], ADMIN);
    await handleInteraction(opts, live(client, train));
    const queued = editOf(train);
    expect(String(queued.body['content'])).toContain('**pets**');
    const [stop] = rows(queued)[0]!.components;
    expect(stop!.label).toBe('Stop');
    const [job] = await listJobs(t.engine, { tenant: 'discord:G1' });

    const member = click(stop!.custom_id);
    await handleInteraction(opts, live(client, member));
    expect(JSON.stringify(callbackOf(member).body)).toContain('bot_forbidden');
    expect((await getJob(t.engine, job!.id, { tenant: 'discord:G1' })).status).toBe('queued');

    const admin = click(stop!.custom_id, ADMIN);
    await handleInteraction(opts, live(client, admin));
    expect(callbackOf(admin).body).toMatchObject({ data: { flags: 64 } });
    expect((await getJob(t.engine, job!.id, { tenant: 'discord:G1' })).status).toBe('stopped');
  });
});

describe('discord autocomplete', () => {
  const typing = (sub: string, option: string, value: string, guild = 'G1') => {
    const i = base(4, {
      id: 'CMD',
      name: 'smolmap',
      type: 1,
      options: [{ type: 1, name: sub, options: [{ type: 3, name: option, value, focused: true }] }],
    }) as APIInteraction & { guild_id: string };
    i.guild_id = guild;
    return i;
  };
  const choices = (i: APIInteraction) => {
    const body = callbackOf(i).body as { type: number; data: { choices: { name: string }[] } };
    expect(body.type).toBe(8);
    return body.data.choices.map((c) => c.name);
  };

  it('lists only the guild’s own spec and job names matching what was typed', async () => {
    const file = path.join(t.dir, 'secret.yaml');
    await writeFile(file, TINY_SPEC);
    await addSpec(t.engine, file, { name: 'secret-pets', tenant: 'discord:G2' });
    const specs = typing('ask', 'spec', 'PE');
    await handleInteraction(opts, live(client, specs));
    expect(choices(specs)).toEqual(['pets']);
    const other = typing('ask', 'spec', '', 'G2');
    await handleInteraction(opts, live(client, other));
    expect(choices(other)).toEqual(['secret-pets']);

    const train = slash('train', [str('spec', 'pets')], ADMIN);
    await handleInteraction(opts, live(client, train));
    const jobs = typing('stop', 'job', 'train-');
    await handleInteraction(opts, live(client, jobs));
    const queued = (await listJobs(t.engine, { tenant: 'discord:G1', status: 'queued' })).map((j) => j.id);
    expect(queued.length).toBeGreaterThan(0);
    expect(choices(jobs).sort()).toEqual(queued.sort());
  });
});
