/**
 * History retention: asks recorded for a tenant are dropped once older than the operator's limit, so a chat
 * workspace's questions are not kept forever. Sessions stay (a playground thread may continue).
 */
import type { Engine } from '../engine.js';
import { ownedBy } from '../tenant.js';

export interface PruneOptions {
  /** Only this tenant's asks (default `local`). */
  tenant?: string;
  /** Asks recorded before this moment are removed. */
  before: Date;
}

/** Removes old asks; returns how many went. Writes nothing when none is old enough. */
export async function pruneHistory(engine: Engine, options: PruneOptions): Promise<{ removed: number }> {
  const cutoff = options.before.toISOString();
  const old = (q: { tenant?: string; createdAt: string }) =>
    ownedBy(q, options.tenant) && q.createdAt < cutoff;
  if (!(await engine.store.read()).queries.some(old)) return { removed: 0 };
  return engine.store.update((data) => {
    const before = data.queries.length;
    data.queries = data.queries.filter((q) => !old(q));
    return { removed: before - data.queries.length };
  });
}
