/**
 * Where a Slack reply goes so it cannot vanish. A public reply is posted to the channel (chat:write.public
 * covers public channels); where the bot cannot post (a DM, a private channel it has not joined), it goes to
 * the asker alone through the command's `response_url`. Private replies and errors go through
 * `response_url` when there is one, else chat.postEphemeral, else a direct message from the app, so an error
 * always reaches the user.
 */
import type { RespondArguments } from '@slack/bolt';
import type { Block, KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../engine/index.js';
import type { Reply } from '../common/render.js';
import { noteBlock, replyBlocks } from './blocks.js';

/** Sends a message through a `response_url` (Bolt's `respond`, or one carried through a modal). */
export type Respond = (message: RespondArguments) => Promise<unknown>;

export interface Target {
  channel: string;
  user: string;
  thread?: string;
  respond?: Respond;
}

/** A `respond` for a `response_url` carried outside Bolt's listener arguments (e.g. through a modal). */
export function respondTo(url: string): Respond {
  return async (message) => {
    const r = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(message),
    });
    if (!r.ok) throw new Error(`response_url answered ${r.status}`);
  };
}

const slackError = (e: unknown): string =>
  (e as { data?: { error?: string } }).data?.error ?? (e as Error).message;

export interface PrivateMessage {
  text: string;
  blocks?: (Block | KnownBlock)[];
}

/** Shows a message to the user alone; tries every private route before giving up (and logging). */
export async function sendPrivately(
  client: WebClient,
  to: Target,
  message: PrivateMessage,
  logger: Logger,
): Promise<void> {
  const routes: [string, () => Promise<unknown>][] = [
    [
      'chat.postEphemeral',
      () => client.chat.postEphemeral({ channel: to.channel, user: to.user, ...message }),
    ],
    ['direct message', () => client.chat.postMessage({ channel: to.user, ...message })],
  ];
  if (to.respond) {
    const respond = to.respond;
    routes.unshift(['response_url', () => respond({ response_type: 'ephemeral', ...message })]);
  }
  for (const [route, send] of routes) {
    try {
      await send();
      return;
    } catch (e) {
      logger.warn({ err: e, route }, `slack: private reply via ${route} failed (${slackError(e)})`);
    }
  }
  logger.error({ user: to.user }, 'slack: no route reached the user');
}

async function uploadFiles(client: WebClient, channel: string, ts: string, reply: Reply): Promise<void> {
  for (const f of reply.files ?? [])
    await client.files.uploadV2({
      channel_id: channel,
      thread_ts: ts,
      file: Buffer.from(f.data),
      filename: f.name,
    });
}

/** Edits a public message the bot posted, files included (the finished training's loss curve). */
export async function editPublic(
  client: WebClient,
  channel: string,
  ts: string,
  reply: Reply,
): Promise<void> {
  await client.chat.update({ channel, ts, text: reply.text, blocks: replyBlocks(reply) });
  await uploadFiles(client, channel, ts, reply);
}

/**
 * Posts a reply. Returns the ts of a public message (the surface then threads and edits it), or undefined
 * when the reply went to the user alone.
 */
export async function deliver(
  client: WebClient,
  to: Target,
  reply: Reply,
  logger: Logger,
): Promise<string | undefined> {
  const blocks = replyBlocks(reply);
  if (reply.ephemeral) {
    await sendPrivately(client, to, { text: reply.text, blocks }, logger);
    return undefined;
  }
  let ts: string | undefined;
  try {
    const r = await client.chat.postMessage({
      channel: to.channel,
      text: reply.text,
      blocks,
      ...(to.thread !== undefined && { thread_ts: to.thread }),
    });
    ts = r.ts;
  } catch (e) {
    const why = slackError(e);
    logger.info({ channel: to.channel, why }, 'slack: cannot post in the channel; answering privately');
    const note =
      reply.watch === undefined
        ? '_Only you can see this: invite @smolmap to this channel to share answers and follow up in threads._'
        : '_Only you can see this: invite @smolmap to this channel for live progress; `/smolmap jobs` shows it meanwhile._';
    const text = `${reply.text}\n${note}`;
    await sendPrivately(client, to, { text, blocks: [...blocks, noteBlock(note)] }, logger);
    return undefined;
  }
  if (ts !== undefined) await uploadFiles(client, to.channel, to.thread ?? ts, reply);
  return ts;
}
