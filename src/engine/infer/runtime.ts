/**
 * A loaded base model: config, tokenizer and ONE ORT inference session whose graph takes LoRA A/B inputs for
 * all seven projections of every layer (rank `r` a dynamic dim). Any adapter — or none, fed as rank-0 tensors —
 * runs on the same session, so switching adapters per request rebuilds nothing. alpha/r is
 * folded into B at feed time, which lets adapters of any scale share the graph. Runtimes are cached per
 * (source, quantisation) for the life of the process. i8 adds a second session, f32, for runs of `f32From` tokens
 * or more (`wide`); both take the same feeds and KV cache.
 */
import os from 'node:os';
import { stat } from 'node:fs/promises';

import { SmolmapError } from '../errors.js';
import { serialize } from '../model/graph/serialize.js';
import { inferenceGraph, type LlamaLora, type LoraHook, type Projector } from '../model/llama.js';
import { fastInferenceGraph } from '../model/llama-fast.js';
import { groupedLoraTensors, type BaseRank } from '../model/lora-groups.js';
import { loraScale, loraTensorName, projectionDims, type LoraAdapter } from '../model/lora.js';
import { int8Projector, quantProjector, type WeightQuant } from '../model/quant.js';
import { loadTokenizer, loadTokenizerFromGguf, type Tokenizer } from '../model/tokenizer/index.js';
import { LORA_TARGETS, type LlamaConfig, type WeightMap } from '../model/types.js';
import { loadWeights, resolveModelSource } from '../model/weights/load.js';
import type { Graph } from '../model/graph/builder.js';
import { baseRankTensors, ggufProjector, loadGgufNBits, type GgufNBits } from '../model/gguf-nbits.js';
import { createLmHead, type LmHead } from './head.js';
import { activationMaxima, smoothingFactors } from './smooth.js';
import { createSession, f32, i64, type HostTensor, type Session } from './ort.js';

/** Graph input selecting how many trailing positions get logits (llama.ts `logits: 'keep'`). */
const KEEP = 'num_logits_to_keep';
const KEEP_LAST = i64([1], []);

export interface RuntimeOptions {
  /** Weight format of the projections and LM head: f32, q8 or q4 (MatMulNBits). Default 'f32'. */
  quant?: WeightQuant;
  /** Intra-op threads; default: one per core. */
  threads?: number;
  /**
   * Let idle intra-op threads spin. Default false: on the 2-core box with other work running, spinning cut
   * q4 decode from 5.5 to 2.5 tok/s (bench/inference, load average 12); on an idle machine it gains a little.
   */
  spinning?: boolean;
  /**
   * MatMulNBits accuracy_level: 4 (default) quantises activations to int8 per block; 1 computes in f32, which
   * ORT has no kernel for at 8 bits (it dequantises every run: q8 decode 1.3 tok/s), so 1 suits 4-bit only.
   */
  accuracyLevel?: 1 | 4;
  /**
   * 'fast' (default): llama-fast.ts, ORT's fused contrib ops with grouped LoRA inputs. 'standard': the plain
   * emission (llama.ts `inferenceGraph`, the one the ONNX export writes), per-projection LoRA inputs.
   */
  graph?: 'fast' | 'standard';
  /**
   * f32 only: the session ends at the final-normed hidden rows and logits are made on demand (head.ts: the
   * allowed tokens' dot products in JS, else a head-only session). Default true; q8/q4 keep their 8-bit head in
   * the graph.
   */
  lazyHead?: boolean;
  /**
   * i8 only: SmoothQuant's α (smooth.ts), the share of each input channel's range moved from the activations
   * into the weights; 0 quantises without smoothing. Default 0.5.
   */
  smoothing?: number;
  /**
   * i8 only: runs of at least this many tokens (a task's prefill) go through a second, f32 session, so the
   * prompt is read exactly and int8 serves the short verification steps. Default 12; 0 runs everything in int8
   * (less memory, faster, less accurate: bench/README).
   */
  f32From?: number;
  /** Applies the frozen projections instead of the weight mode's own (internal: int8 calibration, smooth.ts). */
  projector?: Projector;
  /** Write an ORT profile trace with this file prefix (`session.endProfiling()`); diagnostics only. */
  profilePrefix?: string;
}

