/**
 * The Slack and Discord surfaces of `smolmap serve`. Each starts when its token is in the
 * environment: Slack in Socket Mode by default, or over HTTP with `--slack-port`; Discord over the gateway.
 */
import { SmolmapError, type Engine } from '../engine/index.js';
import type { BotDeps, PlaygroundSession } from '../bots/common/handler.js';
import { createQuota, limitsFromEnv } from '../bots/common/limits.js';
import { permissionsFromEnv } from '../bots/common/permissions.js';
import { loadMcpConfig } from '../mcp/index.js';
import type { ServeShared, ServeSurfaceFactory } from './serve.js';

const env = (name: string): string | undefined => process.env[name] || undefined;

/**
 * Both bots of one process share the permissions, the playground sessions and the operator's rules for
 * sending calls (`executeCall` in mcp.json, as for MCP's execute_call).
 */
let shared: { engine: Engine; deps: Promise<BotDeps> } | undefined;
function depsFor(engine: Engine, s: ServeShared): Promise<BotDeps> {
  if (shared?.engine !== engine) shared = { engine, deps: makeDeps(engine, s) };
  return shared.deps;
}

async function makeDeps(engine: Engine, s: ServeShared): Promise<BotDeps> {
  const execute = (await loadMcpConfig(engine.dataDir)).executeCall;
  const limits = limitsFromEnv();
  if (limits.tenants !== 'open' && limits.tenants.length === 0)
    engine.logger.warn(
      'bots: SMOLMAP_BOT_TENANTS lists no workspace or guild, so every command is refused with how to list it',
    );
  const quota = createQuota(limits);
  const sessions = new Map<string, PlaygroundSession>();
  return { engine, permissions: permissionsFromEnv(), quota, jobs: s.jobs, sessions, execute };
}

function port(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535)
    throw new SmolmapError('usage_bad_option', `--slack-port "${value}" is not a port number (0-65535)`);
  return Number(value);
}

export const slackSurface: ServeSurfaceFactory = {
  name: 'slack',
  options: { 'slack-port': { type: 'string' } },
  optionHelp: {
    'slack-port P':
      'Slack over HTTP at /slack/events (default Socket Mode); Slack/Discord start when $SLACK_BOT_TOKEN/$DISCORD_TOKEN are set',
  },
  async start(engine, values, s) {
    const token = env('SLACK_BOT_TOKEN');
    const p = values['slack-port'];
    if (!token) {
      if (typeof p === 'string')
        throw new SmolmapError(
          'usage_bad_option',
          '--slack-port needs $SLACK_BOT_TOKEN (OAuth & Permissions → Bot User OAuth Token)',
        );
      return null;
    }
    const apiUrl = env('SMOLMAP_SLACK_API_URL');
    const appToken = env('SLACK_APP_TOKEN');
    const signingSecret = env('SLACK_SIGNING_SECRET');
    const { createSlackBot } = await import('../bots/slack/app.js'); // @slack/bolt loads only when asked for
    const bot = createSlackBot({
      deps: await depsFor(engine, s),
      token,
      mode: typeof p === 'string' ? 'http' : 'socket',
      ...(typeof p === 'string' && { port: port(p) }),
      ...(appToken !== undefined && { appToken }),
      ...(signingSecret !== undefined && { signingSecret }),
      ...(apiUrl !== undefined && { apiUrl }),
      logger: engine.logger,
    });
    const description = await bot.start();
    return { name: 'slack', description, stop: () => bot.stop() };
  },
};

export const discordSurface: ServeSurfaceFactory = {
  name: 'discord',
  options: {},
  optionHelp: {},
  async start(engine, _values, s) {
    const token = env('DISCORD_TOKEN');
    if (!token) return null;
    const apiUrl = env('SMOLMAP_DISCORD_API_URL');
    const { createDiscordBot } = await import('../bots/discord/bot.js'); // discord.js likewise
    const bot = createDiscordBot({
      deps: await depsFor(engine, s),
      token,
      ...(apiUrl !== undefined && { apiUrl }),
      logger: engine.logger,
    });
    const description = await bot.start();
    return { name: 'discord', description, stop: () => bot.stop() };
  },
};
