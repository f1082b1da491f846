/**
 * The decoding loop: prefill the prompt in one run, then one run per generated token on the KV cache.
 * A constraint (the mapper's spec grammar: allowed/accept/forced/done, as GrammarMatcher) masks every step's
 * logits; tokens it forces are appended without a model step and fed together with the chosen token in the
 * next, multi-token step.
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
 * Rows come lazily (head.ts): a constrained greedy step with few allowed tokens computes only their logits, and
 * rows of rejected draft positions are never computed.
 */
import { SmolmapError } from '../errors.js';
import type { LoraAdapter } from '../model/lora.js';
import { allowedOf, type LogitRows } from './head.js';
import { KvCache, sliceKv } from './kv.js';
import {
  answerHistory,
  type AnswerHistory,
  constrainedDraft,
  lookupDraft,
  type DraftConstraint,
  type LookupOptions,
} from './lookup.js';
import type { HostTensor } from './ort.js';
import { prefixCache, type PrefixCache } from './prefix.js';
import type { BaseRuntime } from './runtime.js';
import { argmax, logProb, Sampler, type SamplingOptions } from './sample.js';

/** What the decoder needs from a token-level grammar matcher (infer/grammar's GrammarMatcher fits). */
export interface DecodeConstraint {
  allowed(): Uint32Array;
  accept(tokenId: number): void;
  forced(): number[];
  done(): boolean;
  /**
   * An independent copy in the same state and, with `isAllowed`, lets speculation keep its drafts inside the
   * constraint (lookup.ts `constrainedDraft`); without them drafts are unconstrained (and wasted where refused).
   */
  clone?(): DecodeConstraint;
  isAllowed?(tokenId: number): boolean;
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
  /**
   * Like `processLogits`, but it sees only the allowed tokens and may only move their logits (−∞ drops one), as
   * a logit bias does (the mapper's processors, processors/index.ts). It runs after
   * `processLogits`; under greedy constrained decoding it gets the lazy head's allowed logits (head.ts: JS
   * logits for small masks), so it costs no head-session run and no full-vocabulary row.
   */
  biasAllowed?: (allowed: AllowedLogits, generated: readonly number[]) => void;
  onToken?: (token: GeneratedToken) => void;
  /**
   * false: one model step per forced token instead of one multi-token step (for comparisons); also turns
   * speculation off. Default true.
   */
  skipForced?: boolean;
  /**
   * Reuse cached keys and values of a shared prompt prefix (prefix.ts): true (default) uses the runtime's
   * cache, a PrefixCache uses that one (benchmarks compare variants with separate caches), false turns it off.
   */
  prefixCache?: boolean | PrefixCache;
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
  const cache = options.prefixCache ?? true;
  const spec = speculation(rt, lora, options, sampler.greedy, stops);
  const drafter = spec?.drafter ?? null;
  const pre = await prefill(
    rt,
    lora,
    promptIds,
    cache === true ? prefixCache(rt) : cache || null,
    drafter ? (budget) => drafter(promptIds, budget) : null,
    maxTokens - 1,
  );
  const { kv } = pre;
  const prefillMs = performance.now() - t0;
  const win = new StepWindow(kv, pre.rows, pre.draft, drafter, options.skipForced === false);
  const out: GeneratedToken[] = [];
  const ids: number[] = [];
  const push = (t: GeneratedToken): void => {
    out.push(t);
    ids.push(t.id);
    win.decided(t.id);
    options.onToken?.(t);
  };
  let firstAt = 0;
  let reason: StopReason = 'length';
  while (out.length < maxTokens) {
    if (c?.done()) {
      reason = 'constraint';
      break;
    }
    const { id, logprob } = await chooseToken(
      win,
      c,
      sampler,
      options.processLogits,
      options.biasAllowed,
      ids,
    );
    c?.accept(id);
    push({ id, logprob, forced: false });
    if (out.length === 1) firstAt = performance.now();
    if (stops.has(id)) {
      reason = 'stop';
      break;
    }
    for (const f of c?.forced() ?? []) {
      if (out.length >= maxTokens) break;
      c!.accept(f);
      push({ id: f, logprob: 0, forced: true });
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
    await win.next(() => [...promptIds, ...ids], maxTokens - out.length - 1);
  }
  const end = performance.now();
  spec?.history?.add(lora, ids);
  const stats = win.finish();
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

/**
 * The next token and its log-probability under the step's (masked) distribution. Sampling reads every value
 * and a hook may move any, so both get the full row; a greedy masked choice needs only the allowed logits
 * (head.ts `LogitRows.greedy`: the same choice and log-probability, without a full-length row).
 */
async function chooseToken(
  win: StepWindow,
  c: DecodeConstraint | undefined,
  sampler: Sampler,
  hook: DecodeOptions['processLogits'],
  bias: DecodeOptions['biasAllowed'],
  generated: readonly number[],
): Promise<{ id: number; logprob: number }> {
  if (c && sampler.greedy && !hook) {
    if (!bias) return win.greedy(c.allowed());
    // A bias alone sees only allowed logits: the lazy head's JS values when it can, no full-length row.
    const allowed = await win.allowed(c.allowed());
    bias(allowed, generated);
    return greedyAllowed(allowed);
  }
  const row = c ? await win.masked(c.allowed(), true) : await win.row();
  hook?.(row, generated);
  if (bias) {
    const allowed = allowedOf(row);
    bias(allowed, generated);
    for (let k = 0; k < allowed.ids.length; k++) row[allowed.ids[k]!] = allowed.logits[k]!;
  }
  const id = sampler.choose(row);
  return { id, logprob: logProb(row, id) };
}

/** The allowed tokens of a step, ascending, and their logits (which a `biasAllowed` hook moves in place). */
export interface AllowedLogits {
  ids: ArrayLike<number>;
  logits: Float32Array;
}

/** The greedy choice among allowed logits and its log-probability, as `argmax` and `logProb` on the row. */
function greedyAllowed(a: AllowedLogits): { id: number; logprob: number } {
  const best = argmax(a.logits);
  const max = a.logits[best]!;
  let sum = 0;
  for (let k = 0; k < a.logits.length; k++) sum += Math.exp(a.logits[k]! - max);
  return { id: a.ids[best]!, logprob: -Math.log(sum) };
}

/** Proposes at most `budget` draft tokens after `context` (prompt and decided tokens). */
type Drafter = (context: readonly number[], budget: number) => number[];

/**
 * The last model step's logits and the draft they cover: `rows[i]` follows the step's decided tokens plus the
 * draft's first i tokens, and `stream` holds the tokens decided since. `rows[stream.length]` is the next
 * choice's row while `stream` agrees with the draft; otherwise a step is due.
 */
class StepWindow {
  private stream: number[] = [];
  private drafted: number;
  private accepted = 0;

  /** `rows` and `draft`: the prefill's, which may already carry a draft (see `prefill`). */
  constructor(
    private readonly kv: KvCache,
    private rows: LogitRows,
    private draft: number[],
    private readonly drafter: Drafter | null,
    private readonly oneByOne: boolean,
  ) {
    this.drafted = draft.length;
  }

  row(): Promise<Float32Array> {
    return this.rows.row(this.stream.length);
  }

  masked(mask: Uint32Array, exactValues: boolean): Promise<Float32Array> {
    return this.rows.masked(this.stream.length, mask, exactValues);
  }

  greedy(mask: Uint32Array): Promise<{ id: number; logprob: number }> {
    return this.rows.greedy(this.stream.length, mask);
  }

  allowed(mask: Uint32Array): Promise<AllowedLogits> {
    return this.rows.allowed(this.stream.length, mask);
  }

  decided(id: number): void {
    this.stream.push(id);
  }

  /**
   * Makes the next row available: nothing to do while the draft agrees; otherwise cut the rejected draft
   * positions and feed the undecided-in-cache tokens, plus a new draft of at most `budget` tokens.
   */
  async next(context: () => readonly number[], budget: number): Promise<void> {
    const agreed = commonPrefix(this.stream, this.draft);
    if (agreed === this.stream.length) return; // the draft was right so far
    this.accepted += agreed;
    this.kv.truncate(this.kv.length - (this.draft.length - agreed));
    const pending = this.stream.slice(agreed);
    this.stream = [];
    this.draft = [];
    if (this.oneByOne) {
      for (const t of pending) this.rows = await this.kv.stepRows([t]);
      return;
    }
    if (this.drafter && this.kv.multiLogits) this.draft = this.drafter(context(), budget);
    this.drafted += this.draft.length;
    this.rows =
      this.draft.length > 0
        ? await this.kv.stepKeepRows([...pending, ...this.draft], this.draft.length + 1)
        : await this.kv.stepRows(pending);
  }

  finish(): { drafted: number; accepted: number } {
    return { drafted: this.drafted, accepted: this.accepted + commonPrefix(this.stream, this.draft) };
  }
}

/**
 * The prompt's logits on a cache holding its keys and values, reusing a stored prefix when there is one. With a
 * `draft` function the prefill also feeds a draft of the answer's first tokens (at most `budget`) and returns a
 * row per draft position, as a decoding step does (StepWindow): the opening the grammar forces and, from the
 * answer history, the tokens that followed it last time are then verified by the prefill instead of a step of
 * their own. The prefix cache keeps only the prompt's positions.
 */
async function prefill(
  rt: BaseRuntime,
  lora: Record<string, HostTensor>,
  promptIds: readonly number[],
  cache: PrefixCache | null,
  draftFn: ((budget: number) => number[]) | null,
  budget: number,
): Promise<{ kv: KvCache; rows: LogitRows; draft: number[]; reused: number }> {
  const hit = cache?.lookup(lora, promptIds) ?? null;
  const kv = hit ? KvCache.resume(rt, lora, hit.kv, hit.length) : new KvCache(rt, 1, lora);
  const rest = promptIds.slice(hit?.length ?? 0);
  const draft = draftFn && kv.multiLogits && budget > 0 ? draftFn(budget) : [];
  const rows =
    draft.length > 0 ? await kv.stepKeepRows([...rest, ...draft], draft.length + 1) : await kv.stepRows(rest);
  const tensors = kv.tensors();
  if (cache && tensors)
    cache.store(lora, promptIds, draft.length > 0 ? sliceKv(tensors, promptIds.length) : tensors);
  return { kv, rows, draft, reused: hit?.length ?? 0 };
}

/**
 * The drafter of a decode, or null without speculation: it verifies a greedy choice per drafted position, so it
 * needs greedy decoding, and skipForced: false asks for one-token steps.
 */
function speculation(
  rt: BaseRuntime,
  lora: Record<string, HostTensor>,
  options: DecodeOptions,
  greedy: boolean,
  stops: ReadonlySet<number>,
): { drafter: Drafter; history: AnswerHistory | null } | null {
  const s = options.speculate ?? true;
  if (s === false || !greedy || options.skipForced === false) return null;
  const lookup: LookupOptions = s === true ? {} : s;
  const h = lookup.history ?? true;
  const history = h === false ? null : h === true ? answerHistory(rt) : h;
  const answers = history?.answers(lora) ?? [];
  const c = options.constraint;
  const drafter: Drafter = (context, budget) => {
    const sim = c?.clone && c.isAllowed ? (c.clone() as DraftConstraint) : null;
    return sim
      ? constrainedDraft(context, sim, stops, lookup, budget, answers)
      : lookupDraft(context, lookup, budget, answers);
  };
  return { drafter, history };
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