export interface BaseRuntime {
  readonly config: LlamaConfig;
  readonly tokenizer: Tokenizer;
  readonly quant: WeightQuant;
  readonly session: Session;
  /** i8 with `f32From`: the f32 session that runs steps of at least `from` tokens (KvCache picks it). */
  readonly wide?: { session: Session; from: number };
  /** Set when `session` outputs `hidden` instead of `logits` (RuntimeOptions.lazyHead). */
  readonly head: LmHead | null;
  /** Seconds spent loading weights, building the graph and creating the session. */
  readonly loadSeconds: number;
  /** LoRA inputs for `adapter` (null = no adapter), cached per adapter object. */
  loraFeeds(adapter: LoraAdapter | null): Record<string, HostTensor>;
  release(): Promise<void>;
}

/** Every projection of every layer, with the graph input names the adapters' tensors use. */
export function allLoraHooks(cfg: LlamaConfig): LoraHook[] {
  const hooks: LoraHook[] = [];
  for (let layer = 0; layer < cfg.num_hidden_layers; layer++) {
    for (const target of LORA_TARGETS) {
      const a = loraTensorName(layer, target, 'A');
      hooks.push({ layer, target, a, b: loraTensorName(layer, target, 'B') });
    }
  }
  return hooks;
}

/**
 * Feeds for every hook. Unadapted projections get zero A and B of the adapter's rank; the adapter's B is
 * pre-multiplied by alpha/r since the graph's LoRA scale is 1.
 */
export function buildLoraFeeds(cfg: LlamaConfig, adapter: LoraAdapter | null): Record<string, HostTensor> {
  const r = adapter?.config.r ?? 0; // rank 0: empty LoRA products, nearly free
  const scale = adapter ? loraScale(adapter.config) : 0;
  const feeds: Record<string, HostTensor> = {};
  for (const h of allLoraHooks(cfg)) {
    const [inF, outF] = projectionDims(cfg, h.target);
    const a = adapter?.tensors.get(h.a);
    const b = adapter?.tensors.get(h.b);
    if (a && b) {
      if (a.shape.join() !== `${r},${inF}` || b.shape.join() !== `${outF},${r}`) {
        throw new SmolmapError(
          'adapter_base_mismatch',
          `adapter tensor ${h.a} is [${a.shape}] and ${h.b} is [${b.shape}], but this base model needs [${r}, ${inF}] and [${outF}, ${r}]; use the base model the adapter was trained on`,
        );
      }
      feeds[h.a] = f32(a.data, a.shape);
      feeds[h.b] = f32(
        b.data.map((v) => v * scale),
        b.shape,
      );
    } else {
      feeds[h.a] = f32(new Float32Array(r * inF), [r, inF]);
      feeds[h.b] = f32(new Float32Array(outF * r), [outF, r]);
    }
  }
  return feeds;
}

/** Grouped LoRA feeds of the fast graph (lora-groups.ts), alpha/r folded into B, plus any base rank. */
export function groupedLoraFeeds(
  cfg: LlamaConfig,
  adapter: LoraAdapter | null,
  base?: BaseRank,
): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  for (const [name, t] of groupedLoraTensors(cfg, adapter, base)) feeds[name] = f32(t.data, t.shape);
  return feeds;
}

