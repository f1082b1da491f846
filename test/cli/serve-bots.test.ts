/** The Slack/Discord factories of `smolmap serve`: configured from the environment, off without tokens. */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discordSurface, slackSurface } from '../../src/cli/serve-bots.js';
import type { ServeShared } from '../../src/cli/serve.js';
import { eventually, tempEngine, type TempEngine } from '../bots/helpers.js';
import { startFakeSlack, type FakeSlack } from '../bots/slack/fake-slack.js';

let t: TempEngine;
let slack: FakeSlack;
const pumped: string[] = [];
const shared = { ctx: {} as ServeShared['ctx'], jobs: { pump: () => pumped.push('pump'), stop: () => true } };
const saved = { ...process.env };

beforeAll(async () => {
  // The bots serve only listed workspaces; the surfaces read this once, when the first one starts.
  process.env['SMOLMAP_BOT_TENANTS'] = 'slack:T1';
  t = await tempEngine();
  slack = await startFakeSlack('xoxb-serve');
});

afterAll(async () => {
  process.env = saved;
  await slack.close();
  await t.close();
});

describe('serve: chat surfaces', () => {
  it('stay off without their tokens', async () => {
    delete process.env['SLACK_BOT_TOKEN'];
    delete process.env['DISCORD_TOKEN'];
    expect(await slackSurface.start(t.engine, {}, shared)).toBeNull();
    expect(await discordSurface.start(t.engine, {}, shared)).toBeNull();
    await expect(slackSurface.start(t.engine, { 'slack-port': '0' }, shared)).rejects.toThrow(
      /SLACK_BOT_TOKEN/,
    );
  });

  it('Socket Mode without an app token is a coded config error', async () => {
    process.env['SLACK_BOT_TOKEN'] = 'xoxb-serve';
    delete process.env['SLACK_APP_TOKEN'];
    await expect(slackSurface.start(t.engine, {}, shared)).rejects.toMatchObject({ code: 'slack_config' });
  });

  it('--slack-port serves /slack/events, verified with SLACK_SIGNING_SECRET, Web API at SMOLMAP_SLACK_API_URL', async () => {
    process.env['SLACK_BOT_TOKEN'] = 'xoxb-serve';
    process.env['SLACK_SIGNING_SECRET'] = 'serve-secret';
    process.env['SMOLMAP_SLACK_API_URL'] = slack.url.replace(/\/$/, '');
    const surface = (await slackSurface.start(t.engine, { 'slack-port': '0' }, shared))!;
    try {
      const port = /:(\d+)\/slack\/events/.exec(surface.description)![1];
      const body = new URLSearchParams({
        command: '/smolmap',
        text: 'help',
        team_id: 'T1',
        user_id: 'U1',
        channel_id: 'C1',
        trigger_id: 'x',
      }).toString();
      const ts = Math.floor(Date.now() / 1000);
      const sig = createHmac('sha256', 'serve-secret').update(`v0:${ts}:${body}`).digest('hex');
      const res = await fetch(`http://127.0.0.1:${port}/slack/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': String(ts),
          'x-slack-signature': `v0=${sig}`,
        },
        body,
      });
      expect(res.status).toBe(200);
      const help = await eventually(() => slack.of('chat.postEphemeral')[0]);
      expect(String(help.args['text'])).toContain('/smolmap spec add');
    } finally {
      await surface.stop();
    }
  });
});
