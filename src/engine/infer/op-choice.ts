/**
 * Operation choice by sequence scoring: instead of the greedy first tokens of `"op":"METHOD /path"`, every
 * operation's opening of the target is scored as a whole, log p(tokens | prompt) summed over its tokens, and
 * the best one is decoded on. Greedy token choice commits on the first divergent token (`GET` vs `POST`) before
 * the model has "seen" the path; the sequence score weighs the whole `METHOD /path` and the section keys the
 * grammar forces after it (the model's belief that the call has a path or a query). Softmax over the sequence
 * scores is a real probability over the spec's operations: the mapper's `confidence.operation`.
 *
 * Cost: the prompt (plus the opening every operation shares) is prefilled once, through the runtime's prefix
 * cache; each operation then takes one multi-position step on a copy of that KV (`KvCache.resume` shares the
 * tensors, which a run never mutates), returning the logits of all its positions (`num_logits_to_keep`).
 */
import type { LoraAdapter } from '../model/lora.js';
import type { Catalog } from '../specs/types.js';
import { DEAD } from './grammar/dfa.js';
import type { TokenGrammar } from './grammar/matcher.js';
import { opName } from './grammar/target.js';
import { KvCache, type KvTensors } from './kv.js';
import type { HostTensor } from './ort.js';
import { prefixCache, type PrefixCache } from './prefix.js';
import type { BaseRuntime } from './runtime.js';
import { logProb } from './sample.js';

/**
 * How operations compare. 'trie' (default): each token's probability renormalised over the tokens that continue
 * some opening there, summed — p(operation | the answer is one of the spec's operations), free of length bias
 * (tokens only one operation continues count 0). 'sum': raw log p summed (favours short openings); 'mean': per
 * token (favours long ones). bench/decoding-accuracy.ts compares them.
 */
export type OpScoring = 'trie' | 'sum' | 'mean';

export interface OpChoice {
  /** Index of the chosen operation in `catalog.operations`. */
  index: number;
  /** Target tokens of every operation's opening (the chosen one is `tokens[index]`). */
  tokens: number[][];
  /**
   * Summed log p of each operation's tokens after the shared opening; for an operation pruned unscored (see
   * PRUNE_NATS) the log p of its first token, an upper bound.
   */
  logprobs: number[];
  /** Per operation: the 'trie' score, log p renormalised at each branch of the openings (see OpScoring). */
  conditional: number[];
  /** Operations actually scored (the rest were pruned). */
  scored: number;
  /** Softmax over the scores (by `scoring`): the probability of each operation. */
  probabilities: number[];
  modelSteps: number;
}

const openings = new WeakMap<TokenGrammar, number[][]>();

/**
 * Per operation: the canonical tokens of `{"op":"METHOD /path"` followed by the text the grammar forces after
 * it, the last token held back unless the target ends there (it may merge with what the model writes next;
 * TokenGrammar.forced does the same). If one opening is a prefix of another, nothing is held back.
 */
export function operationOpenings(catalog: Catalog, grammar: TokenGrammar): number[][] {
  const hit = openings.get(grammar);
  if (hit) return hit;
  const { dfa, tokenizer } = grammar;
  const encoded = catalog.operations.map((op) => {
    const text = new TextEncoder().encode(`{"op":${JSON.stringify(opName(op))}`);
    let state = dfa.run(dfa.start, text);
    const forced: number[] = [];
    for (let b = onlyByte(grammar, state); state !== DEAD && b !== null; b = onlyByte(grammar, state)) {
      if (dfa.state(state).accepting) break;
      forced.push(b);
      state = dfa.step(state, b);
    }
    const full = new TextDecoder().decode(Uint8Array.from([...text, ...forced]));
    return { ids: tokenizer.encode(full), final: state !== DEAD && grammar.isFinal(state) };
  });
  let out = encoded.map((e) => (e.final ? e.ids : e.ids.slice(0, -1)));
  if (out.some((a, i) => out.some((b, j) => i !== j && isPrefix(a, b)))) out = encoded.map((e) => e.ids);
  openings.set(grammar, out);
  return out;
}

function onlyByte(grammar: TokenGrammar, state: number): number | null {
  let only: number | null = null;
  for (let b = 0; b < 256; b++) {
    if (grammar.dfa.step(state, b) === DEAD) continue;
    if (only !== null) return null;
    only = b;
  }
  return only;
}

function isPrefix(a: readonly number[], b: readonly number[]): boolean {
  return a.length <= b.length && a.every((x, i) => x === b[i]);
}

function sharedLength(seqs: readonly (readonly number[])[]): number {
  const first = seqs[0] ?? [];
  let n = 0;
  while (n < first.length && seqs.every((s) => s.length > n + 1 && s[n] === first[n])) n++;
  return n;
}

/**
 * Scores only fall as tokens are added, so an operation whose first token alone scores this far below the best
 * complete score cannot win, and its share of the softmax is below e^-12 (6e-6): it is not run.
 */
export const PRUNE_NATS = 12;

