/**
 * The mapper: one task → one ApiCall on a loaded base runtime, under the spec grammar. Store-free (ask, eval and
 * the benchmark call it); the prompt and target come from `prompt.ts`, the one definition training also uses.
 *
 * Decoding is greedy with the grammar's mask at every step; tokens the grammar forces are appended without a
 * model step (decode.ts). If the token budget (or the context window) runs out before the call is complete, the
 * shortest byte string the grammar accepts from where the model stopped is appended, so the answer still parses
 * and validates; the result says so (`completed`).
 */
import { validateCall, type ApiCall } from '../calls.js';
import { SmolmapError } from '../errors.js';
import type { LoraAdapter } from '../model/lora.js';
import { encodeChat } from '../model/tokenizer/index.js';
import type { Catalog, Operation } from '../specs/types.js';
import { decode, type GeneratedToken } from './decode.js';
import { callGrammar } from './grammar/call-grammar.js';
import { DEAD, shortestAccepted } from './grammar/dfa.js';
import type { TokenGrammar } from './grammar/matcher.js';
import { missingValues, unstatedOptionals, withoutNeeds, type Need } from './clarify.js';
import { DEFAULT_KEY_BIAS, groundedCatalog, ruledOutSiblings, taskPrior } from './processors/index.js';
import type { LookupOptions } from './lookup.js';
import { chooseOperation, operationOpenings, type OpScoring } from './op-choice.js';
import { buildMessages, parseTarget } from './prompt.js';

export { shortestAccepted } from './grammar/dfa.js';
import type { BaseRuntime } from './runtime.js';

export interface MapOptions {
  catalog: Catalog;
  adapter: LoraAdapter | null;
  /** List the spec's operations in the prompt: the base model without a trained adapter needs them. */
  untrained: boolean;
  /** Most generated tokens (forced ones included) before the grammar completes the call. Default 384. */
  maxTokens?: number;
  /** false: one model step per forced token (for comparisons). Default true. */
  skipForced?: boolean;
  /** Prompt-lookup speculation (decode.ts `speculate`): true (default, lookup.ts's defaults), options, or false. */
  speculate?: boolean | LookupOptions;
  /** Free string values copy the task or the spec's suggested values (grammar/copy.ts). Default true. */
  copy?: boolean;
  /**
   * How the operation is chosen: scored as whole sequences (op-choice.ts: 'trie', 'sum' or 'mean', see
   * OpScoring) or token by token like the rest ('greedy'). Default: 'trie' for the untrained prompt (it picks
   * the right operation more often; bench/decoding-accuracy.ts), 'greedy' with a trained adapter (the same picks
   * as 'trie' there, at about half the model steps, so the latency target wins).
   */
  operation?: OpScoring | 'greedy';
  /**
   * Knob of the key processors (processors/index.ts): the bonus for a key the task names; 0 turns the key and
   * value processors off.
   * Default DEFAULT_KEY_BIAS with a trained adapter, 0 for the untrained prompt.
   */
  keyBias?: number;
  /** Knob of the value processors (processors/index.ts): the bonus for a stated value's tokens. */
  valueBias?: number;
  /**
   * Mask the operations whose sibling (same method and first path segment) the task's words single out
   * (processors/siblings.ts SiblingMask); default true.
   */
  siblings?: boolean;
  /**
   * Required values the task does not state become `needs` (clarify.ts) instead of invented values, and
   * optional ones are left out of the call; default true.
   */
  clarify?: boolean;
}

export interface Confidence {
  /** operation × values, in [0, 1]. */
  overall: number;
  /**
   * Probability of the chosen `METHOD /path`: the softmax over every operation's sequence score when
   * operations are scored, else the product of its non-forced tokens' probabilities.
   */
  operation: number;
  /** Geometric mean of the probabilities of the other non-forced tokens (1 when there are none). */
  values: number;
}

