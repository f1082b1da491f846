/**
 * Store change notices shared by every MCP session of a process. A tool that changes specs or models
 * announces it at once; a poll of the store catches changes made elsewhere (a CLI call, a training job
 * finishing in its worker) so clients still get `notifications/resources/list_changed`.
 */
import { EventEmitter } from 'node:events';
import { createHash } from 'node:crypto';
import { ownedBy, type Engine } from '../engine/index.js';
import type { ChangeKind } from './tool.js';

export interface ChangeHub {
  emit(kind: ChangeKind): void;
  /** Returns the unsubscribe function. */
  on(listener: (kind: ChangeKind) => void): () => void;
  /** Stops the store poll, if one runs. */
  close(): void;
  /** Subscribed listeners: one per live server instance. */
  listeners(): number;
}

/**
 * A fingerprint per kind: only what a resource list of the tenant shows (names, versions, statuses), so
 * another tenant's changes send no notice.
 */
async function fingerprints(engine: Engine, tenant: string | undefined): Promise<Record<ChangeKind, string>> {
  const data = await engine.store.read();
  const mine = <T extends { tenant?: string }>(rs: T[]): T[] => rs.filter((r) => ownedBy(r, tenant));
  const hash = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex');
  return {
    specs: hash(mine(data.specs).map((s) => [s.name, s.versions.map((v) => v.version)])),
    models: hash(mine(data.models).map((m) => [m.id, m.status, m.active])),
    jobs: hash(mine(data.jobs).map((j) => [j.id, j.status])),
  };
}

/**
 * Creates the hub; with `pollMs` it also compares store fingerprints on that interval and emits what changed.
 * The timer is unref'd so it never keeps a finished process alive.
 */
export function createChangeHub(engine: Engine, pollMs?: number, tenant?: string): ChangeHub {
  const events = new EventEmitter();
  events.setMaxListeners(0);
  let last: Record<ChangeKind, string> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let polling = false;
  const poll = async () => {
    if (polling) return;
    polling = true;
    try {
      const now = await fingerprints(engine, tenant);
      if (last)
        for (const kind of Object.keys(now) as ChangeKind[])
          if (now[kind] !== last[kind]) events.emit('change', kind);
      last = now;
    } catch (e) {
      engine.logger.warn({ err: e }, 'mcp: store poll failed');
    } finally {
      polling = false;
    }
  };
  if (pollMs !== undefined) {
    void poll();
    timer = setInterval(() => void poll(), pollMs);
    timer.unref();
  }
  return {
    emit(kind) {
      events.emit('change', kind);
    },
    on(listener) {
      events.on('change', listener);
      return () => events.off('change', listener);
    },
    close() {
      if (timer) clearInterval(timer);
      timer = null;
    },
    listeners: () => events.listenerCount('change'),
  };
}
