import { readFile, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { SmolmapError } from '../../errors.js';
import type { F32Tensor, WeightMap } from '../types.js';
import { openModelFile } from './gguf.js';
import { decodeBf16, decodeF16 } from './half.js';

/**
 * safetensors reader (huggingface/safetensors `tensor.rs`): an 8-byte LE header length,
 * a JSON header, then tensors that exactly tile the byte buffer. Tensors are read one at a time and converted
 * to f32, so peak memory is the f32 model plus one tensor's raw bytes.
 */

export type SafetensorsDtype =
  | 'BOOL'
  | 'U8'
  | 'I8'
  | 'F8_E5M2'
  | 'F8_E4M3'
  | 'I16'
  | 'U16'
  | 'F16'
  | 'BF16'
  | 'I32'
  | 'U32'
  | 'F32'
  | 'F64'
  | 'I64'
  | 'U64';

export const DTYPE_SIZE: Record<SafetensorsDtype, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};

export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Absolute file offsets [begin, end). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  metadata: Record<string, string>;
  tensors: SafetensorsEntry[];
}

/** The format's own cap (safetensors `MAX_HEADER_SIZE`). */
const MAX_HEADER = 100_000_000;

function invalid(file: string, what: string): SmolmapError {
  return new SmolmapError(
    'safetensors_invalid',
    `${file} is not a valid safetensors file: ${what}. Re-download it or save it again with safetensors.`,
    { details: { file } },
  );
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseEntry(
  name: string,
  v: unknown,
  file: string,
): Omit<SafetensorsEntry, 'begin' | 'end'> & { off: [number, number] } {
  if (!isRecord(v)) throw invalid(file, `entry '${name}' is not an object`);
  const { dtype, shape, data_offsets: off } = v;
  if (typeof dtype !== 'string' || !(dtype in DTYPE_SIZE))
    throw invalid(file, `'${name}' has unknown dtype ${String(dtype)}`);
  const okInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  if (!Array.isArray(shape) || !shape.every(okInt)) throw invalid(file, `'${name}' has a bad shape`);
  if (!Array.isArray(off) || off.length !== 2 || !off.every(okInt) || off[0]! > off[1]!) {
    throw invalid(file, `'${name}' has bad data_offsets`);
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: shape as number[], off: off as [number, number] };
}

/** Parses and validates the header: sizes match shapes and the tensors tile the buffer with no gap or overlap. */
export async function readSafetensorsHeaderFrom(fh: FileHandle, file: string): Promise<SafetensorsHeader> {
  const size = (await fh.stat()).size;
  const lenBuf = Buffer.alloc(8);
  if (size < 8 || (await fh.read(lenBuf, 0, 8, 0)).bytesRead !== 8) {
    throw new SmolmapError(
      'safetensors_truncated',
      `${file} is too short to be safetensors; fetch it again.`,
    );
  }
  const n = lenBuf.readBigUInt64LE(0);
  if (n > BigInt(MAX_HEADER)) throw invalid(file, `header length ${n} exceeds ${MAX_HEADER}`);
  if (Number(n) > size - 8) {
    throw new SmolmapError(
      'safetensors_truncated',
      `${file} ends inside its header; the download is incomplete.`,
    );
  }
  const hdr = Buffer.alloc(Number(n));
  await fh.read(hdr, 0, hdr.length, 8);
  let json: unknown;
  try {
    json = JSON.parse(hdr.toString('utf8'));
  } catch (e) {
    throw invalid(file, `header is not JSON (${(e as Error).message})`);
  }
  if (!isRecord(json)) throw invalid(file, 'header is not a JSON object');
  const base = 8 + hdr.length;
  const metadata: Record<string, string> = {};
  const entries: ReturnType<typeof parseEntry>[] = [];
  for (const [name, v] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (!isRecord(v)) throw invalid(file, '__metadata__ is not an object');
      for (const [k, s] of Object.entries(v)) {
        if (typeof s !== 'string') throw invalid(file, `__metadata__.${k} is not a string`);
        metadata[k] = s;
      }
      continue;
    }
    entries.push(parseEntry(name, v, file));
  }
  entries.sort((a, b) => a.off[0] - b.off[0] || a.off[1] - b.off[1]);
  let expected = 0;
  const tensors: SafetensorsEntry[] = [];
  for (const e of entries) {
    const [b, end] = e.off;
    const elements = e.shape.reduce((x, y) => x * y, 1);
    if (elements * DTYPE_SIZE[e.dtype] !== end - b)
      throw invalid(file, `'${e.name}' size does not match its shape`);
    if (b !== expected)
      throw invalid(file, `'${e.name}' starts at ${b}, expected ${expected} (gap or overlap)`);
    expected = end;
    tensors.push({ name: e.name, dtype: e.dtype, shape: e.shape, begin: base + b, end: base + end });
  }
  if (base + expected !== size) {
    if (base + expected > size) {
      throw new SmolmapError(
        'safetensors_truncated',
        `${file} is shorter than its header says; fetch it again.`,
        {
          details: { file, expected: base + expected, actual: size },
        },
      );
    }
    throw invalid(file, `${size - base - expected} trailing bytes after the last tensor`);
  }
  return { metadata, tensors };
}

