/**
 * The decoding loop: prefill the prompt in one run, then one run per generated token on the KV cache.
 * A constraint (the mapper's spec grammar: allowed/accept/forced/done, as GrammarMatcher) masks every step's
 * logits; tokens it forces are appended without a model step and fed together with the chosen token in the
 * next, multi-token step (ARCHITECTURE.md: "Tokens the grammar forces are appended without a model step").
 *
 * Two things cut model work without changing the output:
 * - prefix reuse (prefix.ts): the prompt's longest prefix shared with a recent prompt (same runtime, same
 *   adapter) comes from the cache; only the rest is prefilled.
 * - prompt-lookup speculation (lookup.ts, greedy only): the step that feeds the decided tokens also feeds a
 *   draft copied from the context and returns the logits of every draft position. Each next choice is then made
 *   exactly as without a draft — same masked row, same argmax — from the row of the position it follows, as
 *   long as the decided tokens agree with the draft; at the first disagreement the draft's remaining positions
 *   are cut from the cache and the next step feeds the decided tokens. The constraint only ever sees decided
 *   tokens, so it needs no rollback.
 */
import { SmolmapError } from '../errors.js';
import type { LoraAdapter } from '../model/lora.js';
import { KvCache } from './kv.js';
import { lookupDraft, type LookupOptions } from './lookup.js';
import type { HostTensor } from './ort.js';
import { prefixCache, type PrefixCache } from './prefix.js';
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
  /**
   * false: one model step per forced token instead of one multi-token step (for comparisons); also turns
   * speculation off. Default true.
   */
  skipForced?: boolean;
  /** Reuse the runtime's cached keys and values of a shared prompt prefix (prefix.ts). Default true. */
  prefixCache?: boolean;
  /**
   * Prompt-lookup speculation (greedy decoding only, and only on a graph that can return several positions'
   * logits): true (default) with lookup.ts's defaults, options, or false.
   */
  speculate?: boolean | LookupOptions;
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
  /** Prompt tokens whose keys and values came from the prefix cache (not prefilled). */
  reusedPromptTokens: number;
  /** Draft tokens fed for verification, and how many of them turned out to be the decoded tokens. */
  draftTokens: number;
  acceptedDraftTokens: number;
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
  const lora = rt.loraFeeds(options.adapter ?? null);
  const t0 = performance.now();
  const pre = await prefill(rt, lora, promptIds, options.prefixCache === false ? null : prefixCache(rt));
  const { kv } = pre;
  const prefillMs = performance.now() - t0;
  // Speculation verifies a greedy choice per drafted position, so it needs greedy decoding and every row.
  const lookup = speculation(options, sampler.greedy);
  const stats = { drafted: 0, accepted: 0 };
  const out: GeneratedToken[] = [];
  const ids: number[] = [];
  const push = (t: GeneratedToken): void => {
    out.push(t);
    ids.push(t.id);
    options.onToken?.(t);
  };
  // Window of the last model step: rows[i] are the logits after the fed draft's first i tokens; `stream` holds
  // the tokens decided since that step. rows[stream.length] is usable while `stream` agrees with the draft.
  let rows = [pre.logits];
  let draft: number[] = [];
  let stream: number[] = [];
  let firstAt = 0;
  let reason: StopReason = 'length';
  while (out.length < maxTokens) {
    if (c?.done()) {
      reason = 'constraint';
      break;
    }
    const row = rows[stream.length]!;
    if (c) applyMask(row, c.allowed());
    options.processLogits?.(row, ids);
    const id = sampler.choose(row);
    c?.accept(id);
    push({ id, logprob: logProb(row, id), forced: false });
    stream.push(id);
    if (out.length === 1) firstAt = performance.now();
    if (stops.has(id)) {
      reason = 'stop';
      break;
    }
    for (const f of c?.forced() ?? []) {
      if (out.length >= maxTokens) break;
      c!.accept(f);
      push({ id: f, logprob: 0, forced: true });
      stream.push(f);
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
    const agreed = commonPrefix(stream, draft);
    if (agreed === stream.length && agreed <= draft.length) continue; // the draft was right so far
    stats.accepted += agreed;
    kv.truncate(kv.length - (draft.length - agreed)); // drop the rejected draft positions
    const pending = stream.slice(agreed);
    if (options.skipForced === false) {
      for (const t of pending) rows = await kv.step([[t]]);
      draft = [];
    } else {
      draft =
        lookup && kv.multiLogits
          ? lookupDraft([...promptIds, ...ids], lookup, maxTokens - out.length - 1)
          : [];
      stats.drafted += draft.length;
      rows =
        draft.length > 0
          ? await kv.stepKeep([...pending, ...draft], draft.length + 1)
          : await kv.step([pending]);
    }
    stream = [];
  }
  stats.accepted += Math.min(commonPrefix(stream, draft), draft.length);
  const end = performance.now();
  return {
    tokens: out,
    stopReason: reason,
    timings: {
      ...timings(promptIds.length, t0, prefillMs, firstAt, end, out.length, kv.steps),
      reusedPromptTokens: pre.reused,
      draftTokens: stats.drafted,
      acceptedDraftTokens: stats.accepted,
    },
  };
}

/** The prompt's logits on a cache holding its keys and values, reusing a stored prefix when there is one. */
async function prefill(
  rt: BaseRuntime,
  lora: Record<string, HostTensor>,
  promptIds: readonly number[],
  cache: PrefixCache | null,
): Promise<{ kv: KvCache; logits: Float32Array; reused: number }> {
  const hit = cache?.lookup(lora, promptIds) ?? null;
  const kv = hit ? KvCache.resume(rt, lora, hit.kv, hit.length) : new KvCache(rt, 1, lora);
  const [logits] = await kv.step([promptIds.slice(hit?.length ?? 0)]);
  const tensors = kv.tensors();
  if (cache && tensors) cache.store(lora, promptIds, tensors);
  return { kv, logits: logits!, reused: hit?.length ?? 0 };
}

function speculation(options: DecodeOptions, greedy: boolean): LookupOptions | null {
  const s = options.speculate ?? true;
  if (s === false || !greedy || options.skipForced === false) return null;
  return s === true ? {} : s;
}

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

function timings(
  promptTokens: number,
  t0: number,
  prefillMs: number,
  firstAt: number,
  end: number,
  generated: number,
  steps: number,
): Omit<DecodeTimings, 'reusedPromptTokens' | 'draftTokens' | 'acceptedDraftTokens'> {
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
