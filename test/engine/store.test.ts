import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore, STORE_FILE, STORE_SCHEMA_VERSION } from '../../src/engine/store.js';

const tmp = () => mkdtemp(path.join(os.tmpdir(), 'smolmap-store-'));

describe('store', () => {
  it('does not touch the disk before the first change', async () => {
    const dir = path.join(await tmp(), 'data');
    const store = openStore(dir);
    const data = await store.read();
    expect(data.specs).toEqual([]);
    await expect(readdir(dir)).rejects.toThrow(/ENOENT/);
  });

  it('serialises concurrent updates through one queue (no lost writes)', async () => {
    const dir = await tmp();
    const store = openStore(dir);
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        store.update(async (d) => {
          await new Promise((r) => setTimeout(r, i % 3));
          d.jobs.push({
            id: `j${i}`,
            kind: 'train',
            status: 'queued',
            options: {},
            progress: null,
            error: null,
            checkpoint: null,
            result: null,
            createdAt: '',
            startedAt: null,
            finishedAt: null,
            updatedAt: '',
          });
        }),
      ),
    );
    const again = openStore(dir);
    expect((await again.read()).jobs.map((j) => j.id).sort()).toHaveLength(25);
    const raw = JSON.parse(await readFile(path.join(dir, STORE_FILE), 'utf8'));
    expect(raw.schemaVersion).toBe(STORE_SCHEMA_VERSION);
    // steno's temp file was renamed over the index, not left behind
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('writes nothing when a change throws', async () => {
    const dir = await tmp();
    const store = openStore(dir);
    await store.update((d) => void d.sessions.push(session('a')));
    const before = await readFile(path.join(dir, STORE_FILE));
    await expect(
      store.update((d) => {
        d.sessions.push(session('b'));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await readFile(path.join(dir, STORE_FILE))).toEqual(before);
    // the queue keeps working after a failed change
    await store.update((d) => void d.sessions.push(session('c')));
    expect((await store.read()).sessions.map((s) => s.id)).toEqual(['a', 'c']);
  });

  it('sees changes made by another process (re-reads before each change)', async () => {
    const dir = await tmp();
    const a = openStore(dir);
    const b = openStore(dir);
    await a.update((d) => void d.sessions.push(session('from-a')));
    await b.update((d) => void d.sessions.push(session('from-b')));
    expect((await a.read()).sessions.map((s) => s.id)).toEqual(['from-a', 'from-b']);
  });

  it('refuses corrupt and newer stores with coded errors', async () => {
    const dir = await tmp();
    await writeFile(path.join(dir, STORE_FILE), '{ not json');
    await expect(openStore(dir).read()).rejects.toMatchObject({ code: 'store_corrupt' });
    await writeFile(path.join(dir, STORE_FILE), JSON.stringify({ schemaVersion: STORE_SCHEMA_VERSION + 1 }));
    await expect(openStore(dir).read()).rejects.toMatchObject({ code: 'store_too_new' });
    await writeFile(path.join(dir, STORE_FILE), JSON.stringify({ specs: [] }));
    await expect(openStore(dir).read()).rejects.toMatchObject({ code: 'store_corrupt' });
  });

  it('keeps payload files by path + sha256 and notices outside edits', async () => {
    const dir = await tmp();
    const store = openStore(dir);
    const ref = await store.writeFile('specs/x/1/document.yaml', 'openapi: 3.1.0\n');
    expect(ref).toEqual({
      path: 'specs/x/1/document.yaml',
      // sha256sum of the same bytes
      sha256: 'f39db8e8ede3dc2457c613e2a304e6d478f6e5ec660e4746464f41e76ac77006',
      bytes: 15,
    });
    expect((await store.readFile(ref)).toString()).toBe('openapi: 3.1.0\n');
    await writeFile(path.join(dir, ref.path), 'changed');
    await expect(store.readFile(ref)).rejects.toMatchObject({ code: 'store_file_changed' });
    expect(() => store.resolve('../outside')).toThrow(/leaves the data directory/);
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
