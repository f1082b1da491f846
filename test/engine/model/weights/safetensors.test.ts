import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors, readSafetensorsHeader } from '../../../../src/engine/model/weights/safetensors.js';
import {
  writeSafetensors,
  type SafetensorsTensorIn,
} from '../../../../src/engine/model/weights/safetensors-write.js';
import { TINY_LLAMA } from '../../../fixtures/paths.js';

const REF = TINY_LLAMA;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'smolmap-st-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Builds a raw safetensors file from a header object and a data length. */
function raw(header: Record<string, unknown>, dataBytes: number, lenOverride?: bigint): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lenOverride ?? BigInt(json.length));
  return Buffer.concat([len, json, Buffer.alloc(dataBytes)]);
}

describe('readSafetensors', () => {
  it('reads the transformers-saved tiny Llama (tied: no lm_head)', async () => {
    const w = await readSafetensors(path.join(REF, 'model'));
    expect(w.size).toBe(1 + 2 * 9 + 1);
    expect(w.get('model.embed_tokens.weight')!.shape).toEqual([49152, 64]);
    expect(w.get('model.layers.1.self_attn.k_proj.weight')!.shape).toEqual([32, 64]);
    expect(w.has('lm_head.weight')).toBe(false);
    const h = await readSafetensorsHeader(path.join(REF, 'model', 'model.safetensors'));
    expect(h.metadata).toEqual({ format: 'pt' });
  });

  it('round-trips F32 exactly and F16/BF16 to the rounded value, with metadata', async () => {
    const values = new Float32Array([1, -2.5, 0.1, 65504, 3.14159, -1e-5]);
    const tensors = new Map<string, SafetensorsTensorIn>([
      ['a', { shape: [2, 3], data: values }],
      ['b', { shape: [6], data: values, dtype: 'F16' }],
      ['c', { shape: [3, 2], data: values, dtype: 'BF16' }],
    ]);
    const file = path.join(dir, 'rt.safetensors');
    await writeSafetensors(file, tensors, { format: 'pt' });
    const bytes = await readFile(file);
    expect(Number(bytes.readBigUInt64LE(0)) % 8).toBe(0);
    const w = await readSafetensors(file);
    expect([...w.get('a')!.data]).toEqual([...values]);
    expect(w.get('c')!.shape).toEqual([3, 2]);
    // hand-rounded: f16(0.1) = 0x2E66 = 0.0999755859375; bf16(0.1) = 0x3DCD = 0.10009765625
    expect(w.get('b')!.data[2]).toBe(0.0999755859375);
    expect(w.get('c')!.data[2]).toBe(0.10009765625);
    expect(w.get('b')!.data[3]).toBe(65504);
    expect(w.get('c')!.data[0]).toBe(1);
    expect((await readSafetensorsHeader(file)).metadata).toEqual({ format: 'pt' });
  });

  it('reads a sharded checkpoint through model.safetensors.index.json', async () => {
    const sharded = path.join(dir, 'sharded');
    await mkdir(sharded);
    const t = (v: number): SafetensorsTensorIn => ({ shape: [2], data: new Float32Array([v, v + 1]) });
    await writeSafetensors(path.join(sharded, 'model-00001-of-00002.safetensors'), new Map([['x', t(1)]]));
    await writeSafetensors(
      path.join(sharded, 'model-00002-of-00002.safetensors'),
      new Map([
        ['y', t(5)],
        ['z', t(7)],
      ]),
    );
    const index = {
      metadata: {},
      weight_map: { x: 'model-00001-of-00002.safetensors', y: 'model-00002-of-00002.safetensors' },
    };
    await writeFile(path.join(sharded, 'model.safetensors.index.json'), JSON.stringify(index));
    const w = await readSafetensors(sharded);
    expect([...w.keys()].sort()).toEqual(['x', 'y']);
    expect([...w.get('y')!.data]).toEqual([5, 6]);

    await writeFile(
      path.join(sharded, 'model.safetensors.index.json'),
      JSON.stringify({ weight_map: { x: '../model-00001-of-00002.safetensors' } }),
    );
    await expect(readSafetensors(sharded)).rejects.toMatchObject({ code: 'safetensors_invalid' });
  });

  const e = (dtype: string, shape: number[], off: [number, number]) => ({ dtype, shape, data_offsets: off });
  const hostile: [string, Buffer, string][] = [
    ['header length overflow', raw({}, 0, 2n ** 63n), 'safetensors_invalid'],
    ['header longer than the file', raw({}, 0, 1000n), 'safetensors_truncated'],
    [
      'not JSON',
      Buffer.concat([Buffer.from([3, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{{{')]),
      'safetensors_invalid',
    ],
    ['truncated data', raw({ a: e('F32', [4], [0, 16]) }, 8), 'safetensors_truncated'],
    ['trailing bytes', raw({ a: e('F32', [1], [0, 4]) }, 8), 'safetensors_invalid'],
    ['size-shape mismatch', raw({ a: e('F32', [3], [0, 8]) }, 8), 'safetensors_invalid'],
    ['gap', raw({ a: e('F32', [1], [0, 4]), b: e('F32', [1], [8, 12]) }, 12), 'safetensors_invalid'],
    ['overlap', raw({ a: e('F32', [2], [0, 8]), b: e('F32', [1], [4, 8]) }, 8), 'safetensors_invalid'],
    ['unknown dtype', raw({ a: e('Q4', [1], [0, 1]) }, 1), 'safetensors_invalid'],
    ['negative shape', raw({ a: e('F32', [-1], [0, 0]) }, 0), 'safetensors_invalid'],
    ['integer weights', raw({ a: e('I32', [1], [0, 4]) }, 4), 'safetensors_unsupported_dtype'],
    ['too short', Buffer.from([1, 2, 3]), 'safetensors_truncated'],
  ];
  for (const [what, bytes, code] of hostile) {
    it(`rejects ${what} with ${code}`, async () => {
      const file = path.join(dir, `bad-${what}.safetensors`);
      await writeFile(file, bytes);
      await expect(readSafetensors(file)).rejects.toMatchObject({ code });
    });
  }

  it('says what is missing for a folder without weights', async () => {
    await expect(readSafetensors(dir)).rejects.toMatchObject({ code: 'model_file_not_found' });
  });
});
