/**
 * The end of a training in Slack, through real Bolt (signed requests) and a fake Slack Web API on loopback: a
 * real training of the tiny Llama (run here as the job runner runs it) ends with the metrics, the held-out
 * scores and both charts, the loss chart and the eval chart, uploaded as PNGs in the training's thread.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import sharp from 'sharp';
import {
  acquireRunnerLock,
  addSpec,
  claimNextJob,
  finishTrainingJob,
  importModel,
  releaseRunnerLock,
  releaseRuntimes,
  runTrainJob,
} from '../../../src/engine/index.js';
import { REF } from '../../engine/model/tiny-ref.js';
import { createSlackBot, type SlackBot } from '../../../src/bots/slack/app.js';
import { TINY_SPEC, botDeps, eventually, tempEngine, type TempEngine } from '../helpers.js';
import { startFakeSlack, type FakeSlack } from './fake-slack.js';
import { postForm } from './signed.js';

const SECRET = 'charts-secret';
let t: TempEngine;
let slack: FakeSlack;
let bot: SlackBot;

beforeAll(async () => {
  t = await tempEngine();
  await importModel(t.engine, `${REF}/model`, { name: 'tiny' });
  const file = path.join(t.dir, 'pets.yaml');
  await writeFile(file, TINY_SPEC);
  await addSpec(t.engine, file, { name: 'pets', tenant: 'slack:T1' });
  slack = await startFakeSlack('xoxb-charts');
  slack.admins.add('UADMIN');
  bot = createSlackBot({
    deps: botDeps(t.engine, { everyone: [], allow: [] }),
    token: 'xoxb-charts',
    mode: 'http',
    signingSecret: SECRET,
    port: 0,
    apiUrl: slack.url,
    logger: pino({ level: 'silent' }),
    minEditIntervalMs: 50,
    pollMs: 20,
  });
  await bot.start();
});

afterAll(async () => {
  await releaseRuntimes();
  await bot.stop();
  await slack.close();
  await t.close();
});

/** Runs the queued job in this process, as the runner's worker does. */
async function runQueuedJob(): Promise<string> {
  const lock = await acquireRunnerLock(t.engine);
  try {
    const claimed = await claimNextJob(t.engine);
    if (!claimed) throw new Error('no queued job');
    const result = await runTrainJob(claimed.input, {
      onProgress: () => undefined,
      onCheckpoint: () => undefined,
      stopRequested: () => false,
    });
    await finishTrainingJob(t.engine, claimed.job.id, result);
    return claimed.job.id;
  } finally {
    await releaseRunnerLock(t.engine, lock);
  }
}

describe('slack training thread', () => {
  it('ends with the held-out scores, and the loss and eval charts as pictures in the thread', async () => {
    const events = `http://127.0.0.1:${bot.port()}/slack/events`;
    const slash = await postForm(
      events,
      {
        command: '/smolmap',
        text: 'train pets steps=3 batch=2',
        team_id: 'T1',
        user_id: 'UADMIN',
        channel_id: 'C1',
        trigger_id: 'trig-1',
        response_url: slack.responseUrl('cmd-1'),
        api_app_id: 'A1',
      },
      SECRET,
    );
    expect(slash.status).toBe(200);
    const queued = await eventually(
      () => slack.of('chat.postMessage').find((c) => String(c.args['text']).includes('queued')),
      30_000,
    );
    const job = await runQueuedJob();
    const final = await eventually(
      () => slack.of('chat.update').find((c) => String(c.args['text']).includes('held-out: endpoint')),
      120_000,
    );
    expect(final.args['ts']).toBe(queued.response['ts']);
    expect(String(final.args['text'])).toMatch(/held-out: endpoint \d+%, exact \d+% on \d+ tasks/);
    await eventually(() => (slack.of('files.completeUploadExternal').length >= 2 ? true : undefined), 30_000);
    const names = slack.of('files.getUploadURLExternal').map((c) => String(c.args['filename']));
    expect(names).toEqual([`${job}-loss.png`, `${job}-eval.png`]);
    const threads = slack.of('files.completeUploadExternal').map((c) => c.args['thread_ts']);
    expect(threads).toEqual([queued.response['ts'], queued.response['ts']]);
    // Each upload's body holds one PNG, from its signature to the end of its IEND chunk.
    const png = (u: Buffer): Buffer =>
      u.subarray(u.indexOf(Buffer.from([0x89, 0x50, 0x4e, 0x47])), u.indexOf(Buffer.from('IEND')) + 8);
    const sizes = await Promise.all(slack.uploads.map((u) => sharp(png(u)).metadata()));
    expect(sizes.map((m) => [m.format, m.width])).toEqual([
      ['png', 800],
      ['png', 900],
    ]);
  }, 180_000);
});
