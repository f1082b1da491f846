/**
 * Bolt listeners: `/smolmap` slash commands, the spec-add modal submission, and replies in playground
 * threads (follow-up tasks, or the values an answer asked for). Each acknowledges first (Slack drops a request not acked within 3 s), then makes one facade call
 * through the common handler and delivers the Reply (deliver.ts: in the channel, or privately when the bot
 * cannot post there).
 */
import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { toSmolmapError, type Logger } from '../../engine/index.js';
import { handleCommand, type BotDeps, type CommandReply, type Invocation } from '../common/handler.js';
import { parseCommand, type BotCommand } from '../common/grammar.js';
import { actionOf, authorize, mayDo, type Action, type Actor } from '../common/permissions.js';
import { renderError, type Reply } from '../common/render.js';
import { download } from '../common/upload.js';
import { watchTraining } from '../common/watch.js';
import { deliver, editPublic, respondTo, sendPrivately, type Target } from './deliver.js';
import { parseMeta, readSubmission, specAddModal, SPEC_ADD_CALLBACK } from './modal.js';

export interface SlackHandlerOptions {
  deps: BotDeps;
  /** The bot token, also used to download files users upload (they are private to the workspace). */
  token: string;
  logger: Logger;
  /** Minimum ms between two chat.update calls of one progress message (Tier 3: ~50/min). */
  minEditIntervalMs: number;
  pollMs: number;
  /** Aborted when the bot stops: progress watchers end with it. */
  lifetime: AbortSignal;
  /** Background work (progress watchers), awaited by tests and on stop. */
  background: Set<Promise<unknown>>;
}

export const tenantOf = (team: string): string => `slack:${team}`;
const sessionKey = (tenant: string, channel: string, ts: string): string => `${tenant}:${channel}:${ts}`;

/**
 * Asks Slack whether the user is a workspace admin, but only when the command needs it (an ask does when
 * sending calls is on: admins get a *Run* button).
 */
export async function actorFor(
  o: SlackHandlerOptions,
  client: WebClient,
  team: string,
  user: string,
  cmd: BotCommand | Action,
): Promise<Actor> {
  const actor: Actor = { tenant: tenantOf(team), user, admin: false };
  const action =
    typeof cmd === 'string'
      ? cmd
      : cmd.verb === 'ask' && o.deps.execute?.enabled === true
        ? 'run'
        : actionOf(cmd);
  if (action === null || mayDo(o.deps.permissions, actor, action)) return actor;
  const info = await client.users.info({ user });
  const u = info.user;
  return { ...actor, admin: Boolean(u?.is_admin || u?.is_owner || u?.is_primary_owner) };
}

/** Who an answer is shown to: the admin lookup happens only when sending calls is on (admins get *Run*). */
export const answerActor = (
  o: SlackHandlerOptions,
  client: WebClient,
  team: string,
  user: string,
): Promise<Actor> => actorFor(o, client, team, user, { verb: 'ask', task: '' });

function watch(
  o: SlackHandlerOptions,
  client: WebClient,
  channel: string,
  ts: string,
  job: string,
  tenant: string,
): void {
  const edit = (reply: Reply): Promise<void> => editPublic(client, channel, ts, reply);
  const p = watchTraining(o.deps.engine, job, edit, {
    tenant,
    minIntervalMs: o.minEditIntervalMs,
    pollMs: o.pollMs,
    signal: o.lifetime,
    onError: (e) => o.logger.warn({ err: e, job }, 'slack: progress update failed'),
  }).catch((e: unknown) => {
    if (!o.lifetime.aborted) o.logger.error({ err: e, job }, 'slack: watching a training failed');
  });
  o.background.add(p);
  void p.finally(() => o.background.delete(p));
}

/** Runs a command and posts its answer; a failure is shown to the user alone as `code: message`. */
async function answer(
  o: SlackHandlerOptions,
  client: WebClient,
  inv: Invocation,
  cmd: BotCommand,
  to: Target,
): Promise<void> {
  let reply: CommandReply;
  try {
    reply = await handleCommand(o.deps, inv, cmd);
  } catch (e) {
    const err = toSmolmapError(e);
    if (err.code === 'internal') o.logger.error({ err: e }, 'slack: command failed');
    await sendPrivately(client, to, { text: renderError(err.code, err.message) }, o.logger);
    return;
  }
  const ts = await deliver(client, to, reply, o.logger);
  if (ts === undefined) return;
  if (reply.watch !== undefined) watch(o, client, to.channel, ts, reply.watch, inv.actor.tenant);
  if (reply.session)
    o.deps.sessions.set(sessionKey(inv.actor.tenant, to.channel, to.thread ?? ts), reply.session);
}

