/**
 * One `/smolmap` interaction, from its raw payload (gateway INTERACTION_CREATE, or a test) to the answer:
 * defer at once (Discord drops an interaction not answered within 3 s), run one facade call through the
 * common handler, then edit the deferred reply. Interaction tokens expire after 15 minutes
 * (https://discord.com/developers/docs/interactions/receiving-and-responding), so a long training's progress
 * continues as a channel message sent with the bot token.
 */
import {
  ChannelType,
  InteractionResponseType,
  InteractionType,
  MessageFlags,
  PermissionFlagsBits,
  Routes,
  type APIInteraction,
  type APIMessage,
  type REST,
} from 'discord.js';
import { SmolmapError, toSmolmapError, type Logger } from '../../engine/index.js';
import { handleCommand, type BotDeps, type CommandReply, type Invocation } from '../common/handler.js';
import type { BotCommand } from '../common/grammar.js';
import { authorize, type Actor } from '../common/permissions.js';
import { renderError, type Reply } from '../common/render.js';
import { checkUpload, download } from '../common/upload.js';
import { watchTraining } from '../common/watch.js';
import { handleAutocomplete } from './autocomplete.js';
import { commandFromInteraction } from './commands.js';
import { handleComponent } from './components.js';
import { messageBody } from './embeds.js';

/** 15 minutes, less a minute of margin for clock skew and a slow last edit. */
export const INTERACTION_TOKEN_MS = 14 * 60_000;

export interface DiscordHandlerOptions {
  deps: BotDeps;
  /** REST with the bot token set (interaction webhooks themselves need no auth). */
  rest: REST;
  applicationId: string;
  logger: Logger;
  /** Minimum ms between two edits of one progress message (Discord: ~5 edits per 5 s per channel). */
  minEditIntervalMs: number;
  pollMs: number;
  tokenLifetimeMs: number;
  lifetime: AbortSignal;
  background: Set<Promise<unknown>>;
}

/** Administrator or Manage Server count as the guild's admins. */
export function isAdmin(permissions: string | undefined): boolean {
  if (permissions === undefined) return false;
  const bits = BigInt(permissions);
  return (bits & (PermissionFlagsBits.Administrator | PermissionFlagsBits.ManageGuild)) !== 0n;
}

const THREADS: ReadonlySet<number> = new Set([
  ChannelType.PublicThread,
  ChannelType.PrivateThread,
  ChannelType.AnnouncementThread,
]);

/**
 * Where progress goes: the deferred reply while its token lives, then one channel message (bot token),
 * edited from there on.
 */
export function progressTarget(
  o: DiscordHandlerOptions,
  i: { token: string; channelId: string; receivedAt: number },
): (reply: Reply) => Promise<void> {
  let channelMessage: string | undefined;
  return async (reply) => {
    const { body, files } = messageBody(reply);
    if (Date.now() - i.receivedAt < o.tokenLifetimeMs) {
      await o.rest.patch(Routes.webhookMessage(o.applicationId, i.token, '@original'), {
        body,
        files,
        auth: false,
      });
    } else if (channelMessage === undefined) {
      const m = (await o.rest.post(Routes.channelMessages(i.channelId), { body, files })) as APIMessage;
      channelMessage = m.id;
    } else {
      await o.rest.patch(Routes.channelMessage(i.channelId, channelMessage), { body, files });
    }
  };
}

/**
 * An error after a public defer: the deferred reply is deleted and the error sent as an ephemeral follow-up,
 * so only the user sees it. Should the delete fail, the error still reaches the user.
 */
async function privateError(o: DiscordHandlerOptions, i: APIInteraction, text: string): Promise<void> {
  const original = Routes.webhookMessage(o.applicationId, i.token, '@original');
  await o.rest
    .delete(original, { auth: false })
    .catch((e: unknown) => o.logger.warn({ err: e }, 'discord: could not delete the deferred reply'));
  await o.rest.post(Routes.webhook(o.applicationId, i.token), {
    body: { content: text, flags: MessageFlags.Ephemeral },
    auth: false,
  });
}

async function respondNow(o: DiscordHandlerOptions, i: APIInteraction, text: string): Promise<void> {
  await o.rest.post(Routes.interactionCallback(i.id, i.token), {
    body: {
      type: InteractionResponseType.ChannelMessageWithSource,
      data: { content: text, flags: MessageFlags.Ephemeral },
    },
    auth: false,
  });
}

