/**
 * The store's cross-process lock: two real processes writing concurrently lose nothing; a lock left by a dead
 * process is taken over; a live holder makes a writer wait, then fail with `store_locked`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

import { openStore, STORE_FILE, STORE_LOCK_FILE } from '../../../src/engine/store.js';
import { processStart, withLockFile } from '../../../src/engine/store/lock.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dirs: string[] = [];
const tmp = async () => {
  const d = await mkdtemp(path.join(os.tmpdir(), 'smolmap-lock-'));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function runWriter(dataDir: string, prefix: string, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(here, 'store-writer.ts'), dataDir, prefix, String(count)],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`writer ${prefix} exited ${code}: ${err}`)),
    );
  });
}

/** A pid that belonged to a process which has exited. */
function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', '']);
    child.on('error', reject);
    child.on('exit', () => resolve(child.pid!));
  });
}

const holder = (pid: number, nonce: string) =>
  JSON.stringify({ pid, host: os.hostname(), nonce, acquiredAt: new Date().toISOString() });

describe('store lock', () => {
  it('two processes writing 50 records each concurrently: all 100 land', async () => {
    const dir = await tmp();
    await Promise.all([runWriter(dir, 'a', 50), runWriter(dir, 'b', 50)]);
    const ids = (await openStore(dir).read()).sessions.map((s) => s.id);
    expect(new Set(ids).size).toBe(100);
    expect(ids.filter((id) => id.startsWith('a-'))).toHaveLength(50);
    // no lock, takeover guard or temp file left behind
    expect((await readdir(dir)).sort()).toEqual([STORE_FILE]);
  }, 60_000);

  it('takes over a lock left by a dead process', async () => {
    const dir = await tmp();
    await writeFile(path.join(dir, STORE_LOCK_FILE), holder(await deadPid(), 'dead'));
    const store = openStore(dir, { lock: { waitMs: 2_000 } });
    await store.update((d) => void d.sessions.push(session('x')));
    expect((await readdir(dir)).sort()).toEqual([STORE_FILE]);
  });

  it('writers racing to take over one dead lock all get in, one at a time, losing nothing', async () => {
    const dir = await tmp();
    await writeFile(path.join(dir, STORE_LOCK_FILE), holder(await deadPid(), 'dead'));
    const stores = [openStore(dir), openStore(dir), openStore(dir)];
    await Promise.all(
      stores.map((s, k) =>
        Promise.all(
          Array.from({ length: 10 }, (_, i) => s.update((d) => void d.sessions.push(session(`${k}-${i}`)))),
        ),
      ),
    );
    expect(new Set((await stores[0]!.read()).sessions.map((x) => x.id)).size).toBe(30);
    expect((await readdir(dir)).sort()).toEqual([STORE_FILE]);
  });

  it('judges a damaged lock file by its age: waits while fresh, takes it over once old', async () => {
    const dir = await tmp();
    const lock = path.join(dir, STORE_LOCK_FILE);
    await writeFile(lock, '');
    const store = openStore(dir, { lock: { waitMs: 200, staleMs: 60_000 } });
    await expect(store.update(() => undefined)).rejects.toMatchObject({
      code: 'store_locked',
      details: { holder: null },
    });
    const old = new Date(Date.now() - 120_000);
    await utimes(lock, old, old);
    await store.update((d) => void d.sessions.push(session('x')));
    expect((await store.read()).sessions).toHaveLength(1);
  });

  it("keeps an old lock whose holder lives: staleness is the holder's liveness, not its age", async () => {
    const dir = await tmp();
    const lock = path.join(dir, STORE_LOCK_FILE);
    await writeFile(
      lock,
      JSON.stringify({ ...JSON.parse(holder(process.pid, 'slow')), start: processStart(process.pid) }),
    );
    const old = new Date(Date.now() - 120_000);
    await utimes(lock, old, old);
    const store = openStore(dir, { lock: { waitMs: 300, staleMs: 60_000 } });
    await expect(store.update(() => undefined)).rejects.toMatchObject({ code: 'store_locked' });
    expect(await readFile(lock, 'utf8')).toContain('"slow"');
  });

  it('takes over at once a lock whose pid now belongs to a process started at another time', async () => {
    const dir = await tmp();
    const lock = path.join(dir, STORE_LOCK_FILE);
    await writeFile(lock, JSON.stringify({ ...JSON.parse(holder(process.pid, 'reused')), start: '1' }));
    await openStore(dir, { lock: { waitMs: 2_000 } }).update(() => undefined);
    await expect(stat(lock)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('waits for a live holder, then fails with store_locked and changes nothing', async () => {
    const dir = await tmp();
    const store = openStore(dir, { lock: { waitMs: 300 } });
    await store.update((d) => void d.sessions.push(session('x')));
    const before = await readFile(path.join(dir, STORE_FILE));
    const lock = path.join(dir, STORE_LOCK_FILE);
    await writeFile(lock, holder(process.pid, 'live'));
    const started = Date.now();
    const err = await store.update((d) => void d.sessions.push(session('x'))).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'store_locked', details: { holder: { pid: process.pid } } });
    expect((err as Error).message).toMatch(/remove the lock file/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(await readFile(path.join(dir, STORE_FILE))).toEqual(before);
    expect(await readFile(lock, 'utf8')).toContain('"live"'); // a live holder's lock is left alone
  });

  it("writers wait for the holder and get in once it releases, each seeing the others' records", async () => {
    const dir = await tmp();
    const [a, b] = [openStore(dir), openStore(dir)];
    let release!: () => void;
    const held = withLockFile(path.join(dir, STORE_LOCK_FILE), () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 20));
    const writes = [
      a.update((d) => void d.sessions.push(session('a'))),
      b.update((d) => void d.sessions.push(session('b'))),
    ];
    await new Promise((r) => setTimeout(r, 100));
    expect((await a.read()).sessions).toEqual([]); // nobody got past the holder
    release();
    await Promise.all([held, ...writes]);
    expect((await a.read()).sessions.map((s) => s.id).sort()).toEqual(['a', 'b']);
  });

  it('a failed first change leaves no data directory behind', async () => {
    const root = path.join(await tmp(), 'nested', 'data');
    await expect(
      openStore(root).update(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(stat(path.dirname(root))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

function session(id: string) {
  return {
    id,
    surface: 'cli' as const,
    externalId: null,
    user: null,
    spec: null,
    model: null,
    createdAt: '',
    lastActiveAt: '',
  };
}
