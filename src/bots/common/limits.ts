/**
 * What a chat bot serves and how much: which workspaces/guilds (an allowlist, or an explicit open mode), how
 * many asks one user may send a minute, how long a task may be, and how long asks are kept. The defaults are
 * closed: a bot added to a workspace nobody listed answers only with how to list it.
 */
import { SmolmapError, pruneHistory, type Engine } from '../../engine/index.js';
import type { Actor } from './permissions.js';

export interface BotLimits {
  /** Tenants served (`slack:T…`, `discord:<guild id>`), or 'open' for every workspace and guild. */
  tenants: readonly string[] | 'open';
  /** Asks one user may send per minute, per workspace. */
  asksPerMinute: number;
  /** Longest task, in characters. */
  maxTaskChars: number;
  /** Days an ask stays in history; 0 keeps them all. */
  historyDays: number;
}

export const DEFAULT_LIMITS: BotLimits = {
  tenants: [],
  asksPerMinute: 10,
  maxTaskChars: 500,
  historyDays: 30,
};

const WINDOW_MS = 60_000;
/** Rate windows kept in memory before idle ones are dropped. */
const MAX_TRACKED = 10_000;
const PRUNE_EVERY_MS = 60 * 60_000;

function count(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min)
    throw new SmolmapError('bot_bad_config', `${name}="${raw}" is not a whole number of at least ${min}`);
  return n;
}

/**
 * `SMOLMAP_BOT_TENANTS` (comma list of `slack:T…` / `discord:<guild id>`, or `*` for all),
 * `SMOLMAP_BOT_ASKS_PER_MINUTE`, `SMOLMAP_BOT_TASK_MAX_CHARS`, `SMOLMAP_BOT_HISTORY_DAYS`.
 */
export function limitsFromEnv(env: NodeJS.ProcessEnv = process.env): BotLimits {
  const listed = (env['SMOLMAP_BOT_TENANTS'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const bad = listed.filter((t) => t !== '*' && !/^(slack|discord):[\w-]+$/.test(t));
  if (bad.length > 0)
    throw new SmolmapError(
      'bot_bad_config',
      `SMOLMAP_BOT_TENANTS has ${bad.join(', ')}; list tenants as slack:<team id> or discord:<guild id>, or * for all`,
    );
  return {
    tenants: listed.includes('*') ? 'open' : listed,
    asksPerMinute: count(env, 'SMOLMAP_BOT_ASKS_PER_MINUTE', DEFAULT_LIMITS.asksPerMinute, 1),
    maxTaskChars: count(env, 'SMOLMAP_BOT_TASK_MAX_CHARS', DEFAULT_LIMITS.maxTaskChars, 1),
    historyDays: count(env, 'SMOLMAP_BOT_HISTORY_DAYS', DEFAULT_LIMITS.historyDays, 0),
  };
}

export interface BotQuota {
  readonly limits: BotLimits;
  /** Throws `bot_tenant_not_allowed` for a workspace/guild the operator did not list. */
  admit(actor: Actor): void;
  /** Checks the task length and takes one ask from the user's minute; throws when either is over. */
  takeAsk(actor: Actor, task: string, now?: number): void;
  /** Drops the tenant's asks older than the retention (at most hourly per tenant). */
  retain(engine: Engine, tenant: string, now?: number): Promise<void>;
}

export function createQuota(limits: BotLimits): BotQuota {
  const recent = new Map<string, number[]>();
  const pruned = new Map<string, number>();
  const forget = (now: number) => {
    for (const [key, times] of recent) if ((times.at(-1) ?? 0) <= now - WINDOW_MS) recent.delete(key);
    // Still full of active users: drop the oldest windows rather than grow without bound.
    for (const key of recent.keys()) {
      if (recent.size <= MAX_TRACKED) break;
      recent.delete(key);
    }
  };
  return {
    limits,
    admit(actor) {
      if (limits.tenants === 'open' || limits.tenants.includes(actor.tenant)) return;
      throw new SmolmapError(
        'bot_tenant_not_allowed',
        `this workspace (${actor.tenant}) is not served here; the smolmap operator can add ${actor.tenant} ` +
          'to SMOLMAP_BOT_TENANTS (or set it to * to serve every workspace)',
        { details: { tenant: actor.tenant } },
      );
    },
    takeAsk(actor, task, now = Date.now()) {
      if (task.length > limits.maxTaskChars)
        throw new SmolmapError(
          'bot_task_too_long',
          `the task is ${task.length} characters; ask in at most ${limits.maxTaskChars} (one request per ask)`,
          { details: { length: task.length, max: limits.maxTaskChars } },
        );
      const key = `${actor.tenant}\u0000${actor.user}`;
      const times = (recent.get(key) ?? []).filter((t) => t > now - WINDOW_MS);
      if (times.length >= limits.asksPerMinute) {
        const wait = Math.ceil((times[0]! + WINDOW_MS - now) / 1000);
        throw new SmolmapError(
          'bot_rate_limited',
          `you have sent ${limits.asksPerMinute} asks in the last minute; try again in ${wait} s`,
          { details: { retryAfterSeconds: wait } },
        );
      }
      times.push(now);
      recent.delete(key);
      recent.set(key, times);
      if (recent.size > MAX_TRACKED) forget(now);
    },
    async retain(engine, tenant, now = Date.now()) {
      if (limits.historyDays === 0 || (pruned.get(tenant) ?? 0) > now - PRUNE_EVERY_MS) return;
      pruned.set(tenant, now);
      await pruneHistory(engine, { tenant, before: new Date(now - limits.historyDays * 86_400_000) });
    },
  };
}
