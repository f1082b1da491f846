import { open, type FileHandle } from 'node:fs/promises';
import { SmolmapError } from '../../errors.js';
import { FileCursor } from './file-cursor.js';
import { ggmlByteSize, ggmlTypeInfo } from './ggml-types.js';

/**
 * GGUF header reader (ggml-org/ggml docs/gguf.md): magic, version 2/3, metadata of every
 * value type, tensor infos and the aligned start of tensor data. Every count and length is checked against the
 * bytes left in the file and against sane caps before anything is allocated.
 */

export type GgufValue = number | bigint | boolean | string | GgufValue[];

export interface GgufTensorInfo {
  name: string;
  /** ggml order: dims[0] (ne[0]) is the innermost axis, i.e. the reverse of the PyTorch shape. */
  dims: number[];
  type: number;
  typeName: string;
  /** Byte offset relative to `GgufHeader.dataOffset`. */
  offset: number;
  /** Bytes of tensor data (blocks × bytes per block). */
  byteSize: number;
}

export interface GgufHeader {
  version: number;
  metadata: Record<string, GgufValue>;
  tensors: GgufTensorInfo[];
  /** Absolute file offset where tensor data starts (aligned). */
  dataOffset: number;
  alignment: number;
}

const MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
const DEFAULT_ALIGNMENT = 32;
/** Real vocabularies are ≤ ~260k entries and merge lists ≤ ~1M; 16M keeps hostile counts from exhausting RAM. */
const MAX_ARRAY = 1 << 24;
/** The largest real strings are embedded tokenizer.json documents (tens of MB for 256k vocabularies). */
const MAX_STRING = 64 << 20;
const MAX_TENSORS = 1 << 20;
const MAX_KV = 1 << 20;
const MAX_DIMS = 4;
const MAX_NESTING = 4;

const enum VT {
  U8 = 0,
  I8 = 1,
  U16 = 2,
  I16 = 3,
  U32 = 4,
  I32 = 5,
  F32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  U64 = 10,
  I64 = 11,
  F64 = 12,
}
/** Smallest encoded size of one value of each type (strings: the u64 length alone). */
const MIN_SIZE = [1, 1, 2, 2, 4, 4, 4, 1, 8, 12, 8, 8, 8];

function invalid(file: string, what: string): SmolmapError {
  return new SmolmapError(
    'gguf_invalid',
    `${file} is not a valid GGUF file: ${what}. Re-download it or convert it again with llama.cpp's convert_hf_to_gguf.py.`,
    { details: { file } },
  );
}

function truncated(file: string) {
  return (need: number, at: number) =>
    new SmolmapError(
      'gguf_truncated',
      `${file} ends early (needed ${need} bytes at offset ${at}); the download is probably incomplete — fetch the file again.`,
      { details: { file, offset: at } },
    );
}

/** A u64 as a JS number, or a coded error when it cannot be a real size/count. */
function safeCount(v: bigint, file: string, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(file, `${what} ${v} is out of range`);
  return Number(v);
}

async function readString(c: FileCursor, file: string): Promise<string> {
  const len = safeCount(await c.u64(), file, 'string length');
  if (len > MAX_STRING) throw invalid(file, `string of ${len} bytes at offset ${c.pos}`);
  if (len > c.remaining) throw truncated(file)(len, c.pos);
  return c.utf8(len);
}

