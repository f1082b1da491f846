/**
 * Prompt lookup drafting (Saxena 2023, "Prompt Lookup Decoding", github.com/apoorvumang/prompt-lookup-decoding;
 * Transformers' `prompt_lookup_num_tokens`): outputs that copy from their input (the mapper's answer repeats the
 * task's ids, URLs and names) are predicted by finding the context's last n tokens earlier in the context and
 * proposing what followed them there. The draft is then verified in one model step (decode.ts).
 */

export interface LookupOptions {
  /** Longest n-gram matched (tried first). Default 3. */
  maxNgram?: number;
  /** Shortest n-gram matched. Default 1. */
  minNgram?: number;
  /** Draft tokens proposed at most. Default 8. */
  draftTokens?: number;
  /**
   * Also look drafts up in recent answers under the same adapter (`AnswerHistory`): true (default) uses the
   * runtime's history, an AnswerHistory that one (benchmarks keep variants apart), false none.
   */
  history?: boolean | AnswerHistory;
}

/**
 * The draft after `context`: for n from `maxNgram` down to `minNgram`, the tokens that followed the latest
 * earlier occurrence of the context's last n tokens (latest, because the task — the part the answer copies —
 * ends the prompt), else of a recent answer in `sources` (most recent first). Empty when nothing matches.
 */
export function lookupDraft(
  context: readonly number[],
  options: LookupOptions = {},
  limit = Infinity,
  sources: readonly (readonly number[])[] = [],
): number[] {
  const maxN = options.maxNgram ?? 3;
  const minN = options.minNgram ?? 1;
  const k = Math.min(options.draftTokens ?? 8, limit);
  const len = context.length;
  if (k <= 0) return [];
  for (let n = Math.min(maxN, len - 1); n >= minN; n--) {
    const suffix = context.slice(len - n);
    // In the context, occurrences start at j with j + n < len (the suffix itself is skipped).
    const j = lastOccurrence(context, suffix, len - n - 1);
    if (j >= 0) return context.slice(j + n, Math.min(j + n + k, len));
    for (let s = sources.length - 1; s >= 0; s--) {
      const src = sources[s]!;
      const at = lastOccurrence(src, suffix, src.length - n - 1);
      if (at >= 0) return src.slice(at + n, at + n + k);
    }
  }
  return [];
}

/**
 * Next-token candidates after `context`, best first, in `lookupDraft`'s order (for n from `maxNgram` down to
 * `minNgram`: the context's occurrences of its last n tokens, latest first, then `sources`' occurrences, most
 * recent source first), so the first candidate is `lookupDraft`'s first token. At most `max` are yielded.
 */
export function* lookupCandidates(
  context: readonly number[],
  options: LookupOptions = {},
  sources: readonly (readonly number[])[] = [],
  max = 64,
): Generator<number> {
  const maxN = options.maxNgram ?? 3;
  const minN = options.minNgram ?? 1;
  const len = context.length;
  let left = max;
  for (let n = Math.min(maxN, len - 1); n >= minN; n--) {
    const suffix = context.slice(len - n);
    for (const src of [context, ...[...sources].reverse()]) {
      const end = src === context ? len - n - 1 : src.length - n - 1;
      for (let j = lastOccurrence(src, suffix, end); j >= 0; j = lastOccurrence(src, suffix, j - 1)) {
        if (j + n >= src.length) continue;
        yield src[j + n]!;
        if (--left <= 0) return;
      }
    }
  }
}

/** The largest j <= from with xs[j..j+n) equal to `ngram`, or -1. */
function lastOccurrence(xs: readonly number[], ngram: readonly number[], from: number): number {
  const n = ngram.length;
  for (let j = Math.min(from, xs.length - n); j >= 0; j--) {
    let i = 0;
    while (i < n && xs[j + i] === ngram[i]) i++;
    if (i === n) return j;
  }
  return -1;
}

const histories = new WeakMap<object, AnswerHistory>();

