/**
 * *Run* and *Fill in* on Slack, through real Bolt (signed requests to its HTTP receiver) and a fake Slack Web
 * API on loopback: Run sends the answered call to a loopback API and answers the clicking admin privately with
 * the status and the redacted body; Fill in opens a form with the missing values, and a reply in the answer's
 * thread gives them too; either way the completed call comes as a card whose buttons act on it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { addSpec, history, type ApiCall } from '../../../src/engine/index.js';
import { createSlackBot, type SlackBot } from '../../../src/bots/slack/app.js';
import { FILL_CALLBACK } from '../../../src/bots/slack/clarify.js';
import { answerNeeds } from '../../../src/bots/common/clarify.js';
import type { BotDeps } from '../../../src/bots/common/handler.js';
import { TINY_SPEC, botDeps, eventually, recordAnswer, tempEngine, type TempEngine } from '../helpers.js';
import { startFakeSlack, type FakeSlack, type SlackCall } from './fake-slack.js';
import { buttonClick, postForm, sign } from './signed.js';

const SIGNING = 'run-secret';
const TEAM = 'T1';
const KEY = 'sk-live-0123456789';
let t: TempEngine;
let slack: FakeSlack;
let bot: SlackBot;
let api: Server;
let apiUrl: string;
let events: string;
let n = 0;
let deps: BotDeps;
const sent: string[] = [];
const TENANT = `slack:${TEAM}`;

const text = (c: SlackCall): string => String(c.args['text']);
type Block = { type: string; elements?: { action_id?: string; value?: string }[] };
const buttons = (c: SlackCall) =>
  ((c.args['blocks'] ?? []) as Block[])
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? [])
    .map((e) => ({ action: e.action_id, value: e.value }));
const interact = (payload: Record<string, unknown>) =>
  postForm(events, { payload: JSON.stringify(payload) }, SIGNING);

function click(actionId: string, value: string, user: string) {
  return interact(buttonClick(TEAM, user, actionId, value, ++n, (id) => slack.responseUrl(id)));
}

const responded = (needle: string) =>
  eventually(() => slack.of('respond').find((c) => JSON.stringify(c.args).includes(needle)), 30_000);

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

beforeAll(async () => {
  t = await tempEngine();
  api = createServer((req, res) => {
    sent.push(`${req.url} ${String(req.headers['x-api-key'])}`);
    res.writeHead(200, { 'content-type': 'application/json' }).end(`{"name":"Rex","key":"${KEY}"}`);
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/v1`;
  const file = path.join(t.dir, 'pets.yaml');
  await writeFile(file, TINY_SPEC);
  await addSpec(t.engine, file, { name: 'pets', tenant: `slack:${TEAM}` });
  const tenant = `slack:${TEAM}`;
  await recordAnswer(t.engine, {
    id: 'q-run',
    tenant,
    spec: 'pets',
    task: 'show me pet 42',
    call: call('42'),
  });
  await recordAnswer(t.engine, {
    id: 'q-fill',
    tenant,
    spec: 'pets',
    task: 'show me a pet',
    call: call('7'),
  });
  slack = await startFakeSlack('xoxb-run');
  slack.admins.add('UADMIN');
  deps = {
    ...botDeps(t.engine, { everyone: [], allow: [] }),
    execute: {
      enabled: true,
      allowedBaseUrls: [apiUrl],
      timeoutMs: 5000,
      maxResponseBytes: 65536,
      specs: {},
      tenants: {
        [tenant]: { specs: { pets: { baseUrl: apiUrl, headers: { 'X-Api-Key': KEY }, query: {} } } },
      },
    },
  };
  bot = createSlackBot({
    deps,
    token: 'xoxb-run',
    mode: 'http',
    signingSecret: SIGNING,
    port: 0,
    apiUrl: slack.url,
    logger: pino({ level: 'silent' }),
    minEditIntervalMs: 50,
    pollMs: 20,
  });
  await bot.start();
  events = `http://127.0.0.1:${bot.port()}/slack/events`;
});

afterAll(async () => {
  await bot.stop();
  await slack.close();
  await new Promise((r) => api.close(r));
  await t.close();
});

describe('slack Run button', () => {
  it('runs for a workspace admin and shows status and redacted body privately', async () => {
    await click('smolmap_run', 'q-run', 'UADMIN');
    const r = await responded('→ *200*');
    expect(r.args['response_type']).toBe('ephemeral');
    expect(text(r)).toContain(`GET ${apiUrl}/pets/42`);
    expect(text(r)).toContain('"key":"***"');
    expect(text(r)).not.toContain(KEY);
    expect(sent).toEqual([`/v1/pets/42 ${KEY}`]);
  });

  it('refuses a member who is neither admin nor allowlisted; nothing is sent', async () => {
    await click('smolmap_run', 'q-run', 'UMEMBER');
    await responded('bot_forbidden');
    expect(sent).toHaveLength(1);
  });
});

describe('slack Fill in', () => {
  it('opens a form with the missing value and answers with the completed call', async () => {
    await click('smolmap_fill', 'q-fill', 'UMEMBER');
    const open = await eventually(() => slack.of('views.open')[0]);
    const view = open.args['view'] as {
      callback_id: string;
      private_metadata: string;
      blocks: { block_id: string; label: { text: string } }[];
    };
    expect(view.callback_id).toBe(FILL_CALLBACK);
    expect(view.blocks.map((b) => b.block_id)).toEqual(['path:petId']);
    expect(view.blocks[0]!.label.text).toMatch(/^Which pet id\?/);
    const submit = await interact({
      type: 'view_submission',
      team: { id: TEAM, domain: 'd' },
      user: { id: 'UMEMBER', name: 'u', team_id: TEAM },
      api_app_id: 'A1',
      token: 'x',
      trigger_id: `trig-${++n}`,
      view: {
        id: 'V3',
        team_id: TEAM,
        type: 'modal',
        callback_id: FILL_CALLBACK,
        private_metadata: view.private_metadata,
        state: { values: { 'path:petId': { 'path:petId': { type: 'plain_text_input', value: '42' } } } },
        hash: 'h',
        title: { type: 'plain_text', text: 'Fill in' },
        blocks: [],
        app_id: 'A1',
        bot_id: 'BBOT',
      },
    });
    expect(submit.status).toBe(200);
    const r = await responded('https://pets.example.com/v1/pets/42');
    expect(JSON.stringify(r.args['blocks'])).toContain('completed from your answers');
    // The completed call is an answer of its own: its buttons carry its id, not the one that asked.
    const [completed] = (await history(t.engine, { tenant: TENANT })).slice(-1);
    expect(completed!.input).toBe('show me a pet (petId: 42)');
    expect(buttons(r)).toEqual([
      { action: 'smolmap_copy_curl', value: completed!.id },
      { action: 'smolmap_correct', value: completed!.id },
    ]);
    await click('smolmap_copy_curl', completed!.id, 'UMEMBER');
    const curl = await responded('```curl');
    expect(text(curl)).toContain('https://pets.example.com/v1/pets/42');
  });
});

async function threadReply(thread: string, user: string, reply: string): Promise<void> {
  const body = JSON.stringify({
    token: 'x',
    team_id: TEAM,
    api_app_id: 'A1',
    type: 'event_callback',
    event_id: `Ev${++n}`,
    event_time: Math.floor(Date.now() / 1000),
    event: {
      type: 'message',
      channel: 'C1',
      user,
      text: reply,
      ts: `1800000000.${String(n).padStart(6, '0')}`,
      thread_ts: thread,
      channel_type: 'channel',
    },
  });
  const res = await fetch(events, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...sign(body, SIGNING) },
    body,
  });
  expect(res.status).toBe(200);
}

/** A playground thread whose latest answer (q-fill) asks which pet, as `ask` leaves it. */
async function waitingThread(thread: string): Promise<void> {
  const needs = await answerNeeds(t.engine, TENANT, 'q-fill');
  expect(needs.map((x) => x.name)).toEqual(['petId']);
  deps.sessions.set(`${TENANT}:C1:${thread}`, {
    id: `s-${thread}`,
    spec: 'pets',
    awaiting: { queryId: 'q-fill', needs, values: {} },
  });
}

