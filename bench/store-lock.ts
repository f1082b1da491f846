/**
 * The store's cross-process lock (store/lock.ts): what one read-modify-write costs with the lock around it, what
 * taking and releasing the lock alone costs, and throughput when two writers contend for one data directory
 * (two store instances in this process: the same lock-file protocol as two processes, minus process start-up).
 * Prints figures only; run with `npx tsx bench/store-lock.ts [updates=300]`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { openStore, STORE_LOCK_FILE } from '../src/engine/store.js';
import { withLockFile } from '../src/engine/store/lock.js';

const n = Number(process.argv[2] ?? 300);
const load = () => os.loadavg()[0]!.toFixed(1);
const session = (id: string) => ({
  id,
  surface: 'cli' as const,
  externalId: null,
  user: null,
  spec: null,
  model: null,
  createdAt: '',
  lastActiveAt: '',
});

async function timed(label: string, count: number, run: () => Promise<void>): Promise<void> {
  const t0 = performance.now();
  await run();
  const ms = performance.now() - t0;
  console.log(
    `${label}: ${(ms / count).toFixed(2)} ms each, ${((count / ms) * 1000).toFixed(0)}/s (load ${load()})`,
  );
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'smolmap-bench-lock-'));
try {
  const lock = path.join(dir, STORE_LOCK_FILE);
  await timed(`lock + release alone (${n}x)`, n, async () => {
    for (let i = 0; i < n; i++) await withLockFile(lock, async () => undefined);
  });
  const store = openStore(dir);
  await timed(`store.update, one writer (${n}x, index grows to ${n} records)`, n, async () => {
    for (let i = 0; i < n; i++) await store.update((d) => void d.sessions.push(session(`s${i}`)));
  });
  const [a, b] = [openStore(dir), openStore(dir)];
  const writer = async (s: typeof a, p: string) => {
    for (let i = 0; i < n / 2; i++) await s.update((d) => void d.sessions.push(session(`${p}${i}`)));
  };
  await timed(`store.update, two contending writers (${n} in all)`, n, async () => {
    await Promise.all([writer(a, 'a'), writer(b, 'b')]);
  });
  const total = (await store.read()).sessions.length;
  console.log(`records: ${total} (expected ${2 * n})`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
