/**
 * A folder of files as one HTTP body (checkpoints and adapters go from workers to the coordinator in it):
 * a 4-byte big-endian header length, a JSON header `[{ name, size }]`, then the files' bytes in order. Names
 * are plain file names (no paths), so unpacking cannot write outside the target folder.
 */
import { readdir, readFile, rename, rm, mkdir, writeFile, stat } from 'node:fs/promises';
import path from 'node:path';

import { SmolmapError } from '../../engine/index.js';

export type Files = Map<string, Buffer>;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const MAX_FILES = 64;

export function pack(files: Files): Buffer {
  const header = Buffer.from(JSON.stringify([...files].map(([name, b]) => ({ name, size: b.length }))));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(header.length);
  return Buffer.concat([len, header, ...files.values()]);
}

const bad = (why: string): SmolmapError =>
  new SmolmapError('worker_bad_upload', `the uploaded bundle is malformed (${why}); upload it again`);

export function unpack(body: Buffer): Files {
  if (body.length < 4) throw bad('too short');
  const hlen = body.readUInt32BE(0);
  if (hlen > 64 * 1024 || 4 + hlen > body.length) throw bad('header length');
  let header: unknown;
  try {
    header = JSON.parse(body.subarray(4, 4 + hlen).toString('utf8'));
  } catch {
    throw bad('header is not JSON');
  }
  if (!Array.isArray(header) || header.length === 0 || header.length > MAX_FILES) throw bad('file list');
  const files: Files = new Map();
  let at = 4 + hlen;
  for (const entry of header as unknown[]) {
    const { name, size } = (entry ?? {}) as { name?: unknown; size?: unknown };
    if (typeof name !== 'string' || !NAME.test(name) || files.has(name)) throw bad('file name');
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || at + size > body.length)
      throw bad(`size of ${name}`);
    files.set(name, body.subarray(at, at + size));
    at += size;
  }
  if (at !== body.length) throw bad('trailing bytes');
  return files;
}

/** The files directly in `dir` (a checkpoint or adapter folder holds no subfolders). */
export async function readFolder(dir: string): Promise<Files> {
  const files: Files = new Map();
  for (const name of (await readdir(dir)).sort()) {
    const file = path.join(dir, name);
    if ((await stat(file)).isFile()) files.set(name, await readFile(file));
  }
  return files;
}

/**
 * Replaces `dir` with exactly `files`: a temp folder is filled, the old folder renamed aside and the new one
 * renamed into place, the same `.tmp-*`/`.old-*` names a checkpoint uses, so an interrupted write is recovered
 * the same way.
 */
export async function writeFolder(dir: string, files: Files): Promise<void> {
  const target = path.resolve(dir);
  const tmp = `${target}.tmp-${process.pid}`;
  const old = `${target}.old-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  for (const [name, bytes] of files) await writeFile(path.join(tmp, name), bytes);
  const existed = await stat(target).then(
    () => true,
    () => false,
  );
  if (existed) await rename(target, old);
  await rename(tmp, target);
  if (existed) await rm(old, { recursive: true, force: true });
}
