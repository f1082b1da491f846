import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGgufHeader, readGgufTensorRaw } from '../../../../src/engine/model/weights/gguf.js';
import {
  encodeGguf,
  type GgufEntry,
  type GgufTensorOut,
} from '../../../../src/engine/model/weights/gguf-write.js';
import { GGML } from '../../../../src/engine/model/weights/ggml-types.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'smolmap-gguf-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(name: string, bytes: Uint8Array): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return file;
}

const entries: GgufEntry[] = [
  { key: 'general.architecture', type: 'string', value: 'llama' },
  { key: 'a.u8', type: 'u8', value: 250 },
  { key: 'a.i8', type: 'i8', value: -5 },
  { key: 'a.u16', type: 'u16', value: 65000 },
  { key: 'a.i16', type: 'i16', value: -30000 },
  { key: 'a.u32', type: 'u32', value: 4_000_000_000 },
  { key: 'a.i32', type: 'i32', value: -2_000_000_000 },
  { key: 'a.f32', type: 'f32', value: 0.5 },
  { key: 'a.bool', type: 'bool', value: true },
  { key: 'a.u64', type: 'u64', value: 2n ** 60n },
  { key: 'a.u64small', type: 'u64', value: 42 },
  { key: 'a.i64', type: 'i64', value: -7 },
  { key: 'a.f64', type: 'f64', value: 1e-300 },
  { key: 'a.strs', type: 'array', itemType: 'string', value: ['Ġthe', 'ü', ''] },
  { key: 'a.ints', type: 'array', itemType: 'i32', value: [1, -2, 3] },
];
const f32 = new Float32Array([1, 2, 3, 4, 5, 6]);
const tensors: GgufTensorOut[] = [
  { name: 'w', dims: [3, 2], type: GGML.F32, data: new Uint8Array(f32.buffer) },
  { name: 'v', dims: [1], type: GGML.F32, data: new Uint8Array(new Float32Array([9]).buffer) },
];

