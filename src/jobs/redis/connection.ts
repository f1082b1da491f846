/**
 * What the coordinator and its workers agree on: the Redis connection (from a `redis://` URL), the BullMQ
 * queue name, what a queued job carries, and the worker token check.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RedisOptions } from 'bullmq';

import { SmolmapError } from '../../engine/index.js';

export const TRAIN_QUEUE = 'smolmap-train';

/** A queued BullMQ job carries only the store's job id: everything else comes from the coordinator. */
export interface QueuedTrainJob {
  job: string;
}

export function redisOptions(url: string): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch (e) {
    throw new SmolmapError('queue_bad_setting', `"${url}" is not a URL; use redis://host:6379`, { cause: e });
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new SmolmapError('queue_bad_setting', `"${url}" is not a redis:// URL; use redis://host:6379`);
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db))
    throw new SmolmapError(
      'queue_bad_setting',
      `the database in "${url}" must be a number, e.g. redis://host:6379/0`,
    );
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port === '' ? 6379 : Number(u.port),
    ...(u.username !== '' ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password !== '' ? { password: decodeURIComponent(u.password) } : {}),
    ...(db !== '' ? { db: Number(db) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    // BullMQ workers block on Redis; they must retry forever rather than fail a command.
    maxRetriesPerRequest: null,
  };
}

/** Shortest worker token accepted: long enough that guessing it over the network is hopeless. */
export const MIN_TOKEN_LENGTH = 24;

export function checkTokenStrength(token: string | undefined, where: string): string {
  if (token === undefined || token.length < MIN_TOKEN_LENGTH)
    throw new SmolmapError(
      'worker_token_missing',
      `${where} needs a worker token of at least ${MIN_TOKEN_LENGTH} characters: set $SMOLMAP_WORKER_TOKEN (e.g. \`openssl rand -hex 32\`) to the same value on the coordinator and every worker`,
    );
  return token;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time comparison (of fixed-length digests, so the length of the secret does not leak either). */
export function tokenMatches(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** Waits for a BullMQ connection, failing with a clear message when Redis does not answer in time. */
export async function reachRedis(ready: Promise<unknown>, url: string, ms = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new SmolmapError(
            'queue_unreachable',
            `Redis at ${url} did not answer within ${ms / 1000} s; start redis-server there or fix --queue / $SMOLMAP_QUEUE`,
          ),
        ),
      ms,
    );
  });
  try {
    await Promise.race([ready, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