/**
 * The inference graph for the options and how to feed LoRA to it. Both quantised modes run a GGUF source's
 * Q4_0/Q4_1/Q8_0 blocks exactly as stored (gguf-nbits.ts; Q4_1 mins on the grouped LoRA path, so the fast
 * graph only): re-quantising them could only add error — on SmolLM2-135M-Instruct Q4_1, 8-bit re-quantisation
 * flipped the chat answer, whose first token leads its runner-up by 0.08 logits in f32. Other weights are
 * re-quantised (quant.ts) to 8 (q8) or 4 (q4) bits, the LM head to 8 bits in both (a 4-bit head caused most
 * of q4's logit error).
 */
function buildGraph(
  config: LlamaConfig,
  weights: WeightMap,
  options: RuntimeOptions,
  gguf: ReadonlyMap<string, GgufNBits> | undefined,
  smooth?: ReadonlyMap<string, Float32Array>,
): { graph: Graph; feedsFor: (adapter: LoraAdapter | null) => Record<string, HostTensor> } {
  const quant = options.quant ?? 'f32';
  const fast = (options.graph ?? 'fast') === 'fast';
  const acc = options.accuracyLevel ?? 4;
  let project: Projector | undefined = options.projector;
  let base: BaseRank = new Map();
  if (project) {
    // the caller's (calibration)
  } else if (quant === 'i8') {
    project = int8Projector(weights, smooth);
  } else if (quant !== 'f32') {
    project = quantProjector(weights, quant, acc);
    if (gguf) {
      project = ggufProjector(gguf, project, fast, acc);
      if (fast) base = baseRankTensors(config, gguf);
    }
  }
  const lora: LlamaLora = { scale: 1, modules: allLoraHooks(config) };
  const output = lazyHead(options) ? 'hidden' : 'logits';
  const graph = fast
    ? fastInferenceGraph(config, weights, { project, logits: 'keep', output })
    : inferenceGraph(config, weights, { lora, project, logits: 'keep', output });
  return {
    graph,
    feedsFor: (adapter) => (fast ? groupedLoraFeeds(config, adapter, base) : buildLoraFeeds(config, adapter)),
  };
}

function lazyHead(options: RuntimeOptions): boolean {
  const quant = options.quant ?? 'f32';
  return (quant === 'f32' || quant === 'i8') && (options.lazyHead ?? true);
}

/**
 * Builds the session for weights already in memory (tests and the loaders below). `gguf`: the source file's
 * quantised blocks (gguf-nbits.ts `loadGgufNBits`), used by the quantised modes where exact.
 */
export async function createRuntime(
  config: LlamaConfig,
  weights: WeightMap,
  tokenizer: Tokenizer,
  options: RuntimeOptions = {},
  gguf?: ReadonlyMap<string, GgufNBits>,
): Promise<BaseRuntime> {
  const t0 = performance.now();
  const quant = options.quant ?? 'f32';
  const threads = options.threads ?? os.availableParallelism();
  const spinning = options.spinning ?? false;
  const alpha = options.smoothing ?? 0.5;
  if (quant === 'i8' && !(alpha >= 0 && alpha <= 1)) {
    throw new SmolmapError('internal', `internal: smoothing must be within [0, 1] (got ${alpha})`);
  }
  const smooth =
    quant === 'i8' && alpha > 0
      ? smoothingFactors(
          weights,
          await activationMaxima(config, weights, tokenizer, (o) =>
            createRuntime(config, weights, tokenizer, { ...o, threads, spinning, graph: options.graph }),
          ),
          alpha,
        )
      : undefined;
  const sessionOf = (g: Graph, profile: boolean): Promise<Session> => {
    const { model, external } = serialize(g);
    return createSession(model, {
      threads,
      spinning,
      ...(profile && options.profilePrefix ? { profilePrefix: options.profilePrefix } : {}),
      externalData: external.map((c) => ({ path: c.location, data: c.data })),
    });
  };
  const { graph, feedsFor } = buildGraph(config, weights, options, gguf, smooth);
  const session = await sessionOf(graph, true);
  const from = quant === 'i8' ? (options.f32From ?? 12) : 0;
  let wide: { session: Session; from: number } | undefined;
  let head: LmHead | null;
  try {
    if (from > 0) {
      const f32Graph = buildGraph(config, weights, { ...options, quant: 'f32' }, undefined).graph;
      wide = { from, session: await sessionOf(f32Graph, false) };
    }
    head = lazyHead(options) ? await createLmHead(config, weights, { threads, spinning }) : null;
  } catch (e) {
    await session.release();
    await wide?.session.release();
    throw e;
  }
  const cache = new WeakMap<LoraAdapter, Record<string, HostTensor>>();
  // The per-adapter feeds also carry the default `num_logits_to_keep` (1: the last position), so callers that
  // do not know the input still run; a caller wanting K logits rows sets it after spreading these feeds.
  const withKeep = (f: Record<string, HostTensor>): Record<string, HostTensor> => ({
    ...f,
    [KEEP]: KEEP_LAST,
  });
  const none = withKeep(feedsFor(null));
  return {
    config,
    tokenizer,
    quant,
    session,
    ...(wide ? { wide } : {}),
    head,
    loadSeconds: (performance.now() - t0) / 1000,
    loraFeeds(adapter) {
      if (!adapter) return none;
      let feeds = cache.get(adapter);
      if (!feeds) {
        feeds = withKeep(feedsFor(adapter));
        cache.set(adapter, feeds);
      }
      return feeds;
    },
    release: async () => {
      await session.release();
      await wide?.session.release();
      await head?.release();
    },
  };
}