describe('readGgufHeader', () => {
  it('reads every metadata value type, tensor infos and aligned data offset', async () => {
    const file = await put('ok.gguf', encodeGguf(entries, tensors));
    const h = await readGgufHeader(file);
    expect(h.version).toBe(3);
    expect(h.alignment).toBe(32);
    expect(h.dataOffset % 32).toBe(0);
    expect(h.metadata).toMatchObject({
      'general.architecture': 'llama',
      'a.u8': 250,
      'a.i8': -5,
      'a.u16': 65000,
      'a.i16': -30000,
      'a.u32': 4_000_000_000,
      'a.i32': -2_000_000_000,
      'a.f32': 0.5,
      'a.bool': true,
      'a.u64small': 42,
      'a.i64': -7,
      'a.f64': 1e-300,
      'a.strs': ['Ġthe', 'ü', ''],
      'a.ints': [1, -2, 3],
    });
    expect(h.metadata['a.u64']).toBe(2n ** 60n);
    expect(h.tensors).toEqual([
      { name: 'w', dims: [3, 2], type: 0, typeName: 'F32', offset: 0, byteSize: 24 },
      { name: 'v', dims: [1], type: 0, typeName: 'F32', offset: 32, byteSize: 4 },
    ]);
    const raw = await readGgufTensorRaw(file, h, 'w');
    expect([...new Float32Array(raw.data.buffer, raw.data.byteOffset, 6)]).toEqual([...f32]);
  });

  it('honours general.alignment and reads version 2', async () => {
    const bytes = encodeGguf([{ key: 'general.alignment', type: 'u32', value: 64 }], tensors);
    bytes.writeUInt32LE(2, 4);
    const h = await readGgufHeader(await put('v2.gguf', bytes));
    expect(h.version).toBe(2);
    expect(h.alignment).toBe(64);
    expect(h.dataOffset % 64).toBe(0);
    expect(h.tensors[1]!.offset).toBe(64);
  });

  const hostile: [string, (b: Buffer) => Buffer, string][] = [
    ['wrong magic', (b) => (b.write('GGML', 0), b), 'gguf_bad_magic'],
    ['version 1', (b) => (b.writeUInt32LE(1, 4), b), 'gguf_unsupported_version'],
    ['big-endian', (b) => (b.writeUInt32BE(3, 4), b), 'gguf_unsupported_version'],
    ['truncated header', (b) => b.subarray(0, 60), 'gguf_truncated'],
    ['truncated tensor data', (b) => b.subarray(0, b.length - 40), 'gguf_invalid'],
    ['tensor count overflow', (b) => (b.writeBigUInt64LE(2n ** 62n, 8), b), 'gguf_invalid'],
    ['metadata count overflow', (b) => (b.writeBigUInt64LE(1n << 40n, 16), b), 'gguf_invalid'],
    ['metadata count past end', (b) => (b.writeBigUInt64LE(100_000n, 16), b), 'gguf_truncated'],
    ['key length overflow', (b) => (b.writeBigUInt64LE(2n ** 63n, 24), b), 'gguf_invalid'],
    ['key length past end', (b) => (b.writeBigUInt64LE(1n << 20n, 24), b), 'gguf_truncated'],
    ['key length over the string cap', (b) => (b.writeBigUInt64LE(1n << 30n, 24), b), 'gguf_invalid'],
    ['empty file', () => Buffer.alloc(0), 'gguf_bad_magic'],
  ];
  for (const [what, mutate, code] of hostile) {
    it(`rejects ${what} with ${code}`, async () => {
      const file = await put(`bad-${what}.gguf`, mutate(encodeGguf(entries, tensors)));
      await expect(readGgufHeader(file)).rejects.toMatchObject({ code });
    });
  }

  it('rejects an array whose length exceeds the file', async () => {
    const bytes = encodeGguf([{ key: 'x', type: 'array', itemType: 'u8', value: [1, 2] }], []);
    // key: u64 len(8) + 'x'(1) at 24; value type at 33; elem type at 37; count at 41
    bytes.writeBigUInt64LE(1n << 33n, 41);
    await expect(readGgufHeader(await put('arr.gguf', bytes))).rejects.toMatchObject({
      code: 'gguf_invalid',
    });
  });

  it('rejects tensor data out of bounds, misaligned offsets, bad dims and unknown types', async () => {
    const cases: [GgufTensorOut, (b: Buffer, infoAt: number) => void, string][] = [
      [tensors[0]!, (b, at) => b.writeBigUInt64LE(1n << 20n, at + 8 + 1 + 4 + 16 + 4), 'gguf_invalid'],
      [tensors[0]!, (b, at) => b.writeBigUInt64LE(4n, at + 8 + 1 + 4 + 16 + 4), 'gguf_invalid'],
      [tensors[0]!, (b, at) => b.writeUInt32LE(7, at + 8 + 1), 'gguf_invalid'],
      [tensors[0]!, (b, at) => b.writeUInt32LE(99, at + 8 + 1 + 4 + 16), 'gguf_unsupported_type'],
      [tensors[0]!, (b, at) => b.writeBigUInt64LE(1n << 50n, at + 8 + 1 + 4), 'gguf_invalid'],
    ];
    for (const [t, mutate, code] of cases) {
      const bytes = encodeGguf([], [t]);
      mutate(bytes, 24);
      await expect(readGgufHeader(await put('t.gguf', bytes))).rejects.toMatchObject({ code });
    }
  });

  it('rejects duplicate keys and a non power-of-two alignment', async () => {
    const dup = encodeGguf(
      [
        { key: 'k', type: 'u8', value: 1 },
        { key: 'k', type: 'u8', value: 2 },
      ],
      [],
    );
    await expect(readGgufHeader(await put('dup.gguf', dup))).rejects.toMatchObject({ code: 'gguf_invalid' });
    const align = encodeGguf([{ key: 'general.alignment', type: 'u32', value: 24 }], []);
    await expect(readGgufHeader(await put('al.gguf', align))).rejects.toMatchObject({ code: 'gguf_invalid' });
  });

  it('gives model_file_not_found for a missing file', async () => {
    await expect(readGgufHeader(path.join(dir, 'nope.gguf'))).rejects.toMatchObject({
      code: 'model_file_not_found',
    });
  });
});