export function registerSlackHandlers(app: App, o: SlackHandlerOptions): void {
  app.command('/smolmap', async ({ command, ack, client, respond }) => {
    await ack();
    const to: Target = { channel: command.channel_id, user: command.user_id, respond };
    let cmd: BotCommand;
    let actor: Actor;
    try {
      cmd = parseCommand(command.text);
      actor = await actorFor(o, client, command.team_id, command.user_id, cmd);
      if (cmd.verb === 'spec add' && cmd.url === undefined) {
        // A trigger_id lives 3 s, so the form opens before anything slow; permission is checked first.
        authorize(o.deps.permissions, actor, cmd);
        await client.views.open({
          trigger_id: command.trigger_id,
          view: specAddModal({ channel: command.channel_id, responseUrl: command.response_url }),
        });
        return;
      }
    } catch (e) {
      const err = toSmolmapError(e);
      await sendPrivately(client, to, { text: renderError(err.code, err.message) }, o.logger);
      return;
    }
    await answer(o, client, { actor, surface: 'slack' }, cmd, to);
  });

  app.view(SPEC_ADD_CALLBACK, async ({ ack, view, body, client }) => {
    const input = readSubmission(view);
    if ('errors' in input) {
      await ack({ response_action: 'errors', errors: input.errors });
      return;
    }
    await ack();
    const { channel, responseUrl } = parseMeta(view);
    const team = body.team?.id ?? view.team_id;
    const cmd: BotCommand = {
      verb: 'spec add',
      ...(input.name !== undefined && { name: input.name }),
      ...(input.kind === 'url' && { url: input.url }),
    };
    const to: Target = {
      channel,
      user: body.user.id,
      ...(responseUrl !== undefined && { respond: respondTo(responseUrl) }),
    };
    try {
      const actor = await actorFor(o, client, team, body.user.id, cmd);
      const inv: Invocation = { actor, surface: 'slack' };
      if (input.kind === 'paste') inv.upload = input.upload;
      if (input.kind === 'file') {
        o.deps.quota.admit(actor);
        authorize(o.deps.permissions, actor, cmd); // no download for someone who may not upload
        const headers = { Authorization: `Bearer ${o.token}` };
        const bytes = await download(input.url, {
          headers,
          filename: input.filename,
          policy: o.deps.engine.net,
        });
        inv.upload = {
          filename: input.filename,
          bytes,
          ...(input.contentType && { contentType: input.contentType }),
        };
      }
      await answer(o, client, inv, cmd, to);
    } catch (e) {
      const err = toSmolmapError(e);
      await sendPrivately(client, to, { text: renderError(err.code, err.message) }, o.logger);
    }
  });

  // Replies in a thread that an answer started are follow-ups of the same playground session: the values the
  // latest answer asked for while it waits on them (handler.ts), else new tasks.
  app.message(async ({ message, body, client }) => {
    if (message.subtype !== undefined || !('thread_ts' in message) || message.thread_ts === undefined) return;
    if (message.bot_id !== undefined || message.text === undefined) return;
    const team = (body as { team_id?: string }).team_id;
    if (team === undefined) return;
    const tenant = tenantOf(team);
    const key = sessionKey(tenant, message.channel, message.thread_ts);
    if (!o.deps.sessions.has(key)) return;
    const to: Target = { channel: message.channel, user: message.user, thread: message.thread_ts };
    const cmd: BotCommand = { verb: 'ask', task: message.text };
    let actor: Actor;
    try {
      actor = await answerActor(o, client, team, message.user);
    } catch (e) {
      const err = toSmolmapError(e);
      await sendPrivately(client, to, { text: renderError(err.code, err.message) }, o.logger);
      return;
    }
    await answer(o, client, { actor, surface: 'slack', conversation: key }, cmd, to);
  });
}
