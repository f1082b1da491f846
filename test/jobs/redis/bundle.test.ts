/** Bundles of a folder's files: round trip, folder replacement, and refusal of malformed or escaping uploads. */
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { pack, readFolder, unpack, writeFolder } from '../../../src/jobs/redis/bundle.js';

const files = new Map([
  ['state.json', Buffer.from('{"step":5}')],
  ['tensors.safetensors', Buffer.from([0, 1, 2, 255])],
  ['empty', Buffer.alloc(0)],
]);

function withHeader(header: unknown, rest: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(h.length);
  return Buffer.concat([len, h, rest]);
}

describe('bundle', () => {
  it('unpacks what it packs', () => {
    expect(unpack(pack(files))).toEqual(files);
  });

  it.each([
    ['a path', withHeader([{ name: '../x', size: 1 }], Buffer.from('x')), /file name/],
    ['a hidden name', withHeader([{ name: '.ssh', size: 1 }], Buffer.from('x')), /file name/],
    ['a size past the end', withHeader([{ name: 'a', size: 9 }], Buffer.from('x')), /size of a/],
    ['trailing bytes', withHeader([{ name: 'a', size: 1 }], Buffer.from('xy')), /trailing/],
    [
      'a duplicate',
      withHeader([
        { name: 'a', size: 0 },
        { name: 'a', size: 0 },
      ]),
      /file name/,
    ],
    ['no files', withHeader([]), /file list/],
    ['a short body', Buffer.from([0, 0]), /too short/],
  ])('refuses %s', (_what, body, why) => {
    expect(() => unpack(body)).toThrow(why);
  });

  it('replaces a folder with exactly the bundle, leaving no temp folders', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'smolmap-bundle-'));
    try {
      const dir = path.join(root, 'ck');
      await mkdir(dir);
      await writeFile(path.join(dir, 'stale'), 'old');
      await writeFolder(dir, files);
      expect(await readFolder(dir)).toEqual(files);
      expect(await readdir(root)).toEqual(['ck']);
      expect(await readFile(path.join(dir, 'state.json'), 'utf8')).toBe('{"step":5}');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