const inThread = (thread: string, needle: string) =>
  eventually(
    () =>
      slack
        .of('chat.postMessage')
        .find((c) => c.args['thread_ts'] === thread && JSON.stringify(c.args).includes(needle)),
    30_000,
  );

describe('slack thread reply to a clarification', () => {
  it('completes the call in the thread, with buttons that act on the completed call', async () => {
    await waitingThread('100.000001');
    await threadReply('100.000001', 'UADMIN', '42');
    const card = await inThread('100.000001', 'https://pets.example.com/v1/pets/42');
    expect(JSON.stringify(card.args['blocks'])).toContain('completed from your answers');
    const id = buttons(card)[0]!.value!;
    expect(id).not.toBe('q-fill');
    expect(buttons(card)).toEqual([
      { action: 'smolmap_copy_curl', value: id },
      { action: 'smolmap_correct', value: id },
      { action: 'smolmap_run', value: id },
    ]);
    // Answered: the thread waits on nothing more (set once the card is posted).
    await eventually(() => (deps.sessions.get(`${TENANT}:C1:100.000001`)?.awaiting ? undefined : true));
    // Run sends the completed call, not the guessed one of the answer that asked.
    const before = { sent: sent.length, responses: slack.of('respond').length };
    await click('smolmap_run', id, 'UADMIN');
    const ran = await eventually(
      () =>
        slack
          .of('respond')
          .slice(before.responses)
          .find((c) => text(c).includes('→ *200*')),
      30_000,
    );
    expect(text(ran)).toContain(`GET ${apiUrl}/pets/42`);
    expect(sent.slice(before.sent)).toEqual([`/v1/pets/42 ${KEY}`]);
  });

  it('answers a named value that does not fit privately and keeps the question open', async () => {
    await waitingThread('200.000001');
    await threadReply('200.000001', 'UMEMBER', 'petId: rex');
    const err = await eventually(() =>
      slack.of('chat.postEphemeral').find((c) => text(c).includes('bot_clarify_invalid')),
    );
    expect(err.args['user']).toBe('UMEMBER');
    expect(deps.sessions.get(`${TENANT}:C1:200.000001`)?.awaiting?.queryId).toBe('q-fill');
    // An unnamed reply that does not fit is a follow-up task: asked (here no base model answers it).
    const before = slack.of('chat.postEphemeral').length;
    await threadReply('200.000001', 'UMEMBER', 'list sold pets');
    const asked = await eventually(() => slack.of('chat.postEphemeral')[before], 30_000);
    expect(text(asked)).not.toContain('bot_clarify');
    expect(text(asked)).toContain('model_not_found: no base model');
    await threadReply('200.000001', 'UMEMBER', 'petId: 7');
    const card = await inThread('200.000001', 'https://pets.example.com/v1/pets/7');
    // A member may not run calls: no Run button.
    expect(buttons(card).map((b) => b.action)).toEqual(['smolmap_copy_curl', 'smolmap_correct']);
  });
});
