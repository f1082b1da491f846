/**
 * The embedded store: one lowdb JSON index (`<dataDir>/smolmap.json`) plus payload files beside it.
 * Writes go through one queue per process as read-modify-write cycles, each under a cross-process lock file
 * (`smolmap.json.lock`, store/lock.ts) and each re-reading the index inside the lock, so a change made by
 * another process (a CLI call while `serve` runs) is never lost. lowdb's writer (steno) writes a
 * temp file and renames it over the index, so readers see the old or the new file, never half of one.
 * Nothing touches the disk until the first write: a failed command leaves a data directory as it was.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import { SmolmapError } from './errors.js';
import { withLockFile, type LockOptions } from './store/lock.js';
import { assignLocalTenant } from './tenant.js';
import { emptyStoreData, STORE_SCHEMA_VERSION, type FileRef, type StoreData } from './store/records.js';

export {
  emptyStoreData,
  STORE_SCHEMA_VERSION,
  type BaseModelRecord,
  type DatasetRecord,
  type DatasetStats,
  type EvalMetrics,
  type FileRef,
  type JobKind,
  type JobProgress,
  type JobRecord,
  type JobStatus,
  type LoraSettings,
  type LossPoint,
  type ModelRecord,
  type ModelStatus,
  type QueryRecord,
  type CorrectionRecord,
  type SessionRecord,
  type SpecRecord,
  type SpecRef,
  type SpecVersionRecord,
  type StoreData,
  type Surface,
} from './store/records.js';

export const STORE_FILE = 'smolmap.json';
/** The cross-process lock held around every read-modify-write of the index. */
export const STORE_LOCK_FILE = `${STORE_FILE}.lock`;

/**
 * Upgrades from schema version N to N+1, keyed by N. Add one here whenever StoreData changes shape, and bump
 * STORE_SCHEMA_VERSION; stores written by older smolmaps are then migrated when read.
 */
const MIGRATIONS: Record<number, (data: Record<string, unknown>) => Record<string, unknown>> = {};

export interface Store {
  readonly dataDir: string;
  /** Absolute path of the index file. */
  readonly file: string;
  /** The current data, re-read from disk. Treat it as read-only; change data through `update`. */
  read(): Promise<StoreData>;
  /**
   * Queued read-modify-write: `change` edits a fresh copy; when it returns, the copy replaces the index
   * atomically. When it throws, nothing is written and the error propagates.
   */
  update<T>(change: (data: StoreData) => T | Promise<T>): Promise<T>;
  /** Writes a payload file (atomically) under the data directory and returns its reference. */
  writeFile(relPath: string, content: Uint8Array | string): Promise<FileRef>;
  /** Reads a payload file back, checking its sha256. */
  readFile(ref: FileRef): Promise<Buffer>;
  /** Removes a payload file or folder (missing is fine). */
  remove(relPath: string): Promise<void>;
  /** Absolute path of a relative store path, refusing paths that leave the data directory. */
  resolve(relPath: string): string;
}

export function sha256(content: Uint8Array | string): string {
  return createHash('sha256').update(content).digest('hex');
}

function migrate(raw: unknown, file: string): StoreData {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new SmolmapError('store_corrupt', `${file} is not a smolmap store; move it away or fix it`);
  let data = raw as Record<string, unknown>;
  const declared = data['schemaVersion'];
  if (typeof declared !== 'number')
    throw new SmolmapError('store_corrupt', `${file} has no schemaVersion; move it away or fix it`);
  let version = declared;
  if (version > STORE_SCHEMA_VERSION)
    throw new SmolmapError(
      'store_too_new',
      `${file} was written by a newer smolmap (store schema ${version}, this one reads ${STORE_SCHEMA_VERSION}); upgrade smolmap`,
    );
  while (version < STORE_SCHEMA_VERSION) {
    const step = MIGRATIONS[version];
    if (!step) throw new SmolmapError('store_corrupt', `${file}: no migration from store schema ${version}`);
    data = step(data);
    version = data['schemaVersion'] as number;
  }
  // Collections added without a schema change start empty; records stored without a tenant are `local`'s.
  const full = { ...emptyStoreData(), ...data } as StoreData;
  assignLocalTenant(full);
  return full;
}

/** Removes `dir` and its parents up to `top` while they are empty (never anything with content). */
async function removeEmptyDirs(dir: string, top: string): Promise<void> {
  for (let d = dir; d.startsWith(top); d = path.dirname(d)) {
    if (
      !(await rmdir(d).then(
        () => true,
        () => false,
      )) ||
      d === top
    )
      return;
  }
}

export interface StoreOptions {
  /** How long to wait for another process's write, and when its lock counts as abandoned. */
  lock?: LockOptions;
}

export function openStore(dataDir: string, options: StoreOptions = {}): Store {
  const root = path.resolve(dataDir);
  const file = path.join(root, STORE_FILE);
  const db = new Low<StoreData | null>(new JSONFile<StoreData | null>(file), null);
  let queue: Promise<unknown> = Promise.resolve();

  async function load(): Promise<StoreData> {
    try {
      await db.read();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new SmolmapError(
        'store_corrupt',
        code
          ? `cannot read ${file} (${code}); check the --data-dir and its permissions`
          : `${file} is not valid JSON (${(e as Error).message}); restore it or move it away`,
        { cause: e },
      );
    }
    return db.data === null ? emptyStoreData() : migrate(db.data, file);
  }

  function resolve(relPath: string): string {
    const abs = path.resolve(root, relPath);
    if (abs !== root && !abs.startsWith(root + path.sep))
      throw new SmolmapError('internal', `internal: store path ${relPath} leaves the data directory`);
    return abs;
  }

  return {
    dataDir: root,
    file,
    read: load,
    update<T>(change: (data: StoreData) => T | Promise<T>): Promise<T> {
      const cycle = async (): Promise<T> => {
        const draft = structuredClone(await load());
        const result = await change(draft);
        db.data = draft;
        await db.write();
        return result;
      };
      const run = async (): Promise<T> => {
        // The lock lives in the data directory, so it must exist first; a failed first change removes it
        // again (a failed command leaves no trace).
        const created = await mkdir(root, { recursive: true });
        try {
          return await withLockFile(path.join(root, STORE_LOCK_FILE), cycle, options.lock);
        } catch (e) {
          if (created !== undefined) await removeEmptyDirs(root, created);
          throw e;
        }
      };
      const next = queue.then(run, run);
      queue = next.catch(() => undefined);
      return next;
    },
    async writeFile(relPath, content) {
      const abs = resolve(relPath);
      await mkdir(path.dirname(abs), { recursive: true });
      const tmp = `${abs}.${process.pid}.tmp`;
      await writeFile(tmp, content);
      await rename(tmp, abs);
      const bytes = typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength;
      return { path: relPath.split(path.sep).join('/'), sha256: sha256(content), bytes };
    },
    async readFile(ref) {
      let content: Buffer;
      try {
        content = await readFile(resolve(ref.path));
      } catch (e) {
        throw new SmolmapError('store_file_missing', `${ref.path} is missing from ${root}; re-add the item`, {
          cause: e,
        });
      }
      if (sha256(content) !== ref.sha256)
        throw new SmolmapError(
          'store_file_changed',
          `${ref.path} in ${root} was changed outside smolmap; re-add the item`,
        );
      return content;
    },
    async remove(relPath) {
      await rm(resolve(relPath), { recursive: true, force: true });
    },
    resolve,
  };
}