function intValue(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

async function readValue(c: FileCursor, file: string, type: number, depth: number): Promise<GgufValue> {
  switch (type) {
    case VT.U8:
      return c.u8();
    case VT.I8:
      return c.i8();
    case VT.U16:
      return c.u16();
    case VT.I16:
      return c.i16();
    case VT.U32:
      return c.u32();
    case VT.I32:
      return c.i32();
    case VT.F32:
      return c.f32();
    case VT.BOOL: {
      const b = await c.u8();
      if (b > 1) throw invalid(file, `bool value ${b} at offset ${c.pos - 1}`);
      return b === 1;
    }
    case VT.STRING:
      return readString(c, file);
    case VT.U64:
      return intValue(await c.u64());
    case VT.I64:
      return intValue(await c.i64());
    case VT.F64:
      return c.f64();
    case VT.ARRAY:
      return readArray(c, file, depth + 1);
    default:
      throw invalid(file, `unknown metadata value type ${type} at offset ${c.pos - 4}`);
  }
}

async function readArray(c: FileCursor, file: string, depth: number): Promise<GgufValue[]> {
  if (depth > MAX_NESTING) throw invalid(file, `arrays nested deeper than ${MAX_NESTING}`);
  const elemType = await c.u32();
  const min = MIN_SIZE[elemType];
  if (min === undefined) throw invalid(file, `unknown array element type ${elemType}`);
  const count = safeCount(await c.u64(), file, 'array length');
  if (count > MAX_ARRAY) throw invalid(file, `array of ${count} elements at offset ${c.pos}`);
  if (count * min > c.remaining) throw truncated(file)(count * min, c.pos);
  const out: GgufValue[] = new Array<GgufValue>(count);
  for (let i = 0; i < count; i++) out[i] = await readValue(c, file, elemType, depth);
  return out;
}

async function readTensorInfo(c: FileCursor, file: string): Promise<Omit<GgufTensorInfo, 'byteSize'>> {
  const name = await readString(c, file);
  if (name.length === 0 || name.length > 256) throw invalid(file, `tensor name of length ${name.length}`);
  const nDims = await c.u32();
  if (nDims < 1 || nDims > MAX_DIMS) throw invalid(file, `tensor '${name}' has ${nDims} dimensions`);
  const dims: number[] = [];
  for (let i = 0; i < nDims; i++) dims.push(safeCount(await c.u64(), file, `tensor '${name}' dimension`));
  const type = await c.u32();
  const info = ggmlTypeInfo(type);
  if (!info) {
    throw new SmolmapError(
      'gguf_unsupported_type',
      `${file}: tensor '${name}' uses ggml type ${type}, which smolmap does not know; ` +
        `convert the model with a quantisation smolmap supports (f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q6_k).`,
      { details: { file, tensor: name, type } },
    );
  }
  const offset = safeCount(await c.u64(), file, `tensor '${name}' offset`);
  return { name, dims, type, typeName: info.name, offset };
}

function checkTensor(
  t: Omit<GgufTensorInfo, 'byteSize'>,
  file: string,
  fileSize: number,
  dataOffset: number,
  alignment: number,
): GgufTensorInfo {
  let elements = 1;
  for (const d of t.dims) {
    elements *= d;
    if (elements > fileSize * 8)
      throw invalid(file, `tensor '${t.name}' dims ${t.dims.join('×')} exceed the file`);
  }
  // ggmlTypeInfo was checked when the info was read.
  const info = ggmlTypeInfo(t.type)!;
  const byteSize = ggmlByteSize(info, t.dims[0] ?? 1, elements, t.name);
  if (t.offset % alignment !== 0) throw invalid(file, `tensor '${t.name}' offset ${t.offset} is not aligned`);
  if (dataOffset + t.offset + byteSize > fileSize) {
    throw invalid(file, `tensor '${t.name}' data (${byteSize} bytes at ${t.offset}) lies outside the file`);
  }
  return { ...t, byteSize };
}

async function readAlignment(metadata: Record<string, GgufValue>, file: string): Promise<number> {
  const a = metadata['general.alignment'];
  if (a === undefined) return DEFAULT_ALIGNMENT;
  if (typeof a !== 'number' || !Number.isInteger(a) || a < 1 || (a & (a - 1)) !== 0) {
    throw invalid(file, `general.alignment ${String(a)} is not a power of two`);
  }
  return a;
}

/** Reads the header from an open handle (shared with the tensor readers). */
export async function readGgufHeaderFrom(fh: FileHandle, file: string): Promise<GgufHeader> {
  const size = (await fh.stat()).size;
  const c = new FileCursor(fh, size, truncated(file));
  if (size < 4 || (await c.u32()) !== MAGIC) {
    throw new SmolmapError(
      'gguf_bad_magic',
      `${file} is not a GGUF file (wrong magic); pass a .gguf model file.`,
      {
        details: { file },
      },
    );
  }
  const version = await c.u32();
  if (version !== 2 && version !== 3) {
    const hint = version > 0xffff ? ' (big-endian GGUF is not supported)' : '';
    throw new SmolmapError(
      'gguf_unsupported_version',
      `${file} is GGUF version ${version}${hint}; smolmap reads versions 2 and 3 — re-convert with a current llama.cpp.`,
      { details: { file, version } },
    );
  }
  const tensorCount = safeCount(await c.u64(), file, 'tensor count');
  const kvCount = safeCount(await c.u64(), file, 'metadata count');
  if (tensorCount > MAX_TENSORS) throw invalid(file, `${tensorCount} tensors`);
  if (kvCount > MAX_KV) throw invalid(file, `${kvCount} metadata entries`);
  // Smallest possible tensor info is 24 bytes and metadata entry 13 bytes.
  const least = tensorCount * 24 + kvCount * 13;
  if (least > c.remaining) throw truncated(file)(least, c.pos);

  const metadata: Record<string, GgufValue> = Object.create(null) as Record<string, GgufValue>;
  for (let i = 0; i < kvCount; i++) {
    const key = await readString(c, file);
    if (key in metadata) throw invalid(file, `duplicate metadata key '${key}'`);
    metadata[key] = await readValue(c, file, await c.u32(), 0);
  }
  const alignment = await readAlignment(metadata, file);
  const raw: Omit<GgufTensorInfo, 'byteSize'>[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const t = await readTensorInfo(c, file);
    if (seen.has(t.name)) throw invalid(file, `duplicate tensor '${t.name}'`);
    seen.add(t.name);
    raw.push(t);
  }
  const dataOffset = Math.ceil(c.pos / alignment) * alignment;
  const tensors = raw.map((t) => checkTensor(t, file, size, dataOffset, alignment));
  return { version, metadata, tensors, dataOffset, alignment };
}

export async function openModelFile(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'r');
  } catch (e) {
    throw new SmolmapError('model_file_not_found', `cannot open ${file}; check the path.`, {
      cause: e,
      details: { file },
    });
  }
}

