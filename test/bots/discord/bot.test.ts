/**
 * The Discord bot over a local fake gateway: it logs in (GET /gateway/bot on the fake REST API, IDENTIFY with
 * the Guilds intent only), and an INTERACTION_CREATE dispatch is deferred and answered over REST.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { GatewayIntentBits } from 'discord.js';
import { createDiscordBot, type DiscordBot } from '../../../src/bots/discord/bot.js';
import { botDeps, eventually, tempEngine, type TempEngine } from '../helpers.js';
import { startFakeDiscord, type FakeDiscord } from './fake-discord.js';

let t: TempEngine;
let wss: WebSocketServer;
let fake: FakeDiscord;
let bot: DiscordBot;
let socket: WebSocket | undefined;
let identify: { intents?: number; token?: string } | undefined;
let seq = 0;

const dispatch = (t: string, d: unknown) => socket!.send(JSON.stringify({ op: 0, t, s: ++seq, d }));

beforeAll(async () => {
  t = await tempEngine();
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  wss.on('connection', (ws) => {
    socket = ws;
    ws.on('message', (raw) => {
      const m = JSON.parse(String(raw)) as { op: number; d: { intents?: number; token?: string } };
      if (m.op === 1) ws.send(JSON.stringify({ op: 11 }));
      if (m.op !== 2) return;
      identify = m.d;
      dispatch('READY', {
        v: 10,
        user: {
          id: '4242',
          username: 'smolmap',
          discriminator: '0',
          bot: true,
          avatar: null,
          global_name: null,
        },
        guilds: [],
        session_id: 'sess',
        resume_gateway_url: url,
        application: { id: '4242', flags: 0 },
      });
    });
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 45000 } }));
  });
  fake = await startFakeDiscord(url);
  bot = createDiscordBot({
    deps: botDeps(t.engine, { everyone: [], allow: [] }),
    token: 'gateway-token',
    apiUrl: fake.api,
    logger: pino({ level: 'silent' }),
  });
}, 30_000);

afterAll(async () => {
  await bot.stop();
  await new Promise((r) => wss.close(r));
  await fake.close();
  await t.close();
});

describe('discord bot over the gateway', () => {
  it('logs in with the Guilds intent only and answers an INTERACTION_CREATE', async () => {
    expect(await bot.start()).toContain('application 4242');
    expect(identify?.token).toBe('gateway-token');
    expect(identify?.intents).toBe(GatewayIntentBits.Guilds);
    dispatch('INTERACTION_CREATE', {
      id: '777',
      application_id: '4242',
      type: 2,
      token: 'gw-token',
      version: 1,
      guild_id: 'G7',
      channel_id: '700',
      channel: { id: '700', type: 0 },
      member: {
        user: { id: 'U7', username: 'u', discriminator: '0', global_name: null, avatar: null },
        permissions: '0',
        roles: [],
        joined_at: '2024-01-01T00:00:00.000Z',
        deaf: false,
        mute: false,
        flags: 0,
      },
      data: { id: 'C', name: 'smolmap', type: 1, options: [{ type: 1, name: 'jobs', options: [] }] },
      locale: 'en-US',
      app_permissions: '0',
      entitlements: [],
      authorizing_integration_owners: {},
      context: 0,
    });
    const edit = await eventually(
      () => fake.to(/\/webhooks\/4242\/gw-token\/messages\/@original$/, 'PATCH')[0],
    );
    expect(fake.to(/\/interactions\/777\/gw-token\/callback$/)[0]!.body['type']).toBe(5);
    expect(String(edit.body['content'])).toContain('No jobs');
  });
});