/** A playground: the answer's thread (created from the reply), or the thread the user asked in. */
async function bindSession(
  o: DiscordHandlerOptions,
  i: APIInteraction,
  tenant: string,
  reply: CommandReply,
  m: APIMessage,
  task: string,
): Promise<void> {
  if (!reply.session || i.channel === undefined) return;
  let thread = i.channel.id;
  if (!THREADS.has(i.channel.type)) {
    const created = (await o.rest.post(Routes.threads(i.channel.id, m.id), {
      body: { name: task.slice(0, 90) || 'smolmap', auto_archive_duration: 1440 },
    })) as { id: string };
    thread = created.id;
  }
  o.deps.sessions.set(`${tenant}:${thread}`, reply.session);
}

function watch(
  o: DiscordHandlerOptions,
  i: APIInteraction,
  receivedAt: number,
  job: string,
  tenant: string,
): void {
  const edit = progressTarget(o, { token: i.token, channelId: i.channel?.id ?? '', receivedAt });
  const p = watchTraining(o.deps.engine, job, edit, {
    tenant,
    minIntervalMs: o.minEditIntervalMs,
    pollMs: o.pollMs,
    signal: o.lifetime,
    onError: (e) => o.logger.warn({ err: e, job }, 'discord: progress update failed'),
  }).catch((e: unknown) => {
    if (!o.lifetime.aborted) o.logger.error({ err: e, job }, 'discord: watching a training failed');
  });
  o.background.add(p);
  void p.finally(() => o.background.delete(p));
}

async function invocation(
  o: DiscordHandlerOptions,
  i: APIInteraction,
  cmd: BotCommand,
  guild: string,
  attachment: ReturnType<typeof commandFromInteraction>['attachment'],
): Promise<Invocation> {
  const user = i.member?.user.id ?? i.user?.id ?? '';
  const actor: Actor = { tenant: `discord:${guild}`, user, admin: isAdmin(i.member?.permissions) };
  const inv: Invocation = {
    actor,
    surface: 'discord',
    ...(i.channel && { conversation: `${actor.tenant}:${i.channel.id}` }),
  };
  if (attachment) {
    const meta = {
      filename: attachment.filename,
      size: attachment.size,
      ...(attachment.content_type && { contentType: attachment.content_type }),
    };
    checkUpload(meta);
    o.deps.quota.admit(actor);
    authorize(o.deps.permissions, actor, cmd); // no download for someone who may not upload
    inv.upload = {
      ...meta,
      bytes: await download(attachment.url, {
        filename: attachment.filename,
        policy: o.deps.engine.net,
      }),
    };
  }
  return inv;
}

/** Handles one interaction payload; resolves once the answer is posted (progress continues in background). */
export async function handleInteraction(o: DiscordHandlerOptions, i: APIInteraction): Promise<void> {
  if ((await handleAutocomplete(o, i)) || (await handleComponent(o, i))) return;
  if (i.type !== InteractionType.ApplicationCommand || i.data.name !== 'smolmap' || !('options' in i.data))
    return;
  const receivedAt = Date.now();
  let parsed: ReturnType<typeof commandFromInteraction>;
  try {
    if (i.guild_id === undefined)
      throw new SmolmapError(
        'bot_guild_only',
        'smolmap works in servers, not in DMs; use /smolmap in a server channel',
      );
    parsed = commandFromInteraction(i.data.options, i.data.resolved?.attachments);
  } catch (e) {
    const err = toSmolmapError(e);
    await respondNow(o, i, renderError(err.code, err.message));
    return;
  }
  const cmd = parsed.command;
  await o.rest.post(Routes.interactionCallback(i.id, i.token), {
    body: {
      type: InteractionResponseType.DeferredChannelMessageWithSource,
      ...(cmd.verb === 'help' && { data: { flags: MessageFlags.Ephemeral } }),
    },
    auth: false,
  });
  const original = Routes.webhookMessage(o.applicationId, i.token, '@original');
  let reply: CommandReply;
  let tenant = '';
  try {
    const inv = await invocation(o, i, cmd, i.guild_id, parsed.attachment);
    tenant = inv.actor.tenant;
    reply = await handleCommand(o.deps, inv, cmd);
  } catch (e) {
    const err = toSmolmapError(e);
    if (err.code === 'internal') o.logger.error({ err: e }, 'discord: command failed');
    await privateError(o, i, renderError(err.code, err.message));
    return;
  }
  const { body, files } = messageBody(reply);
  const m = (await o.rest.patch(original, { body, files, auth: false })) as APIMessage;
  if (reply.watch !== undefined) watch(o, i, receivedAt, reply.watch, tenant);
  if (cmd.verb === 'ask')
    await bindSession(o, i, tenant, reply, m, cmd.task).catch((e: unknown) =>
      o.logger.warn({ err: e }, 'discord: could not open a playground thread (needs Create Public Threads)'),
    );
}
