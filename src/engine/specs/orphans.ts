/**
 * Spec versions are written into a staging folder (`specs/.staging/<pid>-<id>`) and renamed into place while
 * the store lock is held, in the same index update that records them; a crash can then leave only a staging
 * folder, or a version folder the index never recorded (killed between the rename and the index write, or
 * between a removal's index write and its files). `sweepSpecOrphans` removes both: staging folders whose
 * writer is dead, and version folders no record points at (under the store lock, so no writer is mid-way).
 */
import { readdir, rmdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import type { Engine } from '../engine.js';
import { holderState } from '../store/lock.js';
import type { StoreData } from '../store.js';

export const STAGING_DIR = 'specs/.staging';

/** A staging folder name that says which process writes it. */
export const stagingName = (id: string): string => `${process.pid}@${os.hostname()}-${id}`;

function writerDead(name: string): boolean {
  const m = /^(\d+)@(.+)-[^-]+$/.exec(name);
  if (!m) return true;
  return holderState({ pid: Number(m[1]), host: m[2]!, nonce: '', acquiredAt: '' }) === 'dead';
}

async function subdirs(abs: string): Promise<string[]> {
  const entries = await readdir(abs, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => e.name);
}

/** Version folders (`specs/<name>/<n>`, `specs/@<tenant>/<name>/<n>`) on disk, as store-relative paths. */
async function versionDirs(engine: Engine): Promise<string[]> {
  const specs = engine.store.resolve('specs');
  const out: string[] = [];
  for (const top of await subdirs(specs)) {
    if (top === '.staging') continue;
    const names = top.startsWith('@')
      ? (await subdirs(path.join(specs, top))).map((n) => `${top}/${n}`)
      : [top];
    for (const name of names)
      for (const v of await subdirs(path.join(specs, name)))
        if (/^\d+$/.test(v)) out.push(`specs/${name}/${v}`);
  }
  return out;
}

function indexedDirs(data: StoreData): Set<string> {
  return new Set(data.specs.flatMap((s) => s.versions.map((v) => path.posix.dirname(v.catalog.path))));
}

/** Removes what interrupted spec writes and removals left; returns the store-relative paths removed. */
export async function sweepSpecOrphans(engine: Engine): Promise<string[]> {
  const staging = (await subdirs(engine.store.resolve(STAGING_DIR)))
    .filter(writerDead)
    .map((n) => `${STAGING_DIR}/${n}`);
  const known = indexedDirs(await engine.store.read());
  const unindexed = (await versionDirs(engine)).filter((d) => !known.has(d));
  if (staging.length === 0 && unindexed.length === 0) return [];
  const removed = [...staging];
  for (const dir of staging) await engine.store.remove(dir);
  await engine.store.update(async (data) => {
    const known = indexedDirs(data);
    for (const dir of await versionDirs(engine)) {
      if (known.has(dir)) continue;
      await engine.store.remove(dir);
      await rmdir(engine.store.resolve(path.posix.dirname(dir))).catch(() => undefined); // when now empty
      removed.push(dir);
    }
  });
  return removed;
}