export async function readSafetensorsHeader(file: string): Promise<SafetensorsHeader> {
  const fh = await openModelFile(file);
  try {
    return await readSafetensorsHeaderFrom(fh, file);
  } finally {
    await fh.close();
  }
}

/** Reads one tensor and converts F32/F16/BF16 to f32. */
export async function readSafetensorsTensor(
  fh: FileHandle,
  e: SafetensorsEntry,
  file: string,
): Promise<F32Tensor> {
  const n = e.shape.reduce((x, y) => x * y, 1);
  const data = new Float32Array(n);
  if (e.dtype === 'F32') {
    await fh.read(new Uint8Array(data.buffer), 0, e.end - e.begin, e.begin);
    return { shape: [...e.shape], data };
  }
  if (e.dtype !== 'F16' && e.dtype !== 'BF16') {
    throw new SmolmapError(
      'safetensors_unsupported_dtype',
      `${file}: tensor '${e.name}' is ${e.dtype}; smolmap loads F32, F16 and BF16 weights — convert the checkpoint to one of those.`,
      { details: { file, tensor: e.name, dtype: e.dtype } },
    );
  }
  const raw = Buffer.allocUnsafe(e.end - e.begin);
  await fh.read(raw, 0, raw.length, e.begin);
  (e.dtype === 'F16' ? decodeF16 : decodeBf16)(raw, data);
  return { shape: [...e.shape], data };
}

async function readFileInto(file: string, out: WeightMap, only?: Set<string>): Promise<void> {
  const fh = await openModelFile(file);
  try {
    const header = await readSafetensorsHeaderFrom(fh, file);
    for (const e of header.tensors) {
      if (only && !only.has(e.name)) continue;
      out.set(e.name, await readSafetensorsTensor(fh, e, file));
    }
  } finally {
    await fh.close();
  }
}

/** Maps shard file → tensor names from `model.safetensors.index.json` (shard names must stay inside `dir`). */
export async function readShardIndex(indexFile: string): Promise<Map<string, string[]>> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(indexFile, 'utf8'));
  } catch (e) {
    throw new SmolmapError('safetensors_invalid', `${indexFile} is not valid JSON; re-download it.`, {
      cause: e,
    });
  }
  const wm = isRecord(json) ? json['weight_map'] : undefined;
  if (!isRecord(wm)) throw invalid(indexFile, 'no weight_map object');
  const shards = new Map<string, string[]>();
  for (const [tensor, shard] of Object.entries(wm)) {
    if (typeof shard !== 'string' || path.basename(shard) !== shard || !shard.endsWith('.safetensors')) {
      throw invalid(indexFile, `weight_map['${tensor}'] = ${JSON.stringify(shard)} is not a shard file name`);
    }
    shards.set(shard, [...(shards.get(shard) ?? []), tensor]);
  }
  return shards;
}

/**
 * Loads every tensor as f32 from a `.safetensors` file or a folder holding `model.safetensors` or a sharded
 * checkpoint (`model.safetensors.index.json`).
 */
export async function readSafetensors(fileOrDir: string): Promise<WeightMap> {
  const st = await stat(fileOrDir).catch((e: unknown) => {
    throw new SmolmapError('model_file_not_found', `cannot find ${fileOrDir}; check the path.`, { cause: e });
  });
  const out: WeightMap = new Map();
  if (st.isFile()) {
    await readFileInto(fileOrDir, out);
    return out;
  }
  const index = path.join(fileOrDir, 'model.safetensors.index.json');
  if (
    await stat(index).then(
      () => true,
      () => false,
    )
  ) {
    for (const [shard, names] of await readShardIndex(index)) {
      await readFileInto(path.join(fileOrDir, shard), out, new Set(names));
      const missing = names.find((n) => !out.has(n));
      if (missing)
        throw invalid(path.join(fileOrDir, shard), `tensor '${missing}' listed in the index is missing`);
    }
    return out;
  }
  const single = path.join(fileOrDir, 'model.safetensors');
  if (
    await stat(single).then(
      () => true,
      () => false,
    )
  ) {
    await readFileInto(single, out);
    return out;
  }
  throw new SmolmapError(
    'model_file_not_found',
    `${fileOrDir} has neither model.safetensors nor model.safetensors.index.json; point at a Hugging Face model folder.`,
    { details: { dir: fileOrDir } },
  );
}
