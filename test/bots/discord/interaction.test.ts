/**
 * The Discord handler on discord.js interaction objects (built from API payloads by a real Client whose REST
 * points at a local fake API): deferral,
 * edits of the original reply, attachment download, and the switch to bot-token channel messages once the
 * interaction token has expired.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { APIInteraction, ChatInputCommandInteraction, Client } from 'discord.js';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  addSpec,
  history,
  importModel,
  listJobs,
  listSpecs,
  releaseRuntimes,
} from '../../../src/engine/index.js';
import { REF } from '../../engine/model/tiny-ref.js';
import { handleInteraction, type DiscordHandlerOptions } from '../../../src/bots/discord/interaction.js';
import { commandFromInteraction } from '../../../src/bots/discord/commands.js';
import { TINY_SPEC, botDeps, simulateTraining, tempEngine, type TempEngine } from '../helpers.js';
import { DEFAULT_LIMITS } from '../../../src/bots/common/limits.js';
import { cacheChannels, discordClient, live } from './live.js';
import { startFakeDiscord, type FakeDiscord } from './fake-discord.js';

let t: TempEngine;
let fake: FakeDiscord;
let opts: DiscordHandlerOptions;
let client: Client;
let seq = 0;

type Options = Record<string, unknown>[];

function interaction(
  options: Options,
  extra: {
    permissions?: string;
    guild?: string | null;
    resolved?: Record<string, unknown>;
    user?: string;
    channel?: { id: string; type: number };
  } = {},
): APIInteraction & { token: string } {
  const n = ++seq;
  const guild = extra.guild === undefined ? 'G1' : extra.guild;
  return {
    id: `9000${n}`,
    application_id: 'APP',
    type: 2,
    token: `itok-${n}`,
    version: 1,
    ...(guild !== null && { guild_id: guild }),
    channel_id: extra.channel?.id ?? '500',
    channel: extra.channel ?? { id: '500', type: 0, name: 'general' },
    member: {
      user: { id: extra.user ?? 'U1', username: 'user', discriminator: '0', global_name: null, avatar: null },
      permissions: extra.permissions ?? '8',
      roles: [],
      joined_at: '2024-01-01T00:00:00.000Z',
      deaf: false,
      mute: false,
      flags: 0,
    },
    data: {
      id: 'CMD',
      name: 'smolmap',
      type: 1,
      options,
      ...(extra.resolved && { resolved: extra.resolved }),
    },
    locale: 'en-US',
    app_permissions: '0',
    entitlements: [],
    authorizing_integration_owners: {},
    context: 0,
    attachment_size_limit: 8388608,
  } as unknown as APIInteraction & { token: string };
}

const sub = (name: string, options: Options = []) => ({ type: 1, name, options });
const group = (name: string, s: Record<string, unknown>) => ({ type: 2, name, options: [s] });
const str = (name: string, value: string) => ({ type: 3, name, value });
const original = (token: string) => new RegExp(`/webhooks/APP/${token}/messages/@original$`);

/** An error after the defer: the deferred reply deleted, the error sent as an ephemeral follow-up. */
function privately(token: string): string {
  expect(fake.to(original(token), 'DELETE')).toHaveLength(1);
  expect(fake.to(original(token), 'PATCH')).toHaveLength(0);
  const [followUp] = fake.to(new RegExp(`/webhooks/APP/${token}$`), 'POST');
  expect(followUp!.body['flags']).toBe(64);
  return String(followUp!.body['content']);
}

