/**
 * The Discord surface behind start/stop: a discord.js gateway client that only needs the Guilds intent, and
 * answers the interactions it emits on `interactionCreate`. `SMOLMAP_DISCORD_API_URL` points REST (gateway
 * discovery included) at a proxy or a local fake.
 */
import { Client, Events, GatewayIntentBits } from 'discord.js';
import { SmolmapError, type Logger } from '../../engine/index.js';
import type { BotDeps } from '../common/handler.js';
import { handleInteraction, INTERACTION_TOKEN_MS, type DiscordHandlerOptions } from './interaction.js';

export interface DiscordBotOptions {
  deps: BotDeps;
  /** The bot token (Developer Portal → Bot → Token). */
  token: string;
  /** REST base without version, e.g. `http://127.0.0.1:9999/api` (default Discord's). */
  apiUrl?: string;
  logger: Logger;
  minEditIntervalMs?: number;
  pollMs?: number;
}

export interface DiscordBot {
  start(): Promise<string>;
  stop(): Promise<void>;
}

export function createDiscordBot(o: DiscordBotOptions): DiscordBot {
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    ...(o.apiUrl !== undefined && { rest: { api: o.apiUrl } }),
  });
  const lifetime = new AbortController();
  const background = new Set<Promise<unknown>>();
  let handler: DiscordHandlerOptions | undefined;

  client.on(Events.InteractionCreate, (interaction) => {
    if (!handler) return;
    handleInteraction(handler, interaction).catch((e: unknown) =>
      o.logger.error({ err: e }, 'discord: interaction failed'),
    );
  });

  return {
    async start() {
      const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
      try {
        await client.login(o.token);
      } catch (e) {
        throw new SmolmapError(
          'discord_login_failed',
          `Discord refused the bot token (${(e as Error).message}); check DISCORD_TOKEN (Developer Portal → Bot)`,
          { cause: e },
        );
      }
      await ready;
      const app = client.application;
      if (!app) throw new SmolmapError('internal', 'internal: discord client ready without its application');
      handler = {
        deps: o.deps,
        logger: o.logger,
        minEditIntervalMs: o.minEditIntervalMs ?? 1500,
        pollMs: o.pollMs ?? 1000,
        tokenLifetimeMs: INTERACTION_TOKEN_MS,
        lifetime: lifetime.signal,
        background,
      };
      return `gateway as ${client.user?.tag ?? app.id} (application ${app.id})`;
    },
    async stop() {
      lifetime.abort();
      await Promise.allSettled([...background]);
      await client.destroy();
    },
  };
}
