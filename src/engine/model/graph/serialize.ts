/**
 * Graph → ONNX ModelProto bytes (ai.onnx opset 17, plus com.microsoft v1 for contrib ops). Large initializers
 * can go to external data (onnx docs/ExternalData.md): protobuf caps a message at 2 GB, and SmolLM2-1.7B in f32
 * is ~6.9 GB.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

import type { DType, Graph, TensorData, Value } from './builder.js';
import {
  DATA_LOCATION_EXTERNAL,
  ModelProto,
  TensorProto,
  OnnxAttrType,
  OnnxDataType,
  type AttributeProtoObj,
  type ModelProtoObj,
  type NodeProtoObj,
  type TensorProtoObj,
  type ValueInfoProtoObj,
} from './onnx-proto.js';
import { RULES, type OnnxAttr } from './ops.js';
import { SmolmapError } from '../../errors.js';

export const OPSET = 17;
/** IR version 8 pairs with opset 17 (onnx docs/Versioning.md). */
const IR_VERSION = 8;

/** One external tensor: bytes to store at `offset` in the file named `location`. */
export interface ExternalChunk {
  location: string;
  offset: number;
  data: Uint8Array;
}

export interface SerializedModel {
  model: Uint8Array;
  external: ExternalChunk[];
}

export interface SerializeOptions {
  /**
   * Initializers of at least this many bytes go to external data. Default: none, unless the inline total
   * would pass 1.5 GB, in which case every initializer of 1 MiB or more goes external.
   */
  externalThreshold?: number;
  /**
   * 'memory' (default): one location per tensor (`ext_<i>.bin`, offset 0), so each chunk is a zero-copy view
   * that createSession takes as `externalData`. A file name: all chunks in that one file, for `writeModel`.
   */
  externalFile?: 'memory' | string;
}

const bytesOf = (d: TensorData): Uint8Array => new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

function attrProto(name: string, a: OnnxAttr): AttributeProtoObj {
  if ('i' in a) return { name, type: OnnxAttrType.INT, i: a.i };
  if ('f' in a) return { name, type: OnnxAttrType.FLOAT, f: a.f };
  if ('s' in a) return { name, type: OnnxAttrType.STRING, s: new TextEncoder().encode(a.s) };
  return { name, type: OnnxAttrType.INTS, ints: a.ints };
}

function valueInfo(name: string, v: Value): ValueInfoProtoObj {
  // Dims invented by shape inference (`_<n>`) are unknown to the user, so they are left unnamed.
  const dim = v.shape.map((d) =>
    typeof d === 'number'
      ? { dimValue: d }
      : d.startsWith('_')
        ? ({} as { dimParam: string })
        : { dimParam: d },
  );
  return { name, type: { tensorType: { elemType: OnnxDataType[v.dtype as DType], shape: { dim } } } };
}

function defaultThreshold(g: Graph): number {
  const total = g.consts.reduce((s, c) => s + (c.data?.byteLength ?? 0), 0);
  return total > 1.5 * 2 ** 30 ? 2 ** 20 : Infinity;
}

/**
 * Big inline tensors are written after the encoded model as extra `graph { initializer { … } }` fields, which
 * protobuf parsers merge into the one graph (repeated fields concatenate). protobufjs 8 encodes nested bytes
 * by growing one buffer and shifting it for each length prefix, ~100 MB/s; this path is a plain memcpy.
 */
const APPEND_MIN = 1 << 16;

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n % 128) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** Chunks of `ModelProto{ graph(7){ initializer(5){ <t fields> raw_data(9): raw } } }`. */
function appendedInitializer(t: TensorProtoObj, raw: Uint8Array): Uint8Array[] {
  const head = TensorProto.encode(t).finish();
  const rawPrefix = [(9 << 3) | 2, ...varint(raw.byteLength)];
  const tensorLen = head.byteLength + rawPrefix.length + raw.byteLength;
  const initPrefix = [(5 << 3) | 2, ...varint(tensorLen)];
  const graphPrefix = [(7 << 3) | 2, ...varint(initPrefix.length + tensorLen)];
  return [Uint8Array.from([...graphPrefix, ...initPrefix]), head, Uint8Array.from(rawPrefix), raw];
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = Buffer.allocUnsafe(parts.reduce((s, p) => s + p.byteLength, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.byteLength;
  }
  return out;
}

/** The nodes some graph output depends on, in order (a builder rewrite can leave a node unread). */
function liveNodes(g: Graph): Graph['nodes'] {
  const live = new Set<Value>(g.outputs.map((o) => o.value));
  const keep: boolean[] = new Array<boolean>(g.nodes.length).fill(false);
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i]!;
    if (!n.outputs.some((o) => live.has(o))) continue;
    keep[i] = true;
    for (const v of n.inputs) live.add(v);
  }
  return g.nodes.filter((_, i) => keep[i]);
}

