import { writeFile } from 'node:fs/promises';
import { internal } from '../../errors.js';
import { ggmlByteSize, ggmlTypeInfo } from './ggml-types.js';

/**
 * GGUF v3 writer (ggml-org/ggml docs/gguf.md). Used by the tiny-model generator and by tests that need
 * hand-made (also deliberately broken) files; values carry their GGUF type explicitly because a JS number
 * does not say whether it is a u32 or an f32.
 */

export type GgufScalarType =
  'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'bool' | 'string' | 'u64' | 'i64' | 'f64';

export type GgufEntry =
  | { key: string; type: Exclude<GgufScalarType, 'bool' | 'string' | 'u64' | 'i64'>; value: number }
  | { key: string; type: 'u64' | 'i64'; value: number | bigint }
  | { key: string; type: 'bool'; value: boolean }
  | { key: string; type: 'string'; value: string }
  | {
      key: string;
      type: 'array';
      itemType: GgufScalarType;
      value: readonly (number | bigint | boolean | string)[];
    };

export interface GgufTensorOut {
  name: string;
  /** ggml order (ne[0] first). */
  dims: number[];
  type: number;
  data: Uint8Array;
}

const TYPE_ID: Record<GgufScalarType | 'array', number> = {
  u8: 0,
  i8: 1,
  u16: 2,
  i16: 3,
  u32: 4,
  i32: 5,
  f32: 6,
  bool: 7,
  string: 8,
  array: 9,
  u64: 10,
  i64: 11,
  f64: 12,
};

class Out {
  private chunks: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  num(kind: GgufScalarType, v: number | bigint | boolean | string): void {
    if (kind === 'string') return this.str(String(v));
    const b = Buffer.alloc(
      kind === 'u64' || kind === 'i64' || kind === 'f64'
        ? 8
        : kind.endsWith('16')
          ? 2
          : kind.endsWith('32')
            ? 4
            : 1,
    );
    switch (kind) {
      case 'u8':
        b.writeUInt8(Number(v));
        break;
      case 'i8':
        b.writeInt8(Number(v));
        break;
      case 'bool':
        b.writeUInt8(v ? 1 : 0);
        break;
      case 'u16':
        b.writeUInt16LE(Number(v));
        break;
      case 'i16':
        b.writeInt16LE(Number(v));
        break;
      case 'u32':
        b.writeUInt32LE(Number(v));
        break;
      case 'i32':
        b.writeInt32LE(Number(v));
        break;
      case 'f32':
        b.writeFloatLE(Number(v));
        break;
      case 'u64':
        b.writeBigUInt64LE(BigInt(v));
        break;
      case 'i64':
        b.writeBigInt64LE(BigInt(v));
        break;
      case 'f64':
        b.writeDoubleLE(Number(v));
        break;
    }
    this.push(b);
  }
  str(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.num('u64', bytes.length);
    this.push(bytes);
  }
  pad(alignment: number): void {
    const n = (alignment - (this.length % alignment)) % alignment;
    if (n) this.push(Buffer.alloc(n));
  }
  concat(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

/** Encodes a GGUF v3 file; `general.alignment` in `entries` (u32) sets the alignment, else 32. */
export function encodeGguf(entries: readonly GgufEntry[], tensors: readonly GgufTensorOut[]): Buffer {
  const alignEntry = entries.find((e) => e.key === 'general.alignment');
  const alignment = alignEntry && typeof alignEntry.value === 'number' ? alignEntry.value : 32;
  const o = new Out();
  o.num('u32', 0x46554747);
  o.num('u32', 3);
  o.num('u64', tensors.length);
  o.num('u64', entries.length);
  for (const e of entries) {
    o.str(e.key);
    o.num('u32', TYPE_ID[e.type]);
    if (e.type === 'array') {
      o.num('u32', TYPE_ID[e.itemType]);
      o.num('u64', e.value.length);
      for (const v of e.value) o.num(e.itemType, v);
    } else {
      o.num(e.type, e.value);
    }
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    const info = ggmlTypeInfo(t.type);
    if (!info) throw internal(`encodeGguf: unknown ggml type ${t.type}`);
    const elements = t.dims.reduce((a, b) => a * b, 1);
    const size = ggmlByteSize(info, t.dims[0] ?? 1, elements, t.name);
    if (size !== t.data.length)
      throw internal(`encodeGguf: '${t.name}' has ${t.data.length} bytes, expected ${size}`);
    o.str(t.name);
    o.num('u32', t.dims.length);
    for (const d of t.dims) o.num('u64', d);
    o.num('u32', t.type);
    o.num('u64', offset);
    offsets.push(offset);
    offset += Math.ceil(size / alignment) * alignment;
  }
  o.pad(alignment);
  for (const t of tensors) {
    o.push(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    o.pad(alignment);
  }
  return o.concat();
}

export async function writeGguf(
  file: string,
  entries: readonly GgufEntry[],
  tensors: readonly GgufTensorOut[],
) {
  await writeFile(file, encodeGguf(entries, tensors));
}
