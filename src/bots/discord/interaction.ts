/**
 * One `/smolmap` interaction, as the discord.js object the client emits on `interactionCreate`: defer at once
 * (Discord drops an interaction not answered within 3 s), run one facade call through the common handler,
 * then `editReply`. An error after the defer deletes the deferred reply and reaches the user as an ephemeral
 * `followUp`. Interaction tokens expire after 15 minutes
 * (https://discord.com/developers/docs/interactions/receiving-and-responding), so a long training's progress
 * continues as a channel message the bot sends with its own token.
 */
import {
  MessageFlags,
  PermissionFlagsBits,
  Routes,
  type ChatInputCommandInteraction,
  type Interaction,
  type Message,
  type PermissionsBitField,
  type SendableChannels,
} from 'discord.js';
import { SmolmapError, toSmolmapError, type Logger } from '../../engine/index.js';
import { handleCommand, type BotDeps, type CommandReply, type Invocation } from '../common/handler.js';
import type { BotCommand } from '../common/grammar.js';
import { authorize, type Actor } from '../common/permissions.js';
import { renderError, type Reply } from '../common/render.js';
import { checkUpload, download } from '../common/upload.js';
import { watchTraining } from '../common/watch.js';
import { handleAutocomplete } from './autocomplete.js';
import { commandFromInteraction, type ParsedCommand } from './commands.js';
import { handleComponent } from './components.js';
import { messageOf } from './embeds.js';

/** 15 minutes, less a minute of margin for clock skew and a slow last edit. */
export const INTERACTION_TOKEN_MS = 14 * 60_000;

export interface DiscordHandlerOptions {
  deps: BotDeps;
  logger: Logger;
  /** Minimum ms between two edits of one progress message (Discord: ~5 edits per 5 s per channel). */
  minEditIntervalMs: number;
  pollMs: number;
  tokenLifetimeMs: number;
  lifetime: AbortSignal;
  background: Set<Promise<unknown>>;
}

/** Administrator or Manage Server count as the guild's admins. */
export function isAdmin(permissions: Readonly<PermissionsBitField> | null): boolean {
  return permissions?.any([PermissionFlagsBits.Administrator, PermissionFlagsBits.ManageGuild]) ?? false;
}

/** Who acts, scoped by the guild; DMs have no guild to scope by. */
export function actorOf(i: Interaction): Actor {
  if (i.guildId === null)
    throw new SmolmapError(
      'bot_guild_only',
      'smolmap works in servers, not in DMs; use /smolmap in a server channel',
    );
  return { tenant: `discord:${i.guildId}`, user: i.user.id, admin: isAdmin(i.memberPermissions) };
}

/** An error reply only the user sees (before any defer). */
export const privateText = (text: string) =>
  ({ content: text.slice(0, 2000), flags: MessageFlags.Ephemeral }) as const;

/**
 * Where progress goes: the deferred reply while its token lives, then one channel message (bot token),
 * edited from there on.
 */
export function progressTarget(
  o: DiscordHandlerOptions,
  i: ChatInputCommandInteraction,
  receivedAt: number,
): (reply: Reply) => Promise<void> {
  let posted: { channel: SendableChannels; id: string } | undefined;
  return async (reply) => {
    const message = messageOf(reply);
    if (Date.now() - receivedAt < o.tokenLifetimeMs) {
      await i.editReply({ ...message, attachments: [] });
    } else if (posted === undefined) {
      // allowUnknownGuild: the channel is posted to even when its guild is not (yet) in the cache.
      const channel = await i.client.channels.fetch(i.channelId, { allowUnknownGuild: true });
      if (!channel?.isSendable())
        throw new SmolmapError('discord_channel_unavailable', `cannot post in channel ${i.channelId}`);
      posted = { channel, id: (await channel.send(message)).id };
    } else {
      await posted.channel.messages.edit(posted.id, { ...message, attachments: [] });
    }
  };
}

