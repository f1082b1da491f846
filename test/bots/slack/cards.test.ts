/**
 * Replies that cannot vanish, answer cards and their buttons, through real Bolt (signed requests to its HTTP
 * receiver) and a fake Slack Web API on loopback: private errors where the bot cannot post, Copy curl,
 * Correct (form, validation, stored example used by the next training), Stop from the progress message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import {
  addSpec,
  getJob,
  importModel,
  listCorrections,
  listJobs,
  loadDataset,
  releaseRuntimes,
  type TrainJobOptions,
} from '../../../src/engine/index.js';
import { REF } from '../../engine/model/tiny-ref.js';
import { createSlackBot, type SlackBot } from '../../../src/bots/slack/app.js';
import { CORRECT_BLOCKS, CORRECT_CALLBACK } from '../../../src/bots/slack/correction.js';
import { TINY_SPEC, botDeps, eventually, tempEngine, type TempEngine } from '../helpers.js';
import { startFakeSlack, type FakeSlack, type SlackCall } from './fake-slack.js';
import { buttonClick, postForm } from './signed.js';

const SECRET = 'cards-secret';
const TEAM = 'T1';
let t: TempEngine;
let slack: FakeSlack;
let bot: SlackBot;
let events: string;
let n = 0;

const text = (c: SlackCall): string => String(c.args['text']);

function slash(command: string, user: string, channel: string) {
  return postForm(
    events,
    {
      command: '/smolmap',
      text: command,
      team_id: TEAM,
      user_id: user,
      channel_id: channel,
      trigger_id: `trig-${++n}`,
      response_url: slack.responseUrl(`cmd-${n}`),
      api_app_id: 'A1',
    },
    SECRET,
  );
}

function interact(payload: Record<string, unknown>) {
  return postForm(events, { payload: JSON.stringify(payload) }, SECRET);
}

function click(actionId: string, value: string, user: string) {
  return interact(buttonClick(TEAM, user, actionId, value, ++n, (id) => slack.responseUrl(id)));
}

function submitCorrection(privateMetadata: string, task: string, call: string) {
  const field = (b: string, value: string) => ({ [b]: { [b]: { type: 'plain_text_input', value } } });
  return interact({
    type: 'view_submission',
    team: { id: TEAM, domain: 'd' },
    user: { id: 'UMEMBER', name: 'u', team_id: TEAM },
    api_app_id: 'A1',
    token: 'x',
    trigger_id: `trig-${++n}`,
    view: {
      id: 'V2',
      team_id: TEAM,
      type: 'modal',
      callback_id: CORRECT_CALLBACK,
      private_metadata: privateMetadata,
      state: { values: { ...field(CORRECT_BLOCKS.task, task), ...field(CORRECT_BLOCKS.call, call) } },
      hash: 'h',
      title: { type: 'plain_text', text: 'Correct' },
      blocks: [],
      app_id: 'A1',
      bot_id: 'BBOT',
    },
  });
}

const respondedWith = (needle: string) =>
  eventually(() => slack.of('respond').find((c) => text(c).includes(needle)), 30_000);

type Block = { type: string; elements?: { action_id?: string; value?: string }[] };
const buttons = (c: SlackCall) =>
  ((c.args['blocks'] ?? []) as Block[])
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? [])
    .map((e) => ({ action: e.action_id, value: e.value }));

beforeAll(async () => {
  t = await tempEngine();
  await importModel(t.engine, `${REF}/model`, { name: 'tiny' });
  const file = path.join(t.dir, 'pets.yaml');
  await writeFile(file, TINY_SPEC);
  await addSpec(t.engine, file, { name: 'pets', tenant: `slack:${TEAM}` });
  slack = await startFakeSlack('xoxb-cards');
  slack.admins.add('UADMIN');
  slack.notIn.add('CPRIV');
  bot = createSlackBot({
    deps: botDeps(t.engine, { everyone: [], allow: [] }),
    token: 'xoxb-cards',
    mode: 'http',
    signingSecret: SECRET,
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
  await releaseRuntimes();
  await bot.stop();
  await slack.close();
  await t.close();
});

describe('slack replies that cannot vanish', () => {
  it('sends a failed ask in a channel the bot is not in to the user, privately', async () => {
    await slash('ask nosuchspec show me pet 42', 'UMEMBER', 'CPRIV');
    const err = await respondedWith('spec_unknown');
    expect(err.args['response_type']).toBe('ephemeral');
    expect(slack.of('chat.postMessage').some((c) => c.args['channel'] === 'CPRIV' && c.response['ok'])).toBe(
      false,
    );
  });

  it('answers privately, with a hint, where the bot cannot post', async () => {
    await slash('spec list', 'UMEMBER', 'CPRIV');
    const r = await respondedWith('Tiny Pets');
    expect(r.args['response_type']).toBe('ephemeral');
    expect(text(r)).toContain('invite @smolmap');
  });
});

describe('answer cards', () => {
  it('shows the call as a card; Copy curl and Correct work; the correction feeds the next training', async () => {
    await slash('ask pets show me pet 42', 'UMEMBER', 'C1');
    const card = await eventually(
      () => slack.of('chat.postMessage').find((c) => buttons(c).length > 0 && c.args['channel'] === 'C1'),
      60_000,
    );
    const blocks = JSON.stringify(card.args['blocks']);
    expect(blocks).toMatch(/GET \/pets/);
    expect(blocks).toContain('curl');
    expect(blocks).toMatch(/confidence \*\d+%\* · adapter `tiny/);
    const [copy, correct] = buttons(card);
    expect([copy!.action, correct!.action]).toEqual(['smolmap_copy_curl', 'smolmap_correct']);
    expect(buttons(card).map((b) => b.action)).not.toContain('smolmap_run');

    await click('smolmap_copy_curl', copy!.value!, 'UMEMBER');
    const curl = await respondedWith('```curl');
    expect(curl.args['response_type']).toBe('ephemeral');
    expect(text(curl)).toContain('https://pets.example.com/v1/pets');

    await click('smolmap_correct', correct!.value!, 'UMEMBER');
    const open = await eventually(() => slack.of('views.open').at(-1));
    const view = open.args['view'] as {
      callback_id: string;
      private_metadata: string;
      blocks: { element: { initial_value: string } }[];
    };
    expect(view.callback_id).toBe(CORRECT_CALLBACK);
    expect(view.blocks[0]!.element.initial_value).toBe('show me pet 42');
    expect(view.blocks[1]!.element.initial_value).toMatch(/"method": "GET"/);

    const bad = await submitCorrection(
      view.private_metadata,
      'show me the sold pets',
      '{"method":"GET","path":"/nowhere"}',
    );
    expect(JSON.parse(bad.body)).toMatchObject({
      response_action: 'errors',
      errors: { [CORRECT_BLOCKS.call]: expect.stringContaining('no operation GET /nowhere') },
    });
    expect(await listCorrections(t.engine, { tenant: 'slack:T1' })).toEqual([]);

    const fixed = '{"method":"GET","path":"/pets","query":{"status":"sold"}}';
    expect((await submitCorrection(view.private_metadata, 'show me the sold pets', fixed)).status).toBe(200);
    const saved = await respondedWith('Saved');
    expect(text(saved)).toContain('`GET /pets`');
    const [stored] = await listCorrections(t.engine, { tenant: 'slack:T1' });
    expect(stored).toMatchObject({ task: 'show me the sold pets', user: 'UMEMBER', surface: 'slack' });

    await slash('train pets steps=1', 'UADMIN', 'C1');
    const job = await eventually(() => slack.of('chat.postMessage').find((c) => text(c).includes('queued')));
    const [record] = await listJobs(t.engine, { tenant: 'slack:T1' });
    const { datasetId } = (await getJob(t.engine, record!.id, { tenant: 'slack:T1' }))
      .options as unknown as TrainJobOptions;
    const { examples } = await loadDataset(t.engine, datasetId, { tenant: 'slack:T1' });
    expect(examples.filter((e) => e.task === 'show me the sold pets')[0]?.expected).toMatchObject({
      path: '/pets',
      query: { status: 'sold' },
    });
    expect(buttons(job)).toEqual([{ action: 'smolmap_stop', value: record!.id }]);
  }, 90_000);

  it('stops a job from its progress message, for those allowed to', async () => {
    const [job] = await listJobs(t.engine, { tenant: 'slack:T1', status: 'queued' });
    await click('smolmap_stop', job!.id, 'UMEMBER');
    await respondedWith('bot_forbidden');
    expect((await getJob(t.engine, job!.id, { tenant: 'slack:T1' })).status).toBe('queued');
    await click('smolmap_stop', job!.id, 'UADMIN');
    await respondedWith(`Stopping \`${job!.id}\``);
    expect((await getJob(t.engine, job!.id, { tenant: 'slack:T1' })).status).toBe('stopped');
  });
});
