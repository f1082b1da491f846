/**
 * Who may change a workspace's smolmap: by default workspace/guild admins plus an allowlist; everyone may read
 * and ask. Which actions are open to everyone is configurable.
 */
import { SmolmapError } from '../../engine/index.js';
import type { BotCommand } from './grammar.js';

/** `run` sends answered calls to their API (the *Run* button, when the operator enabled sending). */
export const ACTIONS = ['upload', 'train', 'activate', 'delete', 'run'] as const;
export type Action = (typeof ACTIONS)[number];

export interface Permissions {
  /** Actions anyone in the workspace/guild may take; the rest need an admin or an allowlisted user. */
  everyone: Action[];
  /** Platform user ids (Slack `U…`, Discord snowflakes) treated like admins. */
  allow: string[];
}

/** Who sent a command, and where from. */
export interface Actor {
  /** `slack:<team_id>` or `discord:<guild_id>`: every record the bot touches is scoped by it. */
  tenant: string;
  user: string;
  /** Workspace admin/owner (Slack) or Administrator/Manage Server (Discord). */
  admin: boolean;
}

export const DEFAULT_PERMISSIONS: Permissions = { everyone: [], allow: [] };

const list = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/**
 * `SMOLMAP_BOT_ALLOW=U123,4567…` (allowlisted users) and `SMOLMAP_BOT_EVERYONE=upload,train` (actions open to
 * all). An unknown action is an error: a typo must not silently leave the bot locked or open.
 */
export function permissionsFromEnv(env: NodeJS.ProcessEnv = process.env): Permissions {
  const everyone = list(env['SMOLMAP_BOT_EVERYONE']);
  const bad = everyone.filter((a) => !(ACTIONS as readonly string[]).includes(a));
  if (bad.length > 0)
    throw new SmolmapError(
      'bot_bad_config',
      `SMOLMAP_BOT_EVERYONE has unknown action(s) ${bad.join(', ')}; use a comma list of ${ACTIONS.join(', ')}`,
    );
  return { everyone: everyone as Action[], allow: list(env['SMOLMAP_BOT_ALLOW']) };
}

/** The action a command needs, or null when anyone may run it. */
export function actionOf(cmd: BotCommand): Action | null {
  switch (cmd.verb) {
    case 'spec add':
      return 'upload';
    case 'spec rm':
      return 'delete';
    case 'train':
    case 'stop':
      return 'train';
    case 'activate':
      return 'activate';
    default:
      return null;
  }
}

export function mayDo(p: Permissions, actor: Actor, action: Action): boolean {
  return actor.admin || p.allow.includes(actor.user) || p.everyone.includes(action);
}

/** Middleware-style check: throws `bot_forbidden` with what to ask for. */
export function authorize(p: Permissions, actor: Actor, cmd: BotCommand): void {
  const action = actionOf(cmd);
  if (action !== null) authorizeAction(p, actor, action);
}

export function authorizeAction(p: Permissions, actor: Actor, action: Action): void {
  if (mayDo(p, actor, action)) return;
  throw new SmolmapError(
    'bot_forbidden',
    `only admins and allowlisted users may ${action} here; ask an admin to add you to SMOLMAP_BOT_ALLOW ` +
      `or to open "${action}" to everyone with SMOLMAP_BOT_EVERYONE`,
    { details: { action, user: actor.user } },
  );
}