/** Serialises the graph. Values are named by their `name` or `#<id>`. */
export function serialize(g: Graph, opts: SerializeOptions = {}): SerializedModel {
  const nameOf = (v: Value): string => v.name ?? `#${v.id}`;
  const threshold = opts.externalThreshold ?? defaultThreshold(g);
  const file = opts.externalFile ?? 'memory';
  const external: ExternalChunk[] = [];
  let fileOffset = 0;

  const appended: Uint8Array[] = [];
  const initializer: TensorProtoObj[] = [];
  for (const c of g.consts) {
    const raw = bytesOf(c.data!);
    const t: TensorProtoObj = { name: nameOf(c), dims: c.shape as number[], dataType: OnnxDataType[c.dtype] };
    if (raw.byteLength >= threshold) initializer.push(externalTensor(t, raw));
    else if (raw.byteLength < APPEND_MIN) initializer.push({ ...t, rawData: raw });
    else appended.push(...appendedInitializer(t, raw));
  }

  function externalTensor(t: TensorProtoObj, raw: Uint8Array): TensorProtoObj {
    const location = file === 'memory' ? `ext_${external.length}.bin` : file;
    // 64 KiB alignment lets ORT memory-map each tensor from the file (onnx_ir does the same).
    const offset = file === 'memory' ? 0 : Math.ceil(fileOffset / 65536) * 65536;
    fileOffset = offset + raw.byteLength;
    external.push({ location, offset, data: raw });
    const entry = (key: string, value: string | number): { key: string; value: string } => ({
      key,
      value: String(value),
    });
    return {
      ...t,
      dataLocation: DATA_LOCATION_EXTERNAL,
      externalData: [entry('location', location), entry('offset', offset), entry('length', raw.byteLength)],
    };
  }

  let usesMs = false;
  const node: NodeProtoObj[] = liveNodes(g).map((n, i) => {
    const e = (RULES[n.op].emit as (a: unknown) => ReturnType<(typeof RULES)[typeof n.op]['emit']>)(n.attrs);
    if (e.domain) usesMs = true;
    return {
      name: `${n.op}_${i}`,
      opType: e.opType,
      domain: e.domain ?? '',
      input: n.inputs.map(nameOf),
      output: n.outputs.map(nameOf),
      attribute: Object.entries(e.attrs ?? {}).map(([k, a]) => attrProto(k, a)),
    };
  });

  const model: ModelProtoObj = {
    irVersion: IR_VERSION,
    producerName: 'smolmap',
    producerVersion: '0.1.0',
    opsetImport: [
      { domain: '', version: OPSET },
      ...(usesMs ? [{ domain: 'com.microsoft', version: 1 }] : []),
    ],
    graph: {
      name: 'smolmap',
      node,
      initializer,
      input: g.inputs.map((v) => valueInfo(nameOf(v), v)),
      output: g.outputs.map((o) => valueInfo(o.name, o.value)),
    },
  };
  const bytes = concat([ModelProto.encode(model).finish(), ...appended]);
  if (bytes.byteLength >= 2 ** 31) {
    throw new SmolmapError(
      'graph_too_large',
      `the serialised model is ${bytes.byteLength} bytes, over protobuf's 2 GB limit; pass a lower externalThreshold`,
    );
  }
  return { model: bytes, external };
}

/** In-memory external data for createSession (serialised with externalFile 'memory'). */
export function externalDataFiles(m: SerializedModel): { path: string; data: Uint8Array }[] {
  return m.external.map((c) => ({ path: c.location, data: c.data }));
}

/**
 * Writes `model.onnx` and its external data next to it (serialised with `externalFile` set to a bare file name).
 * Chunks are written one by one, so a multi-GB model is never concatenated in memory.
 */
export function writeModel(modelPath: string, m: SerializedModel): void {
  const locations = new Set(m.external.map((c) => c.location));
  for (const loc of locations) {
    if (loc !== basename(loc))
      throw new SmolmapError('graph_bad_location', `external location "${loc}" must be a bare file name`);
    const fd = openSync(join(dirname(modelPath), loc), 'w');
    try {
      for (const c of m.external)
        if (c.location === loc) writeSync(fd, c.data, 0, c.data.byteLength, c.offset);
    } finally {
      closeSync(fd);
    }
  }
  const fd = openSync(modelPath, 'w');
  try {
    writeSync(fd, m.model);
  } finally {
    closeSync(fd);
  }
}