export interface MapResult {
  call: ApiCall | null;
  /** The model's raw answer (the target JSON). */
  text: string;
  valid: boolean;
  /** Parse error or validation issues (empty when valid). */
  issues: string[];
  confidence: Confidence;
  promptTokens: number;
  /** Generated tokens, forced ones and the scored opening included. */
  tokens: number;
  /** Tokens of the operation's opening chosen by sequence scoring (op-choice.ts); 0 when chosen greedily. */
  openingTokens: number;
  forcedTokens: number;
  modelSteps: number;
  /** True when the budget ran out and the grammar's shortest completion was appended. */
  completed: boolean;
  /** Required values of `call` the task never states (clarify.ts): questions to ask instead of inventing. */
  needs: Need[];
  latencyMs: number;
}

/**
 * Prompt token ids: the chat template with the generation prompt, exactly as training encodes it (encodeChat:
 * a task that types `<|im_end|>` stays plain text instead of ending the user's turn).
 */
export function mapperPromptIds(
  rt: BaseRuntime,
  task: string,
  catalog: Catalog,
  untrained: boolean,
): number[] {
  const messages = buildMessages(task, { catalog, includeOperations: untrained });
  return encodeChat(rt.tokenizer, messages, { addGenerationPrompt: true });
}

export async function mapTask(rt: BaseRuntime, task: string, options: MapOptions): Promise<MapResult> {
  const t0 = performance.now();
  const ids = mapperPromptIds(rt, task, options.catalog, options.untrained);
  const room = rt.config.max_position_embeddings - ids.length;
  if (room < 16) {
    throw new SmolmapError(
      'ask_prompt_too_long',
      `the prompt is ${ids.length} tokens but the model's context is ${rt.config.max_position_embeddings}; shorten the task${options.untrained ? ' or train an adapter for the spec (its prompt does not list the operations)' : ''}`,
    );
  }
  // The grammar offers only the operations the task can ground (processors/siblings.ts); the prompt stays the full spec's.
  const catalog = groundedCatalog(options.catalog, task);
  const grammar = callGrammar(catalog, rt.tokenizer);
  const matcher = grammar.matcher(options.copy === false ? {} : { copyFrom: task.trim() });
  const maxTokens = Math.min(options.maxTokens ?? 384, room);
  const mode = options.operation ?? (options.untrained ? 'trie' : 'greedy');
  const ruledOut = options.siblings === false ? [] : ruledOutSiblings(catalog, task);
  const openings = mode === 'greedy' ? [] : scoredOpenings(catalog, grammar, ruledOut);
  const choice =
    openings.length > 1 && openings.every((o) => o.length < maxTokens)
      ? await chooseOperation(rt, ids, openings, { adapter: options.adapter, scoring: mode as OpScoring })
      : null;
  const opening = choice ? (choice.tokens[choice.index] ?? []) : [];
  for (const id of opening) matcher.accept(id);
  const bias = options.keyBias ?? (options.untrained ? 0 : DEFAULT_KEY_BIAS);
  const prior = taskPrior(catalog, rt.tokenizer, task, () => matcher.text(), {
    keyBias: bias,
    valueBias: options.valueBias,
    ruledOut,
  });
  const res = await decode(rt, [...ids, ...opening], {
    ...(prior && { biasAllowed: prior }),
    adapter: options.adapter,
    maxTokens: maxTokens - opening.length,
    constraint: matcher,
    skipForced: options.skipForced,
    speculate: options.speculate,
  });
  let text = matcher.text();
  let completed = false;
  if (!matcher.done() && !matcher.canStop()) {
    text += completion(grammar, matcher.tokens());
    completed = true;
  }
  const parsed = parseAndValidate(text, options.catalog);
  const { issues } = parsed;
  // Optional values the task never states are the model's guesses: the answer leaves them out (clarify.ts).
  const call =
    parsed.call && options.clarify !== false
      ? withoutNeeds(parsed.call, unstatedOptionals(task, parsed.call, options.catalog), options.catalog)
      : parsed.call;
  const needs = call && options.clarify !== false ? missingValues(task, call, options.catalog) : [];
  return {
    call,
    text,
    valid: call !== null && issues.length === 0,
    issues,
    confidence: choice
      ? valuesConfidence(res.tokens, choice.probabilities[choice.index] ?? 0)
      : callConfidence(res.tokens, (id) => rt.tokenizer.tokenBytes(id)),
    promptTokens: ids.length,
    tokens: opening.length + res.tokens.length,
    openingTokens: opening.length,
    forcedTokens: res.tokens.filter((t) => t.forced).length,
    modelSteps: res.timings.modelSteps + (choice?.modelSteps ?? 0),
    completed,
    needs,
    latencyMs: performance.now() - t0,
  };
}