/** An error after a defer: the deferred reply is deleted and the error follows privately. */
async function privateError(o: DiscordHandlerOptions, i: ChatInputCommandInteraction, text: string) {
  await i
    .deleteReply()
    .catch((e: unknown) => o.logger.warn({ err: e }, 'discord: could not delete the deferred reply'));
  await i.followUp(privateText(text));
}

/** A playground: the answer's thread (created from the reply), or the thread the user asked in. */
async function bindSession(
  o: DiscordHandlerOptions,
  i: ChatInputCommandInteraction,
  tenant: string,
  reply: CommandReply,
  m: Message,
  task: string,
): Promise<void> {
  if (!reply.session) return;
  let thread = i.channelId;
  if (!i.channel?.isThread()) {
    // REST rather than Message#startThread: the reply's channel need not be in the cache.
    const created = (await i.client.rest.post(Routes.threads(i.channelId, m.id), {
      body: { name: task.slice(0, 90) || 'smolmap', auto_archive_duration: 1440 },
    })) as { id: string };
    thread = created.id;
  }
  o.deps.sessions.set(`${tenant}:${thread}`, reply.session);
}

function watch(
  o: DiscordHandlerOptions,
  i: ChatInputCommandInteraction,
  receivedAt: number,
  job: string,
  tenant: string,
): void {
  const p = watchTraining(o.deps.engine, job, progressTarget(o, i, receivedAt), {
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
  i: ChatInputCommandInteraction,
  actor: Actor,
  parsed: ParsedCommand,
): Promise<Invocation> {
  const inv: Invocation = { actor, surface: 'discord', conversation: `${actor.tenant}:${i.channelId}` };
  const a = parsed.attachment;
  if (a) {
    const meta = { filename: a.name, size: a.size, ...(a.contentType && { contentType: a.contentType }) };
    checkUpload(meta);
    o.deps.quota.admit(actor);
    authorize(o.deps.permissions, actor, parsed.command); // no download for someone who may not upload
    inv.upload = {
      ...meta,
      bytes: await download(a.url, { filename: a.name, policy: o.deps.engine.net }),
    };
  }
  return inv;
}

async function onCommand(o: DiscordHandlerOptions, i: ChatInputCommandInteraction): Promise<void> {
  const receivedAt = Date.now();
  let parsed: ParsedCommand;
  let actor: Actor;
  try {
    actor = actorOf(i);
    parsed = commandFromInteraction(i);
  } catch (e) {
    const err = toSmolmapError(e);
    await i.reply(privateText(renderError(err.code, err.message)));
    return;
  }
  const cmd: BotCommand = parsed.command;
  await i.deferReply(cmd.verb === 'help' ? { flags: MessageFlags.Ephemeral } : {});
  let reply: CommandReply;
  try {
    reply = await handleCommand(o.deps, await invocation(o, i, actor, parsed), cmd);
  } catch (e) {
    const err = toSmolmapError(e);
    if (err.code === 'internal') o.logger.error({ err: e }, 'discord: command failed');
    await privateError(o, i, renderError(err.code, err.message));
    return;
  }
  const m = await i.editReply(messageOf(reply));
  if (reply.watch !== undefined) watch(o, i, receivedAt, reply.watch, actor.tenant);
  if (cmd.verb === 'ask')
    await bindSession(o, i, actor.tenant, reply, m, cmd.task).catch((e: unknown) =>
      o.logger.warn({ err: e }, 'discord: could not open a playground thread (needs Create Public Threads)'),
    );
}

/** Handles one interaction; resolves once it is answered (a training's progress continues in background). */
export async function handleInteraction(o: DiscordHandlerOptions, i: Interaction): Promise<void> {
  if (i.isAutocomplete()) return handleAutocomplete(o, i);
  if (i.isButton() || i.isModalSubmit()) return handleComponent(o, i);
  if (i.isChatInputCommand() && i.commandName === 'smolmap') return onCommand(o, i);
}
