/**
 * The Slack surface behind start/stop (bolt-js anchor): Socket Mode by default (no public URL needed), or
 * HTTP mode with Bolt's HTTPReceiver at `/slack/events`, requests verified with the signing secret.
 * `SMOLMAP_SLACK_API_URL` points the Web API (and Socket Mode's connection call) at a proxy or a local fake.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { App, LogLevel, SocketModeReceiver, type Logger as BoltLogger } from '@slack/bolt';
import { SmolmapError, type Logger } from '../../engine/index.js';
import type { BotDeps } from '../common/handler.js';
import { registerSlackActions } from './actions.js';
import { registerSlackHandlers, type SlackHandlerOptions } from './handlers.js';

export interface SlackBotOptions {
  deps: BotDeps;
  /** Bot token (`xoxb-…`). */
  token: string;
  /** `socket` needs `appToken` (`xapp-…`); `http` needs `signingSecret` and `port`. */
  mode: 'socket' | 'http';
  appToken?: string;
  signingSecret?: string;
  port?: number;
  /** Web API base URL, e.g. `http://127.0.0.1:9999/api/` (default Slack's). */
  apiUrl?: string;
  logger: Logger;
  minEditIntervalMs?: number;
  pollMs?: number;
}

export interface SlackBot {
  /** One line for `serve`'s banner. */
  start(): Promise<string>;
  stop(): Promise<void>;
  /** The bound port in HTTP mode, once started. */
  port(): number | undefined;
  /** Resolves when background work (progress messages) has settled; for tests and shutdown. */
  idle(): Promise<void>;
}

/** Bolt's Logger over our pino logger (Bolt logs with plain arguments). */
function boltLogger(log: Logger): BoltLogger {
  const line = (args: unknown[]): string =>
    args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
  return {
    debug: (...a: unknown[]) => log.debug(`slack: ${line(a)}`),
    info: (...a: unknown[]) => log.info(`slack: ${line(a)}`),
    warn: (...a: unknown[]) => log.warn(`slack: ${line(a)}`),
    error: (...a: unknown[]) => log.error(`slack: ${line(a)}`),
    setLevel: () => {},
    getLevel: () => LogLevel.INFO,
    setName: () => {},
  };
}

/** Slack's WebClient joins method names onto the base URL, so it needs a trailing slash. */
export const apiBase = (url: string): string => (url.endsWith('/') ? url : `${url}/`);

export function createSlackBot(o: SlackBotOptions): SlackBot {
  const clientOptions = o.apiUrl === undefined ? {} : { slackApiUrl: apiBase(o.apiUrl) };
  const logger = boltLogger(o.logger);
  const lifetime = new AbortController();
  const background = new Set<Promise<unknown>>();
  let server: Server | undefined;

  let app: App;
  if (o.mode === 'http') {
    if (!o.signingSecret)
      throw new SmolmapError(
        'slack_config',
        'Slack HTTP mode needs SLACK_SIGNING_SECRET (Basic Information → App Credentials)',
      );
    app = new App({ token: o.token, signingSecret: o.signingSecret, clientOptions, logger });
  } else {
    if (!o.appToken)
      throw new SmolmapError(
        'slack_config',
        'Slack Socket Mode needs SLACK_APP_TOKEN (an xapp- token with connections:write), or use --slack-port for HTTP mode',
      );
    const receiver = new SocketModeReceiver({
      appToken: o.appToken,
      logger,
      installerOptions: { clientOptions },
    });
    app = new App({ token: o.token, receiver, clientOptions, logger });
  }
  app.error(async (e) => o.logger.error({ err: e }, 'slack: listener failed'));
  const handlers: SlackHandlerOptions = {
    deps: o.deps,
    token: o.token,
    logger: o.logger,
    minEditIntervalMs: o.minEditIntervalMs ?? 3000,
    pollMs: o.pollMs ?? 1000,
    lifetime: lifetime.signal,
    background,
  };
  registerSlackHandlers(app, handlers);
  registerSlackActions(app, handlers);

  return {
    async start() {
      if (o.mode === 'http') {
        server = (await app.start(o.port ?? 3000)) as Server;
        return `HTTP mode, POST http://0.0.0.0:${(server.address() as AddressInfo).port}/slack/events`;
      }
      await app.start();
      return 'Socket Mode (no public URL needed)';
    },
    async stop() {
      lifetime.abort();
      await Promise.allSettled([...background]);
      await app.stop();
    },
    port: () => (server ? (server.address() as AddressInfo).port : undefined),
    async idle() {
      while (background.size > 0) await Promise.allSettled([...background]);
    },
  };
}
