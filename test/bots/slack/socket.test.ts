/**
 * Socket Mode (the default): the bot opens its connection with the app token through the (fake) Web API's
 * apps.connections.open, receives a slash command envelope over the WebSocket, acks the envelope at once and
 * answers with the Web API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { createSlackBot, type SlackBot } from '../../../src/bots/slack/app.js';
import { botDeps, eventually, tempEngine, type TempEngine } from '../helpers.js';
import { startFakeSlack, type FakeSlack } from './fake-slack.js';

let t: TempEngine;
let slack: FakeSlack;
let wss: WebSocketServer;
let bot: SlackBot;
const sockets: WebSocket[] = [];
const received: { envelope_id?: string }[] = [];

beforeAll(async () => {
  t = await tempEngine();
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', (ws) => {
    sockets.push(ws);
    ws.on('message', (m) => received.push(JSON.parse(String(m)) as { envelope_id?: string }));
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: 1,
        connection_info: { app_id: 'A1' },
        debug_info: {},
      }),
    );
  });
  const wsUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
  slack = await startFakeSlack('xoxb-socket', { 'apps.connections.open': { ok: true, url: wsUrl } });
  bot = createSlackBot({
    deps: botDeps(t.engine, { everyone: [], allow: [] }),
    token: 'xoxb-socket',
    mode: 'socket',
    appToken: 'xapp-socket',
    apiUrl: slack.url,
    logger: pino({ level: 'silent' }),
  });
  await bot.start();
});

afterAll(async () => {
  await bot.stop();
  for (const s of sockets) s.terminate();
  await new Promise((r) => wss.close(r));
  await slack.close();
  await t.close();
});

describe('slack bot in Socket Mode', () => {
  it('connects with the app token, acks the envelope and answers through the Web API', async () => {
    const open = slack.of('apps.connections.open')[0]!;
    expect(open.token).toBe('xapp-socket');
    const payload = {
      command: '/smolmap',
      text: 'spec list',
      team_id: 'T9',
      user_id: 'U1',
      channel_id: 'C9',
      trigger_id: 'x',
    };
    sockets[0]!.send(
      JSON.stringify({
        envelope_id: 'env-1',
        type: 'slash_commands',
        accepts_response_payload: true,
        payload,
      }),
    );
    await eventually(() => received.find((m) => m.envelope_id === 'env-1'));
    const post = await eventually(() => slack.of('chat.postMessage')[0]);
    expect(post.token).toBe('xoxb-socket');
    expect(post.args['channel']).toBe('C9');
    expect(String(post.args['text'])).toContain('No specs');
  });
});