beforeAll(async () => {
  t = await tempEngine();
  await importModel(t.engine, `${REF}/model`, { name: 'tiny' });
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

describe('discord interactions', () => {
  it('defers first, then edits the original reply', async () => {
    const i = interaction([group('spec', sub('list'))]);
    await handleInteraction(opts, live(client, i));
    const [first, second] = fake.requests.filter((r) => r.path.includes(i.token));
    expect(first!.path).toBe(`/api/v10/interactions/${i.id}/${i.token}/callback`);
    expect(first!.body['type']).toBe(5);
    expect(first!.auth).toBeUndefined();
    expect(second!.method).toBe('PATCH');
    expect(second!.path).toMatch(original(i.token));
    expect(second!.body['content']).toContain('No specs');
  });

  it('downloads an attached spec and stores it for the guild only', async () => {
    fake.files.set('pets.yaml', TINY_SPEC);
    const attachment = {
      id: 'A1',
      filename: 'pets.yaml',
      size: TINY_SPEC.length,
      url: `${fake.cdn}/pets.yaml`,
      proxy_url: `${fake.cdn}/pets.yaml`,
      content_type: 'application/x-yaml',
    };
    const i = interaction([group('spec', sub('add', [{ type: 11, name: 'file', value: 'A1' }]))], {
      resolved: { attachments: { A1: attachment } },
    });
    await handleInteraction(opts, live(client, i));
    const edit = fake.to(original(i.token), 'PATCH')[0]!;
    expect(edit.body['content']).toContain('added as **pets** v1');
    expect((await listSpecs(t.engine, { tenant: 'discord:G1' })).map((s) => s.name)).toEqual(['pets']);
  });

  it('answers another guild’s spec exactly as a missing one, privately', async () => {
    const refusal = async (name: string): Promise<string> => {
      const i = interaction([group('spec', sub('ops', [str('spec', name)]))], { guild: 'G2' });
      await handleInteraction(opts, live(client, i));
      return privately(i.token).split(name).join('<name>');
    };
    const theirs = await refusal('pets');
    expect(theirs).toContain('spec_unknown');
    expect(theirs).toBe(await refusal('no-such-thing'));
  });

  it('refuses a non-spec attachment before downloading it', async () => {
    const attachment = {
      id: 'A2',
      filename: 'virus.exe',
      size: 10,
      url: `${fake.cdn}/virus.exe`,
      proxy_url: '',
      content_type: 'application/octet-stream',
    };
    const i = interaction([group('spec', sub('add', [{ type: 11, name: 'file', value: 'A2' }]))], {
      resolved: { attachments: { A2: attachment } },
    });
    await handleInteraction(opts, live(client, i));
    expect(privately(i.token)).toContain('spec_upload_bad_type');
    expect((await listSpecs(t.engine, { tenant: 'discord:G1' })).length).toBe(1);
  });

  it('refuses training to a member without Manage Server who is not allowlisted', async () => {
    const i = interaction([sub('train', [str('spec', 'pets')])], { permissions: '0', user: 'U2' });
    await handleInteraction(opts, live(client, i));
    expect(privately(i.token)).toContain('bot_forbidden');
  });

  it('answers in DMs at once with a coded error (no guild to scope by)', async () => {
    const i = interaction([sub('jobs')], { guild: null });
    await handleInteraction(opts, live(client, i));
    const cb = fake.to(new RegExp(`/interactions/${i.id}/`))[0]!;
    expect(cb.body['type']).toBe(4);
    expect(JSON.stringify(cb.body)).toContain('bot_guild_only');
  });

  it('continues progress as a bot-token channel message once the interaction token expires', async () => {
    const short = { ...opts, tokenLifetimeMs: 150, background: new Set<Promise<unknown>>() };
    const i = interaction([sub('train', [str('spec', 'pets'), { type: 4, name: 'steps', value: 8 }])]);
    await handleInteraction(short, live(client, i));
    expect(String(fake.to(original(i.token), 'PATCH')[0]!.body['content'])).toContain('queued');
    const [job] = await listJobs(t.engine, { tenant: 'discord:G1' });
    await simulateTraining(t.engine, job!.id, 8);
    await Promise.all([...short.background]);
    const posted = fake.to(/\/channels\/500\/messages$/, 'POST');
    expect(posted.length).toBe(1);
    expect(posted[0]!.auth).toBe('Bot bot-token');
    const lastWebhook = fake.to(original(i.token), 'PATCH').at(-1)!;
    expect(lastWebhook.at).toBeLessThanOrEqual(posted[0]!.at);
    const final = fake.to(/\/channels\/500\/messages\/\d+$/, 'PATCH').at(-1) ?? posted[0]!;
    expect(String(final.body['content'])).toMatch(/done[\s\S]*train loss 0\.2500/);
    expect(final.files).toEqual([`${job!.id}-loss.png`]);
  });
});

describe('discord playground threads', () => {
  it('opens a thread from an answer; asks in that thread reuse its spec and session', async () => {
    // Its own spec: "pets" has the simulated training's model, whose adapter files do not exist.
    const file = path.join(t.dir, 'shop.yaml');
    await writeFile(file, TINY_SPEC);
    await addSpec(t.engine, file, { tenant: 'discord:G1' });
    const i = interaction([sub('ask', [str('task', 'show me pet 42'), str('spec', 'shop')])], {
      permissions: '0',
    });
    await handleInteraction(opts, live(client, i));
    const answer = fake.to(original(i.token), 'PATCH')[0]!;
    expect(JSON.stringify(answer.body['embeds'])).toMatch(/curl[\s\S]*Confidence[\s\S]*\d+%[\s\S]*`tiny`/);
    const create = fake.to(/\/channels\/500\/messages\/\d+\/threads$/, 'POST')[0]!;
    expect(create.auth).toBe('Bot bot-token');
    expect(create.body['name']).toBe('show me pet 42');
    const thread = { id: (create.response as { id: string }).id, type: 11 };
    cacheChannels(client, 'G1', [{ ...thread, parent_id: '500' }]);
    expect(client.channels.cache.get(thread.id)?.isThread()).toBe(true);
    const follow = interaction([sub('ask', [str('task', 'list the sold pets')])], {
      permissions: '0',
      channel: thread,
    });
    await handleInteraction(opts, live(client, follow));
    expect(JSON.stringify(fake.to(original(follow.token), 'PATCH')[0]!.body['embeds'])).toContain('curl');
    expect(fake.to(/\/threads$/, 'POST')).toHaveLength(1); // asked in the thread: no new one
    const asks = await history(t.engine, { tenant: 'discord:G1' });
    expect(asks.map((q) => q.input)).toEqual(['show me pet 42', 'list the sold pets']);
    expect(asks[0]!.sessionId).toBe(asks[1]!.sessionId);
  }, 60_000);
});

describe('discord options → commands', () => {
  const parse = (options: Options) =>
    commandFromInteraction(live<ChatInputCommandInteraction>(client, interaction(options))).command;

  it('maps sub-commands, groups and typed options onto the common grammar', () => {
    expect(parse([sub('train', [str('spec', 'pets'), { type: 4, name: 'steps', value: 5 }])])).toEqual({
      verb: 'train',
      spec: 'pets',
      options: { steps: '5' },
    });
    expect(parse([sub('ask', [str('task', 'show pet "42" now')])])).toEqual({
      verb: 'ask',
      task: 'show pet "42" now',
    });
    expect(parse([group('spec', sub('add', [str('url', 'https://x.example/a.yaml?v=1')]))])).toEqual({
      verb: 'spec add',
      url: 'https://x.example/a.yaml?v=1',
    });
  });
});

describe('discord interactions under quotas', () => {
  let limited: DiscordHandlerOptions;
  beforeAll(async () => {
    limited = {
      ...opts,
      deps: botDeps(
        t.engine,
        { everyone: [], allow: [] },
        { ...DEFAULT_LIMITS, tenants: ['discord:G1'], asksPerMinute: 2, maxTaskChars: 40 },
      ),
    };
    const file = path.join(t.dir, 'quota-pets.yaml');
    await writeFile(file, TINY_SPEC);
    await addSpec(t.engine, file, { name: 'qpets', tenant: 'discord:G1' });
  });

  it('answers a guild that is not listed with how to list it, and downloads nothing for it', async () => {
    fake.files.set('other.yaml', TINY_SPEC);
    const downloads = () => fake.requests.filter((r) => r.path.includes('other.yaml')).length;
    const attachment = {
      id: 'A9',
      filename: 'other.yaml',
      size: TINY_SPEC.length,
      url: `${fake.cdn}/other.yaml`,
      proxy_url: '',
      content_type: 'application/x-yaml',
    };
    const before = downloads();
    const i = interaction([group('spec', sub('add', [{ type: 11, name: 'file', value: 'A9' }]))], {
      guild: 'G2',
      resolved: { attachments: { A9: attachment } },
    });
    await handleInteraction(limited, live(client, i));
    const refusal = privately(i.token);
    expect(refusal).toContain('bot_tenant_not_allowed');
    expect(refusal).toContain('SMOLMAP_BOT_TENANTS');
    expect(downloads()).toBe(before);
    const ask = interaction([sub('ask', [str('task', 'show me pet 1'), str('spec', 'qpets')])], {
      guild: 'G2',
    });
    await handleInteraction(limited, live(client, ask));
    expect(privately(ask.token)).toContain('bot_tenant_not_allowed');
  });

  it('caps the task length and the asks per user per minute', async () => {
    const content = async (task: string, user = 'U7') => {
      const i = interaction([sub('ask', [str('task', task), str('spec', 'qpets')])], { user });
      await handleInteraction(limited, live(client, i));
      // A refusal arrives privately; an answer edits the deferred reply (an embed).
      if (fake.to(original(i.token), 'DELETE').length > 0) return privately(i.token);
      return JSON.stringify(fake.to(original(i.token), 'PATCH')[0]!.body);
    };
    expect(await content('show me the pet whose id is 42 and then tell me its name')).toContain(
      'bot_task_too_long',
    );
    expect(await content('show me pet 42')).not.toContain('bot_');
    expect(await content('list the sold pets')).not.toContain('bot_');
    const third = await content('show me pet 7');
    expect(third).toContain('bot_rate_limited');
    expect(third).toMatch(/try again in \d+ s/);
    // Another user of the same guild has a minute of their own.
    expect(await content('show me pet 8', 'U8')).not.toContain('bot_');
  }, 60_000);
});