/** The answer history of a runtime (any object owning the decodes; created on first use). */
export function answerHistory(owner: object): AnswerHistory {
  let h = histories.get(owner);
  if (!h) {
    h = new AnswerHistory();
    histories.set(owner, h);
  }
  return h;
}

/**
 * Recent answers per adapter, a second place to look drafts up (as in REST, He et al. 2023, "Retrieval-Based
 * Speculative Decoding", arXiv:2311.08252): a mapper's answers for one spec share their structure and many
 * values, which the prompt does not contain. Bounded; keyed by the adapter's LoRA feeds like the prefix cache.
 */
export class AnswerHistory {
  private readonly byLora = new WeakMap<object, number[][]>();
  constructor(readonly maxAnswers = 32) {}

  add(lora: object, answer: readonly number[]): void {
    if (answer.length === 0) return;
    const list = this.byLora.get(lora) ?? [];
    list.push([...answer]);
    if (list.length > this.maxAnswers) list.shift();
    this.byLora.set(lora, list);
  }

  answers(lora: object): readonly (readonly number[])[] {
    return this.byLora.get(lora) ?? [];
  }
}

/** What drafting needs from a copy of the decoding constraint (GrammarMatcher fits). */
export interface DraftConstraint {
  isAllowed(tokenId: number): boolean;
  accept(tokenId: number): void;
  forced(): number[];
  done(): boolean;
  /** Tokens of the shortest completion from here: the draft's guess where lookup has no allowed candidate. */
  completion?(): number[];
  /**
   * True inside a copied string: there `completion` continues the copy, and replaces lookup's candidate where
   * it starts with the same token.
   */
  copying?(): boolean;
}

/**
 * A draft that stays inside the constraint: where `sim` (a copy of the constraint in the decoder's state)
 * forces tokens, those are the draft — the decoder appends them anyway once the tokens before them are right;
 * elsewhere lookup proposes one token at a time on the context extended by the draft so far, the best candidate
 * the constraint allows (`lookupCandidates`: context, then `sources`); where none is, the constraint's shortest
 * completion (`completion`, e.g. the closing brackets after a value: most calls end there). The draft ends at
 * a refused token, at a stop token, or at `limit` tokens.
 */
export function constrainedDraft(
  context: readonly number[],
  sim: DraftConstraint,
  stops: ReadonlySet<number>,
  options: LookupOptions = {},
  limit = Infinity,
  sources: readonly (readonly number[])[] = [],
): number[] {
  const k = Math.min(options.draftTokens ?? 8, limit);
  const draft: number[] = [];
  while (draft.length < k && !sim.done()) {
    const forced = sim.forced();
    let next = forced.length > 0 ? forced : firstAllowed([...context, ...draft], sim, options, sources);
    if (forced.length === 0 && (next.length === 0 || sim.copying?.())) {
      // The completion: where lookup has nothing, or inside a copy where it agrees with lookup's first token
      // (the copy continued to a likely end of the value goes further than an n-gram's continuation).
      const guess = sim.completion?.() ?? [];
      if (next.length === 0 || guess[0] === next[0]) next = guess;
    }
    if (next.length === 0) break;
    for (const id of next.slice(0, k - draft.length)) {
      if (!sim.isAllowed(id)) return draft;
      sim.accept(id);
      draft.push(id);
      if (stops.has(id)) return draft;
    }
  }
  return draft;
}

/**
 * The best lookup candidate the constraint allows (skipping the ones it refuses: the latest occurrence of an
 * n-gram often continues differently from what the grammar admits here, an earlier one or a recent answer
 * fits), as a one-token draft; empty when none does.
 */
function firstAllowed(
  context: readonly number[],
  sim: DraftConstraint,
  options: LookupOptions,
  sources: readonly (readonly number[])[],
): number[] {
  const tried = new Set<number>();
  for (const id of lookupCandidates(context, options, sources)) {
    if (tried.has(id)) continue;
    tried.add(id);
    if (sim.isAllowed(id)) return [id];
  }
  return [];
}
