/**
 * A cross-process lock file for the store's read-modify-write cycles (`smolmap train` from a shell while
 * `smolmap serve` runs makes two writers of one index).
 *
 * Why our own and not `proper-lockfile`: that library judges staleness by mtime only and needs a heartbeat
 * timer while held, so a slow holder loses its lock; here staleness is the holder's liveness only: a lock whose
 * process is gone on this host is stale at once, and a live holder keeps it however long it takes. The holder
 * record carries the process's start time as well as its pid, so a pid reused by an unrelated process is
 * recognised as dead. The lock is created with link(2), which is
 * atomic (EEXIST if someone holds it) and, unlike open(O_EXCL) followed by a write, never exposes a
 * half-written holder record; it is the classic lock-file idiom that also holds on NFS (open(2), "O_EXCL").
 *
 * Taking over a stale lock is itself serialised by a short-lived `.takeover` file, and removes the lock only if
 * it still holds the very record judged stale, so two waiters that both see a dead holder cannot delete the
 * lock the faster of them has just taken.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';

import { SmolmapError } from '../errors.js';

export interface LockOptions {
  /** Give up with `store_locked` after waiting this long for a live holder. */
  waitMs?: number;
  /** A damaged lock file (no holder record) older than this is stale; a holder record is judged by liveness. */
  staleMs?: number;
}

/** What a lock file holds: enough to tell whether its holder still lives. */
export interface LockHolder {
  pid: number;
  host: string;
  nonce: string;
  acquiredAt: string;
  /** The process's start time as the kernel reports it (Linux: clock ticks after boot), to tell pid reuse. */
  start?: string | null;
}

const DEFAULTS = { waitMs: 15_000, staleMs: 60_000 };
/** A takeover is a read and an unlink; one older than this was abandoned by a process that died inside it. */
const TAKEOVER_STALE_MS = 5_000;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: existence check only
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}

/** Field 22 of /proc/<pid>/stat (after the parenthesised command name), or null where there is no /proc. */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** A holder record for this process. */
export function newHolder(): LockHolder {
  return {
    pid: process.pid,
    host: os.hostname(),
    nonce: randomUUID(),
    acquiredAt: new Date().toISOString(),
    start: processStart(process.pid),
  };
}

/**
 * Whether a holder still runs: `dead` when its pid is gone or now belongs to a process started at another
 * time; `unknown` for a holder on another host (its liveness cannot be seen from here).
 */
export function holderState(h: LockHolder): 'alive' | 'dead' | 'unknown' {
  if (h.host !== os.hostname()) return 'unknown';
  if (!pidAlive(h.pid)) return 'dead';
  const start = h.start ? processStart(h.pid) : null;
  return start !== null && start !== h.start ? 'dead' : 'alive';
}

const code = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

/** A lock file that is not ours or is damaged has no holder; it is then judged by its age alone. */
function parseHolder(text: string): LockHolder | null {
  try {
    const h = JSON.parse(text) as Partial<LockHolder> | null;
    return typeof h === 'object' && h !== null && typeof h.pid === 'number' && typeof h.host === 'string'
      ? (h as LockHolder)
      : null;
  } catch {
    return null;
  }
}

/** The holder record and the lock's age, or null when there is no lock (or it vanished while we looked). */
export async function inspect(file: string): Promise<{ holder: LockHolder | null; ageMs: number } | null> {
  try {
    const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    return { holder: parseHolder(text), ageMs: Date.now() - info.mtimeMs };
  } catch (e) {
    if (code(e) === 'ENOENT') return null;
    throw e;
  }
}

function isStale(seen: { holder: LockHolder | null; ageMs: number }, staleMs: number): boolean {
  return seen.holder === null ? seen.ageMs > staleMs : holderState(seen.holder) === 'dead';
}

/** Creates `file` holding `content`, atomically; false when it already exists. */
export async function createExclusive(file: string, content: string): Promise<boolean> {
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(tmp, content);
  try {
    await link(tmp, file);
    return true;
  } catch (e) {
    if (code(e) === 'EEXIST') return false;
    throw e;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** Removes the lock judged stale; false when another waiter is already taking it over. */
export async function takeOver(file: string, stale: LockHolder | null): Promise<boolean> {
  const guard = `${file}.takeover`;
  if (!(await createExclusive(guard, String(process.pid)))) {
    const g = await stat(guard).catch(() => null);
    if (g && Date.now() - g.mtimeMs > TAKEOVER_STALE_MS) await unlink(guard).catch(() => undefined);
    return false;
  }
  try {
    const now = await inspect(file);
    if (now && (now.holder?.nonce ?? null) === (stale?.nonce ?? null))
      await unlink(file).catch(() => undefined);
    return true;
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

/** Removes our lock, unless it is no longer ours. */
export async function release(file: string, nonce: string): Promise<void> {
  const now = await inspect(file);
  if (now?.holder?.nonce === nonce) await unlink(file).catch(() => undefined);
}

function lockedError(file: string, h: LockHolder | null, waitMs: number): SmolmapError {
  const who = h ? `process ${h.pid} on ${h.host} (holding since ${h.acquiredAt})` : 'another process';
  return new SmolmapError(
    'store_locked',
    `the store is busy: ${who} has held ${file} for over ${waitMs / 1000} s; retry when it finishes, or remove the lock file if no smolmap process is running`,
    { details: { file, holder: h ?? null } },
  );
}

/**
 * Runs `fn` while holding the lock file `file`: waits (polling with jitter) for a live holder up to
 * `waitMs`, takes over a stale one, and always releases. The lock's folder must exist.
 */
export async function withLockFile<T>(
  file: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const waitMs = options.waitMs ?? DEFAULTS.waitMs;
  const staleMs = options.staleMs ?? DEFAULTS.staleMs;
  const holder = newHolder();
  const deadline = Date.now() + waitMs;
  let pause = 2;
  for (;;) {
    holder.acquiredAt = new Date().toISOString();
    if (await createExclusive(file, JSON.stringify(holder))) break;
    const seen = await inspect(file);
    if (!seen) continue; // released while we looked
    if (isStale(seen, staleMs) && (await takeOver(file, seen.holder))) continue;
    if (Date.now() >= deadline) throw lockedError(file, seen.holder, waitMs);
    await new Promise((r) => setTimeout(r, pause * (0.5 + Math.random())));
    pause = Math.min(pause * 2, 50);
  }
  try {
    return await fn();
  } finally {
    await release(file, holder.nonce);
  }
}
