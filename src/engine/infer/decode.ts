/**
 * The decoding loop: prefill the prompt in one run, then one run per generated token on the KV cache.
 * A constraint (the mapper's spec grammar: allowed/accept/forced/done, as GrammarMatcher) masks every step's
 * logits; tokens it forces are appended without a model step and fed together with the chosen token in the
 * next, multi-token step (ARCHITECTURE.md: "Tokens the grammar forces are appended without a model step").
 */
import { SmolmapError } from '../errors.js';
import type { LoraAdapter } from '../model/lora.js';
import { KvCache } from './kv.js';
import type { BaseRuntime } from './runtime.js';
import { applyMask, logProb, Sampler, type SamplingOptions } from './sample.js';

/** What the decoder needs from a token-level grammar matcher (infer/grammar's GrammarMatcher fits). */
export interface DecodeConstraint {
  allowed(): Uint32Array;
  accept(tokenId: number): void;
  forced(): number[];
  done(): boolean;
}

export interface GeneratedToken {
  id: number;
  /** log p(id) under the step's (masked) distribution at temperature 1; 0 for forced tokens. */
  logprob: number;
  forced: boolean;
}

export interface DecodeOptions {
  adapter?: LoraAdapter | null;
  /** Most tokens to generate (forced ones included). Default 256. */
  maxTokens?: number;
  /** Tokens that end generation (kept as the last token). Default: the tokenizer's stop tokens. */
  stopTokens?: readonly number[];
  sampling?: SamplingOptions;
  constraint?: DecodeConstraint;
  /** Called with each step's logits (mutable, after the constraint's mask) before a token is chosen. */
  processLogits?: (logits: Float32Array, generated: readonly number[]) => void;
  onToken?: (token: GeneratedToken) => void;
  /** false: one model step per forced token instead of one multi-token step (for comparisons). Default true. */
  skipForced?: boolean;
}

export interface DecodeTimings {
  promptTokens: number;
  prefillMs: number;
  prefillTokensPerSecond: number;
  timeToFirstTokenMs: number;
  /** Tokens after the first, over the time after the first. */
  decodeTokensPerSecond: number;
  totalMs: number;
  modelSteps: number;
}

export type StopReason = 'stop' | 'length' | 'constraint';

export interface DecodeResult {
  tokens: GeneratedToken[];
  stopReason: StopReason;
  timings: DecodeTimings;
}

/** Generates a continuation of `promptIds` on `rt`. */
export async function decode(
  rt: BaseRuntime,
  promptIds: readonly number[],
  options: DecodeOptions = {},
): Promise<DecodeResult> {
  if (promptIds.length === 0) {
    throw new SmolmapError('decode_empty_prompt', 'the prompt has no tokens; give some text to continue');
  }
  const maxTokens = options.maxTokens ?? 256;
  const stops = new Set(options.stopTokens ?? rt.tokenizer.stopTokenIds);
  const sampler = new Sampler(options.sampling);
  const c = options.constraint;
  const kv = new KvCache(rt, 1, rt.loraFeeds(options.adapter ?? null));
  const out: GeneratedToken[] = [];
  const ids: number[] = [];
  const push = (t: GeneratedToken): void => {
    out.push(t);
    ids.push(t.id);
    options.onToken?.(t);
  };
  const t0 = performance.now();
  let [logits] = await kv.step([promptIds]);
  const prefillMs = performance.now() - t0;
  let firstAt = 0;
  let reason: StopReason = 'length';
  while (out.length < maxTokens) {
    if (c?.done()) {
      reason = 'constraint';
      break;
    }
    const row = logits!;
    if (c) applyMask(row, c.allowed());
    options.processLogits?.(row, ids);
    const id = sampler.choose(row);
    c?.accept(id);
    push({ id, logprob: logProb(row, id), forced: false });
    if (out.length === 1) firstAt = performance.now();
    if (stops.has(id)) {
      reason = 'stop';
      break;
    }
    const pending = [id];
    for (const f of c?.forced() ?? []) {
      if (out.length >= maxTokens) break;
      c!.accept(f);
      push({ id: f, logprob: 0, forced: true });
      pending.push(f);
      if (stops.has(f)) break;
    }
    if (stops.has(ids[ids.length - 1]!)) {
      reason = 'stop';
      break;
    }
    if (out.length >= maxTokens || c?.done()) {
      reason = out.length >= maxTokens ? 'length' : 'constraint';
      break;
    }
    if (options.skipForced === false) {
      for (const t of pending) [logits] = await kv.step([[t]]);
    } else {
      [logits] = await kv.step([pending]);
    }
  }
  const end = performance.now();
  return {
    tokens: out,
    stopReason: reason,
    timings: timings(promptIds.length, t0, prefillMs, firstAt, end, out.length, kv.steps),
  };
}

function timings(
  promptTokens: number,
  t0: number,
  prefillMs: number,
  firstAt: number,
  end: number,
  generated: number,
  steps: number,
): DecodeTimings {
  const decodeMs = firstAt ? end - firstAt : 0;
  return {
    promptTokens,
    prefillMs,
    prefillTokensPerSecond: (promptTokens * 1000) / prefillMs,
    timeToFirstTokenMs: firstAt ? firstAt - t0 : 0,
    decodeTokensPerSecond: generated > 1 && decodeMs > 0 ? ((generated - 1) * 1000) / decodeMs : 0,
    totalMs: end - t0,
    modelSteps: steps,
  };
}
