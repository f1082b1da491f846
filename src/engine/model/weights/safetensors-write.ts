import { open } from 'node:fs/promises';
import { internal } from '../../errors.js';
import type { F32Tensor } from '../types.js';
import { f32ToBf16, f32ToF16 } from './half.js';

/** A tensor to save; f32 data is rounded to `dtype` (default F32) on write. */
export type SafetensorsTensorIn = F32Tensor & { dtype?: 'F32' | 'F16' | 'BF16' };

function encode(t: SafetensorsTensorIn): Buffer {
  const dtype = t.dtype ?? 'F32';
  if (dtype === 'F32') return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out = Buffer.allocUnsafe(t.data.length * 2);
  const conv = dtype === 'F16' ? f32ToF16 : f32ToBf16;
  for (let i = 0; i < t.data.length; i++) out.writeUInt16LE(conv(t.data[i]!), 2 * i);
  return out;
}

/**
 * Writes a safetensors file as the reference serializer does (safetensors `prepare()`): tensors ordered by
 * descending dtype alignment then name, JSON header padded with spaces to a multiple of 8 bytes, optional
 * `__metadata__` of string values (PEFT writes `{"format": "pt"}`).
 */
export async function writeSafetensors(
  file: string,
  tensors: ReadonlyMap<string, SafetensorsTensorIn>,
  metadata?: Record<string, string>,
): Promise<void> {
  const names = [...tensors.keys()].sort((a, b) => {
    const sa = (tensors.get(a)!.dtype ?? 'F32') === 'F32' ? 4 : 2;
    const sb = (tensors.get(b)!.dtype ?? 'F32') === 'F32' ? 4 : 2;
    return sb - sa || (a < b ? -1 : a > b ? 1 : 0);
  });
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header['__metadata__'] = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const elements = t.shape.reduce((x, y) => x * y, 1);
    if (elements !== t.data.length) {
      throw internal(
        `writeSafetensors: '${name}' shape [${t.shape.join(', ')}] does not match ${t.data.length} values`,
      );
    }
    const bytes = elements * ((t.dtype ?? 'F32') === 'F32' ? 4 : 2);
    header[name] = { dtype: t.dtype ?? 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const fh = await open(file, 'w');
  try {
    await fh.write(len);
    await fh.write(Buffer.from(json, 'utf8'));
    for (const name of names) await fh.write(encode(tensors.get(name)!));
  } finally {
    await fh.close();
  }
}