/** Scores every operation's opening after `promptIds` and picks the best. */
export async function chooseOperation(
  rt: BaseRuntime,
  promptIds: readonly number[],
  tokens: number[][],
  options: { adapter: LoraAdapter | null; scoring?: OpScoring; prune?: boolean },
): Promise<OpChoice> {
  const lora = rt.loraFeeds(options.adapter);
  const shared = sharedLength(tokens);
  const head = [...promptIds, ...tokens[0]!.slice(0, shared)];
  const cache = prefixCache(rt);
  const { first, basePast, steps: headSteps } = await prefillHead(rt, lora, head, cache);
  const scoring = options.scoring ?? 'trie';
  const prune = scoring !== 'mean' && options.prune !== false;
  const kids = branches(tokens, shared);
  const logprobs = tokens.map((seq) => logProb(first, seq[shared]!));
  const conditional = tokens.map((seq) => condLogProb(first, seq, shared, kids));
  // Summed and conditional scores only fall as tokens are added: the first token's is an upper bound.
  const bound = scoring === 'trie' ? conditional : logprobs;
  // Most likely first token first, so pruning bites as early as possible.
  const order = bound.map((_, i) => i).sort((x, y) => bound[y]! - bound[x]!);
  const scores = new Array<number>(tokens.length).fill(-Infinity);
  let steps = headSteps;
  let scored = 0;
  let best = order[0]!;
  let bestPast: { ids: number[]; kv: KvTensors } | null = null;
  for (const i of order) {
    const seq = tokens[i]!;
    const rest = seq.slice(shared);
    if (prune && bound[i]! < scores[best]! - PRUNE_NATS) {
      scores[i] = bound[i]!; // an upper bound: its softmax share is an overestimate of a negligible one
      continue;
    }
    scored++;
    let kv: KvCache | null = null;
    if (rest.length > 1) {
      kv = KvCache.resume(rt, lora, basePast, head.length);
      const feed = rest.slice(0, -1);
      // A graph without num_logits_to_keep returns the last position only: one step per token there.
      const rows = kv.multiLogits === true ? await kv.stepKeep(feed, feed.length) : await stepEach(kv, feed);
      rows.forEach((row, k) => {
        logprobs[i]! += logProb(row, rest[k + 1]!);
        conditional[i]! += condLogProb(row, seq, shared + k + 1, kids);
      });
      steps += kv.steps;
    }
    scores[i] =
      scoring === 'mean' ? logprobs[i]! / rest.length : scoring === 'sum' ? logprobs[i]! : conditional[i]!;
    if (scores[i]! > scores[best]!) {
      best = i;
      bestPast = kv ? { ids: [...promptIds, ...seq.slice(0, -1)], kv: kv.tensors()! } : null;
    }
  }
  // The decode that follows feeds the chosen opening: keep its keys and values for the prefix cache.
  if (bestPast) cache.store(lora, bestPast.ids, bestPast.kv);
  const max = scores[best]!;
  const z = scores.reduce((sum, x) => sum + Math.exp(x - max), 0);
  return {
    index: best,
    tokens,
    logprobs,
    conditional,
    probabilities: scores.map((x) => Math.exp(x - max) / z),
    scored,
    modelSteps: steps,
  };
}

/** Prefills prompt + shared opening through the prefix cache; the last position's logits and the KV. */
async function prefillHead(
  rt: BaseRuntime,
  lora: Record<string, HostTensor>,
  head: number[],
  cache: PrefixCache,
): Promise<{ first: Float32Array; basePast: KvTensors; steps: number }> {
  const hit = cache.lookup(lora, head);
  const base = hit ? KvCache.resume(rt, lora, hit.kv, hit.length) : new KvCache(rt, 1, lora);
  const [first] = await base.step([head.slice(hit?.length ?? 0)]);
  const basePast = base.tensors()!;
  cache.store(lora, head, basePast);
  return { first: first!, basePast, steps: base.steps };
}

/** The openings as a trie: for each prefix (ids joined), the tokens that continue some opening. */
function branches(tokens: readonly number[][], shared: number): Map<string, number[]> {
  const kids = new Map<string, Set<number>>();
  for (const seq of tokens) {
    for (let t = shared; t < seq.length; t++) {
      const key = seq.slice(0, t).join(',');
      const set = kids.get(key) ?? new Set<number>();
      set.add(seq[t]!);
      kids.set(key, set);
    }
  }
  return new Map([...kids].map(([k, v]) => [k, [...v]]));
}

/**
 * log p(seq[t]) renormalised over the tokens that continue some opening after seq[..t): the model's choice
 * among the operations still possible, 0 where only one continues.
 */
function condLogProb(
  row: Float32Array,
  seq: readonly number[],
  t: number,
  kids: Map<string, number[]>,
): number {
  const options = kids.get(seq.slice(0, t).join(',')) ?? [seq[t]!];
  if (options.length === 1) return 0;
  let max = -Infinity;
  for (const c of options) max = Math.max(max, row[c]!);
  let sum = 0;
  for (const c of options) sum += Math.exp(row[c]! - max);
  return row[seq[t]!]! - max - Math.log(sum);
}

async function stepEach(kv: KvCache, feed: readonly number[]): Promise<Float32Array[]> {
  const rows: Float32Array[] = [];
  for (const t of feed) rows.push((await kv.step([[t]]))[0]!);
  return rows;
}
