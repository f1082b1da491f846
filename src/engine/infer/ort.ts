/**
 * The one module that imports onnxruntime-node. Everything else in smolmap talks to ORT
 * through `createSession`, `run` and plain `HostTensor` objects, so the runtime can be swapped or upgraded in
 * one place.
 */
import * as ort from 'onnxruntime-node';

import { SmolmapError } from '../errors.js';

/** Element types smolmap exchanges with ORT. `bool` travels as Uint8Array (0/1), as ORT does. */
export type HostDType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool';

export interface HostDataMap {
  float32: Float32Array;
  float64: Float64Array;
  int64: BigInt64Array;
  int32: Int32Array;
  bool: Uint8Array;
}

/** A dense row-major tensor in JS memory. `data` is shared with ORT, never copied on the way in. */
export interface HostTensor<D extends HostDType = HostDType> {
  dtype: D;
  dims: readonly number[];
  data: HostDataMap[D];
}

/** An external-data file held in memory: `path` must equal a TensorProto `location` in the model. */
export interface ExternalDataFile {
  path: string;
  data: Uint8Array;
}

export interface SessionOptions {
  /** Intra-op threads; 0 lets ORT pick (one per physical core). */
  threads?: number;
  externalData?: readonly ExternalDataFile[];
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * ORT's CPU memory arena (default on). Off returns activation memory to the system after each run, which
   * lowers the peak of big training graphs at some allocation cost.
   */
  memArena?: boolean;
  /**
   * Whether idle intra-op threads spin (ORT's default) instead of sleeping. Spinning cuts per-op latency on a
   * quiet machine; on a busy one the spinners steal the cores the work needs.
   */
  spinning?: boolean;
  /**
   * Whether MatMul kernels keep a pre-packed copy of constant weights (ORT's default). Off saves one copy of
   * every frozen matrix; each run then packs B on the fly, which is cheap next to a many-row training GEMM.
   */
  prepacking?: boolean;
  /**
   * ORT's memory pattern (default on): from the second run, one block sized by the first run's plan. Without the
   * arena, the first run's freed buffers stay in the C heap, so the block comes on top of them; off, every run
   * reuses the heap the first one left.
   */
  memPattern?: boolean;
  /** ORT profiling: a JSON trace per session, named from this prefix (`endProfiling` writes it). */
  profilePrefix?: string;
}

/** Our handle on an ORT session; `run` and `release` are the whole surface. */
export interface Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, HostTensor>, outputs?: readonly string[]): Promise<Record<string, HostTensor>>;
  /** Ends ORT profiling (session created with `profilePrefix`) and writes its trace. */
  endProfiling(): void;
  release(): Promise<void>;
}

export function f32(data: Float32Array, dims: readonly number[]): HostTensor<'float32'> {
  return { dtype: 'float32', dims, data };
}
export function f64(data: Float64Array, dims: readonly number[]): HostTensor<'float64'> {
  return { dtype: 'float64', dims, data };
}
export function i64(data: BigInt64Array | readonly number[], dims: readonly number[]): HostTensor<'int64'> {
  const arr = data instanceof BigInt64Array ? data : BigInt64Array.from(data, (x) => BigInt(x));
  return { dtype: 'int64', dims, data: arr };
}
export function i32(data: Int32Array, dims: readonly number[]): HostTensor<'int32'> {
  return { dtype: 'int32', dims, data };
}

function toOrt(t: HostTensor): ort.Tensor {
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== n) {
    throw new SmolmapError(
      'tensor_shape_mismatch',
      `a ${t.dtype} tensor of dims [${t.dims.join(', ')}] needs ${n} elements but has ${t.data.length}; fix the caller's dims`,
    );
  }
  return new ort.Tensor(t.dtype, t.data, t.dims);
}

function fromOrt(name: string, t: ort.Tensor): HostTensor {
  const dims = [...t.dims];
  switch (t.type) {
    case 'float32':
      return f32(t.data as Float32Array, dims);
    case 'float64':
      return f64(t.data as Float64Array, dims);
    case 'int64':
      return i64(t.data as BigInt64Array, dims);
    case 'int32':
      return i32(t.data as Int32Array, dims);
    case 'bool':
      return { dtype: 'bool', dims, data: t.data as Uint8Array };
    default:
      throw new SmolmapError(
        'ort_unsupported_dtype',
        `output "${name}" has element type ${t.type}, which smolmap does not read; cast it in the graph`,
      );
  }
}

/** Loads a model (serialised bytes or a file path) into a CPU session. */
export async function createSession(
  model: Uint8Array | string,
  options: SessionOptions = {},
): Promise<Session> {
  const opts: ort.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    intraOpNumThreads: options.threads ?? 0,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: options.optimization ?? 'all',
    logSeverityLevel: 3,
    enableCpuMemArena: options.memArena ?? true,
    enableMemPattern: options.memPattern ?? true,
  };
  // Session config entries travel in `extra` as strings.
  const session: Record<string, string | Record<string, string>> = {};
  if (options.spinning === false) session['intra_op'] = { allow_spinning: '0' };
  if (options.prepacking === false) session['disable_prepacking'] = '1';
  if (Object.keys(session).length > 0) opts.extra = { session };
  if (options.profilePrefix) {
    opts.enableProfiling = true;
    opts.profileFilePrefix = options.profilePrefix;
  }
  if (options.externalData)
    opts.externalData = options.externalData.map((f) => ({ path: f.path, data: f.data }));
  let inner: ort.InferenceSession;
  try {
    inner =
      typeof model === 'string'
        ? await ort.InferenceSession.create(model, opts)
        : await ort.InferenceSession.create(model, opts);
  } catch (e) {
    throw new SmolmapError(
      'ort_session_failed',
      `onnxruntime could not load the model: ${e instanceof Error ? e.message : String(e)}; check the graph or file`,
      { cause: e },
    );
  }
  return {
    inputNames: inner.inputNames,
    outputNames: inner.outputNames,
    run: (feeds, outputs) => runInner(inner, feeds, outputs),
    endProfiling: () => inner.endProfiling(),
    release: () => inner.release(),
  };
}

async function runInner(
  inner: ort.InferenceSession,
  feeds: Record<string, HostTensor>,
  outputs?: readonly string[],
): Promise<Record<string, HostTensor>> {
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrt(t);
  let res: ort.InferenceSession.ReturnType;
  try {
    res = outputs ? await inner.run(ortFeeds, outputs) : await inner.run(ortFeeds);
  } catch (e) {
    throw new SmolmapError(
      'ort_run_failed',
      `onnxruntime failed to run the graph: ${e instanceof Error ? e.message : String(e)}; check input names, dtypes and shapes`,
      { cause: e },
    );
  }
  const out: Record<string, HostTensor> = {};
  for (const [name, v] of Object.entries(res)) out[name] = fromOrt(name, v as ort.Tensor);
  return out;
}

/** Runs a session; `outputs` limits which outputs are computed (all by default). */
export function run(
  session: Session,
  feeds: Record<string, HostTensor>,
  outputs?: readonly string[],
): Promise<Record<string, HostTensor>> {
  return session.run(feeds, outputs);
}
