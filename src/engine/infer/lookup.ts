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
}

/**
 * The draft after `context`: for n from `maxNgram` down to `minNgram`, the tokens that followed the latest
 * earlier occurrence of the context's last n tokens (latest, because the task — the part the answer copies —
 * ends the prompt). Empty when nothing matches.
 */
export function lookupDraft(
  context: readonly number[],
  options: LookupOptions = {},
  limit = Infinity,
): number[] {
  const maxN = options.maxNgram ?? 3;
  const minN = options.minNgram ?? 1;
  const k = Math.min(options.draftTokens ?? 8, limit);
  const len = context.length;
  if (k <= 0) return [];
  for (let n = Math.min(maxN, len - 1); n >= minN; n--) {
    // Occurrences start at j with j + n < len (the suffix itself starts at len - n and is skipped).
    for (let j = len - n - 1; j >= 0; j--) {
      let i = 0;
      while (i < n && context[j + i] === context[len - n + i]) i++;
      if (i === n) return context.slice(j + n, Math.min(j + n + k, len));
    }
  }
  return [];
}

/** What drafting needs from a copy of the decoding constraint (GrammarMatcher fits). */
export interface DraftConstraint {
  isAllowed(tokenId: number): boolean;
  accept(tokenId: number): void;
  forced(): number[];
  done(): boolean;
}

/**
 * A draft that stays inside the constraint: where `sim` (a copy of the constraint in the decoder's state)
 * forces tokens, those are the draft — the decoder appends them anyway once the tokens before them are right;
 * elsewhere, prompt lookup proposes one token at a time on the context extended by the draft so far, and the
 * draft ends at the first token the constraint refuses, at a stop token, or at `limit` tokens.
 */
export function constrainedDraft(
  context: readonly number[],
  sim: DraftConstraint,
  stops: ReadonlySet<number>,
  options: LookupOptions = {},
  limit = Infinity,
): number[] {
  const k = Math.min(options.draftTokens ?? 8, limit);
  const draft: number[] = [];
  const one = { ...options, draftTokens: 1 };
  while (draft.length < k && !sim.done()) {
    const forced = sim.forced();
    const next = forced.length > 0 ? forced : lookupDraft([...context, ...draft], one);
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
