/** `smolmap discord register` through main(), with REST at a local fake Discord API. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeDiscord, type FakeDiscord } from '../bots/discord/fake-discord.js';
import { runInProcess } from './run-cli.js';

let fake: FakeDiscord;
const saved = { ...process.env };

beforeAll(async () => {
  fake = await startFakeDiscord();
});
afterAll(async () => {
  process.env = saved;
  await fake.close();
});

/** `main` in-process (run-cli.ts), with the short field names these assertions use. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await runInProcess(argv);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

describe('smolmap discord register', () => {
  it('PUTs the /smolmap command into one guild, looking up the application from the token', async () => {
    process.env['DISCORD_TOKEN'] = 'bot-token';
    process.env['SMOLMAP_DISCORD_API_URL'] = fake.api;
    delete process.env['DISCORD_APPLICATION_ID'];
    const r = await run(['discord', 'register', '--guild', '123456789', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      application: '4242',
      scope: 'guild',
      guild: '123456789',
      commands: [{ id: '7000', name: 'smolmap' }],
    });
    const put = fake.to(/\/applications\/4242\/guilds\/123456789\/commands$/, 'PUT')[0]!;
    expect(put.auth).toBe('Bot bot-token');
    const names = ((put.body as unknown as { options: { name: string }[] }[])[0]!.options ?? []).map(
      (o) => o.name,
    );
    expect(names).toEqual(['spec', 'train', 'jobs', 'stop', 'ask', 'models', 'activate', 'history', 'help']);
  });

  it('registers globally without --guild', async () => {
    const r = await run(['discord', 'register', '--application', '4242', '--json']);
    expect(JSON.parse(r.out).scope).toBe('global');
    expect(fake.to(/\/applications\/4242\/commands$/, 'PUT').length).toBe(1);
  });

  it('needs DISCORD_TOKEN (usage error, exit 2)', async () => {
    delete process.env['DISCORD_TOKEN'];
    const r = await run(['discord', 'register']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^usage_missing_env: set DISCORD_TOKEN/);
  });
});