const runtimes = new Map<string, Promise<BaseRuntime>>();

/**
 * The runtime of a base model file (.gguf) or Hugging Face folder, created once per process and quantisation.
 * A failed load is not cached, so a fixed file can be retried.
 */
export function loadRuntime(source: string, options: RuntimeOptions = {}): Promise<BaseRuntime> {
  const key = runtimeKey(source, options);
  let p = runtimes.get(key);
  if (!p) {
    p = openRuntime(source, options);
    p.catch(() => runtimes.delete(key));
    runtimes.set(key, p);
  }
  return p;
}

/** Releases the cached runtime of `source` with `options`, if there is one (a weight mode no longer wanted). */
export async function releaseRuntime(source: string, options: RuntimeOptions = {}): Promise<void> {
  const key = runtimeKey(source, options);
  const p = runtimes.get(key);
  runtimes.delete(key);
  await (await p?.catch(() => null))?.release();
}

function runtimeKey(source: string, options: RuntimeOptions): string {
  return `${source}\0${options.quant ?? 'f32'}\0${options.threads ?? 0}\0${options.spinning ?? false}\0${options.accuracyLevel ?? 4}\0${options.graph ?? 'fast'}\0${lazyHead(options)}\0${options.smoothing ?? ''}\0${options.f32From ?? ''}`;
}

async function openRuntime(source: string, options: RuntimeOptions): Promise<BaseRuntime> {
  const t0 = performance.now();
  const isDir = await stat(source).then(
    (s) => s.isDirectory(),
    () => false,
  );
  const [{ config, weights }, tokenizer] = await Promise.all([
    loadWeights(source),
    isDir ? loadTokenizer(source) : loadTokenizerFromGguf(source),
  ]);
  const src = await resolveModelSource(source);
  const quantised = options.quant === 'q4' || options.quant === 'q8';
  const gguf = quantised && src.kind === 'gguf' ? await loadGgufNBits(src.path, config) : undefined;
  const rt = await createRuntime(config, weights, tokenizer, options, gguf);
  return { ...rt, loadSeconds: (performance.now() - t0) / 1000 };
}

/** Releases every cached runtime (end of process, tests). */
export async function releaseRuntimes(): Promise<void> {
  const all = [...runtimes.values()];
  runtimes.clear();
  for (const p of all) await (await p.catch(() => null))?.release();
}
