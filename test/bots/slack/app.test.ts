/**
 * The Slack bot through real Bolt: signed slash commands and view submissions go to its HTTP receiver at
 * /slack/events; its Web API calls go to a local fake Slack. Checks acks, posts, edits, uploads, signatures.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { history, importModel, listJobs, listSpecs, releaseRuntimes } from '../../../src/engine/index.js';
import { REF } from '../../engine/model/tiny-ref.js';
import { createSlackBot, type SlackBot } from '../../../src/bots/slack/app.js';
import { SPEC_ADD_CALLBACK } from '../../../src/bots/slack/modal.js';
import {
  BROKEN_SPEC,
  TINY_SPEC,
  botDeps,
  eventually,
  simulateTraining,
  tempEngine,
  type TempEngine,
} from '../helpers.js';
import { startFakeSlack, type FakeSlack } from './fake-slack.js';

const SECRET = 'test-signing-secret';
const TOKEN = 'xoxb-test';
const TEAM = 'T1';

let t: TempEngine;
let slack: FakeSlack;
let bot: SlackBot;
let events: string;

function sign(body: string, timestamp: number, secret = SECRET): Record<string, string> {
  const sig = createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex');
  return { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': `v0=${sig}` };
}

async function send(
  form: Record<string, string>,
  opts: { timestamp?: number; secret?: string } = {},
): Promise<{ status: number; ms: number }> {
  const body = new URLSearchParams(form).toString();
  const start = Date.now();
  const res = await fetch(events, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...sign(body, opts.timestamp ?? Math.floor(Date.now() / 1000), opts.secret),
    },
    body,
  });
  await res.text();
  return { status: res.status, ms: Date.now() - start };
}

async function sendEvent(event: Record<string, unknown>): Promise<number> {
  const body = JSON.stringify({
    token: 'x',
    team_id: TEAM,
    api_app_id: 'A1',
    type: 'event_callback',
    event_id: `Ev${Date.now()}`,
    event_time: Math.floor(Date.now() / 1000),
    event,
  });
  const res = await fetch(events, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...sign(body, Math.floor(Date.now() / 1000)) },
    body,
  });
  await res.text();
  return res.status;
}

let responses = 0;
const slash = (text: string, user = 'UADMIN', channel = 'C1') =>
  send({
    command: '/smolmap',
    text,
    team_id: TEAM,
    user_id: user,
    channel_id: channel,
    trigger_id: 'trig-1',
    response_url: slack.responseUrl(`r${++responses}`),
    token: 'x',
    user_name: 'u',
    team_domain: 'd',
    channel_name: 'general',
    api_app_id: 'A1',
  });

function viewSubmission(
  values: Record<string, unknown>,
  user = 'UADMIN',
): Promise<{ status: number; ms: number }> {
  const payload = {
    type: 'view_submission',
    team: { id: TEAM, domain: 'd' },
    user: { id: user, name: 'u', team_id: TEAM },
    api_app_id: 'A1',
    token: 'x',
    trigger_id: 'trig-2',
    view: {
      id: 'V1',
      team_id: TEAM,
      type: 'modal',
      callback_id: SPEC_ADD_CALLBACK,
      private_metadata: JSON.stringify({ channel: 'C1' }),
      state: { values },
      hash: 'h',
      title: { type: 'plain_text', text: 'Add' },
      blocks: [],
      app_id: 'A1',
      bot_id: 'BBOT',
    },
  };
  return send({ payload: JSON.stringify(payload) });
}

const field = (block: string, value: Record<string, unknown>) => ({ [block]: { [block]: value } });
const texts = (method: string): string[] => slack.of(method).map((c) => String(c.args['text']));
const texts1 = (c: { args: Record<string, unknown> }): string => String(c.args['text']);

beforeAll(async () => {
  t = await tempEngine();
  await importModel(t.engine, `${REF}/model`, { name: 'tiny' });
  slack = await startFakeSlack(TOKEN);
  slack.admins.add('UADMIN');
  bot = createSlackBot({
    deps: botDeps(t.engine, { everyone: [], allow: ['UFRIEND'] }),
    token: TOKEN,
    mode: 'http',
    signingSecret: SECRET,
    port: 0,
    apiUrl: slack.url,
    logger: pino({ level: 'silent' }),
    minEditIntervalMs: 100,
    pollMs: 20,
  });
  await bot.start();
  events = `http://127.0.0.1:${bot.port()}/slack/events`;
});

afterAll(async () => {
  await releaseRuntimes();
  await bot.stop();
  await slack.close();
  await t.close();
});

describe('slack bot over HTTP (Bolt receiver, fake Web API)', () => {
  it('acks a slash command at once, then posts the answer with the bot token', async () => {
    const r = await slash('spec list');
    expect(r.status).toBe(200);
    expect(r.ms).toBeLessThan(3000);
    const post = await eventually(() =>
      slack.of('chat.postMessage').find((c) => String(c.args['text']).includes('No specs')),
    );
    expect(post.token).toBe(TOKEN);
    expect(post.args['channel']).toBe('C1');
  });

  it('rejects a forged or stale signature without doing anything', async () => {
    const before = slack.calls.length;
    expect((await send({ command: '/smolmap', text: 'help' }, { secret: 'wrong' })).status).toBe(401);
    const stale = Math.floor(Date.now() / 1000) - 10 * 60;
    expect((await send({ command: '/smolmap', text: 'help' }, { timestamp: stale })).status).toBe(401);
    await new Promise((r) => setTimeout(r, 100));
    expect(slack.calls.length).toBe(before);
  });

  it('opens the upload modal for `spec add`', async () => {
    await slash('spec add');
    const open = await eventually(() => slack.of('views.open')[0]);
    const view = open.args['view'] as { callback_id: string; blocks: { element: { type: string } }[] };
    expect(view.callback_id).toBe(SPEC_ADD_CALLBACK);
    expect(view.blocks.map((b) => b.element.type)).toEqual([
      'file_input',
      'url_text_input',
      'plain_text_input',
      'plain_text_input',
    ]);
  });

  it('adds a pasted spec from the modal, scoped to the workspace', async () => {
    const r = await viewSubmission({
      ...field('spec_paste', { type: 'plain_text_input', value: TINY_SPEC }),
      ...field('spec_name', { type: 'plain_text_input', value: 'pets' }),
    });
    expect(r.status).toBe(200);
    await eventually(() => texts('chat.postMessage').find((x) => x.includes('added as *pets* v1')));
    expect((await listSpecs(t.engine, { tenant: 'slack:T1' })).map((s) => s.name)).toEqual(['pets']);
    expect(await listSpecs(t.engine)).toEqual([]);
  });

  it('downloads an uploaded file with the bot token', async () => {
    slack.files.set('petfile.yaml', TINY_SPEC.replace('Tiny Pets', 'File Pets'));
    const file = {
      id: 'F9',
      name: 'petfile.yaml',
      mimetype: 'application/x-yaml',
      url_private: `${slack.url.replace(/api\/$/, '')}files/petfile.yaml`,
      url_private_download: `${slack.url.replace(/api\/$/, '')}files/petfile.yaml`,
    };
    await viewSubmission(field('spec_file', { type: 'file_input', files: [file] }));
    await eventually(() =>
      texts('chat.postMessage').find((x) => x.includes('*petfile*') && x.includes('File Pets')),
    );
  });

  it('shows a parse error with its location and stores nothing', async () => {
    await viewSubmission({
      ...field('spec_paste', { type: 'plain_text_input', value: BROKEN_SPEC }),
      ...field('spec_name', { type: 'plain_text_input', value: 'broken' }),
    });
    const err = await eventually(() =>
      texts('chat.postEphemeral').find((x) => x.includes('spec_parse_error')),
    );
    expect(err).toMatch(/line \d+/);
    expect(err).toContain('pasted.yaml');
    expect(err).not.toContain('smolmap-upload-');
    expect((await listSpecs(t.engine, { tenant: 'slack:T1' })).map((s) => s.name)).not.toContain('broken');
  });

  it('refuses changes from a member who is neither admin nor allowlisted', async () => {
    await slash('spec rm pets', 'UMEMBER');
    const err = await eventually(() => slack.of('respond').find((c) => texts1(c).includes('bot_forbidden')));
    expect(err.args['response_type']).toBe('ephemeral');
    expect(texts1(err)).toContain('SMOLMAP_BOT_ALLOW');
    expect(slack.of('users.info').some((c) => c.args['user'] === 'UMEMBER')).toBe(true);
    expect((await listSpecs(t.engine, { tenant: 'slack:T1' })).map((s) => s.name)).toContain('pets');
  });

  it('keeps one training message updated and ends with metrics and the loss curve', async () => {
    await slash('train pets steps=5', 'UFRIEND');
    const queued = await eventually(() =>
      slack.of('chat.postMessage').find((c) => String(c.args['text']).includes('queued')),
    );
    const [job] = await listJobs(t.engine, { tenant: 'slack:T1' });
    expect(job).toBeDefined();
    await simulateTraining(t.engine, job!.id, 5);
    await bot.idle();
    const updates = slack.of('chat.update');
    expect(updates.length).toBeGreaterThan(1);
    // One message: every edit targets the ts the fake gave the queued post (ts values are unique per post).
    expect(new Set(updates.map((u) => u.args['ts'])).size).toBe(1);
    expect(queued.args['channel']).toBe(updates[0]!.args['channel']);
    expect(updates.some((u) => /█+░* \d+% · step \d\/5 · loss/.test(String(u.args['text'])))).toBe(true);
    expect(String(updates.at(-1)!.args['text'])).toMatch(/done[\s\S]*train loss 0\.4000/);
    expect(slack.of('files.completeUploadExternal').length).toBe(1);
    expect(slack.uploads.at(-1)!.includes(Buffer.from('PNG'))).toBe(true);
  });

  it('answers `ask` and takes replies in its thread as follow-ups of the same session', async () => {
    // petfile: pets has the simulated training's model, whose adapter files do not exist.
    const errorsBefore = slack.of('respond').length;
    await slash('ask petfile show me pet 42', 'UMEMBER');
    const answer = await eventually(() => {
      const e = slack.of('respond')[errorsBefore];
      if (e) throw new Error(String(e.args['text']));
      return slack.of('chat.postMessage').find((c) => String(c.args['text']).includes('curl'));
    }, 30_000);
    expect(String(answer.args['text'])).toMatch(/confidence \d+% · model `tiny/);
    const ts = String(answer.response['ts']);
    expect(
      await sendEvent({
        type: 'message',
        channel: 'C1',
        user: 'UMEMBER',
        text: 'list the sold pets',
        ts: '1800000000.000001',
        thread_ts: ts,
        channel_type: 'channel',
      }),
    ).toBe(200);
    const reply = await eventually(
      () => slack.of('chat.postMessage').find((c) => c.args['thread_ts'] === ts),
      30_000,
    );
    expect(String(reply.args['text'])).toContain('curl');
    const asks = await history(t.engine, { tenant: 'slack:T1' });
    expect(asks.map((q) => q.input)).toEqual(['show me pet 42', 'list the sold pets']);
    expect(asks[0]!.sessionId).toBe(asks[1]!.sessionId);
    expect(asks[0]!.sessionId).toMatch(/^slack-/);
  }, 60_000);

  it('answers another workspace’s spec exactly as a missing one, privately', async () => {
    const asTeam2 = (text: string) =>
      send({
        command: '/smolmap',
        text,
        team_id: 'T2',
        user_id: 'UOTHER',
        channel_id: 'C9',
        trigger_id: 'trig-9',
        response_url: slack.responseUrl(`r${++responses}`),
        token: 'x',
        user_name: 'o',
        team_domain: 'other',
        channel_name: 'general',
        api_app_id: 'A1',
      });
    const refusal = async (name: string): Promise<string> => {
      const before = slack.of('respond').length;
      await asTeam2(`spec ops ${name}`);
      const r = await eventually(() => slack.of('respond')[before]);
      expect(r.args['response_type']).toBe('ephemeral');
      return texts1(r).split(name).join('<name>');
    };
    const theirs = await refusal('pets');
    expect(theirs).toContain('spec_unknown');
    expect(theirs).toBe(await refusal('no-such-thing'));
    expect(await listSpecs(t.engine, { tenant: 'slack:T2' })).toEqual([]);
  });
});