/**
 * The openings whose operations are scored (op-choice.ts): every operation's but those `ruledOut` (the
 * task's ruledOutSiblings, processors/siblings.ts).
 */
export function scoredOpenings(
  catalog: Catalog,
  grammar: TokenGrammar,
  ruledOut: readonly Operation[],
): number[][] {
  const out = new Set(ruledOut);
  return operationOpenings(catalog, grammar).filter((_, i) => !out.has(catalog.operations[i]!));
}

function parseAndValidate(text: string, catalog: Catalog): { call: ApiCall | null; issues: string[] } {
  try {
    const call = parseTarget(text, catalog);
    return { call, issues: validateCall(call, catalog).map((i) => i.message) };
  } catch (e) {
    if (e instanceof SmolmapError && e.code.startsWith('target_')) return { call: null, issues: [e.message] };
    throw e;
  }
}

/** The shortest text completing the grammar after `tokens` (stop tokens, which carry no bytes, skipped). */
function completion(grammar: TokenGrammar, tokens: readonly number[]): string {
  let state = grammar.dfa.start;
  for (const id of tokens) {
    if (grammar.tokenizer.stopTokenIds.includes(id)) break;
    state = grammar.advance(state, id);
  }
  const bytes = state === DEAD ? null : shortestAccepted(grammar.dfa, state);
  if (!bytes)
    throw new SmolmapError('internal', 'internal: the spec grammar has no completion from its state');
  return new TextDecoder().decode(bytes);
}

/** Confidence when the operation was scored: its probability, and the decoded tokens as values. */
function valuesConfidence(tokens: readonly GeneratedToken[], operation: number): Confidence {
  const chosen = tokens.filter((t) => !t.forced);
  const values =
    chosen.length === 0 ? 1 : Math.exp(chosen.reduce((s, t) => s + t.logprob, 0) / chosen.length);
  return { overall: operation * values, operation, values };
}

const OP_PREFIX = '{"op":"'.length;

/**
 * Confidence from the decisive tokens, i.e. the ones the model chose (forced tokens had no alternative and
 * carry no information). The operation's tokens (up to the closing quote of `op`) multiply: by the chain rule
 * their product is the model's probability of the whole `METHOD /path` under the grammar, and a wrong endpoint
 * is the costliest error. Value tokens (parameters, body, the stop token) are averaged geometrically, so a
 * long but confident body is not penalised for its length. Probabilities are under the masked distribution.
 */
export function callConfidence(
  tokens: readonly GeneratedToken[],
  bytesOf: (id: number) => Uint8Array,
): Confidence {
  let offset = 0;
  let opEnd = -1;
  let opLog = 0;
  let valLog = 0;
  let valCount = 0;
  for (const t of tokens) {
    const inOp = opEnd < 0;
    const bytes = bytesOf(t.id);
    for (const b of bytes) {
      if (opEnd < 0 && offset >= OP_PREFIX && b === 0x22) opEnd = offset;
      offset++;
    }
    if (t.forced) continue;
    if (inOp) opLog += t.logprob;
    else {
      valLog += t.logprob;
      valCount++;
    }
  }
  const operation = Math.exp(opLog);
  const values = valCount === 0 ? 1 : Math.exp(valLog / valCount);
  return { overall: operation * values, operation, values };
}