/** Reads a GGUF file's metadata and tensor table (not the tensor data). */
export async function readGgufHeader(file: string): Promise<GgufHeader> {
  const fh = await openModelFile(file);
  try {
    return await readGgufHeaderFrom(fh, file);
  } finally {
    await fh.close();
  }
}

/** One tensor's stored bytes, still in its ggml type (for MatMulNBits-style consumers and for dequantising). */
export interface GgufRawTensor {
  name: string;
  dims: number[];
  type: number;
  typeName: string;
  data: Buffer;
}

export async function readGgufTensorRawFrom(fh: FileHandle, header: GgufHeader, name: string, file: string) {
  const t = header.tensors.find((x) => x.name === name);
  if (!t) {
    throw new SmolmapError(
      'gguf_tensor_missing',
      `${file} has no tensor '${name}'; is it a llama-architecture GGUF?`,
      {
        details: { file, tensor: name },
      },
    );
  }
  const data = Buffer.allocUnsafe(t.byteSize);
  const { bytesRead } = await fh.read(data, 0, t.byteSize, header.dataOffset + t.offset);
  if (bytesRead !== t.byteSize) throw truncated(file)(t.byteSize, header.dataOffset + t.offset);
  const raw: GgufRawTensor = { name: t.name, dims: [...t.dims], type: t.type, typeName: t.typeName, data };
  return raw;
}

export async function readGgufTensorRaw(
  file: string,
  header: GgufHeader,
  name: string,
): Promise<GgufRawTensor> {
  const fh = await openModelFile(file);
  try {
    return await readGgufTensorRawFrom(fh, header, name, file);
  } finally {
    await fh.close();
  }
}
