/**
 * The self-check of a weight mode: how closely a quantised runtime follows the f32 runtime of the same model on
 * a fixed probe, run the way decoding runs it (the prompt in one run, then one token per step). The quantised
 * kernels ORT picks depend on the CPU (MatMulNBits accuracy level 4 and DynamicQuantizeMatMul compute with int8
 * activations, with or without VNNI), so a mode that is faithful on one machine can answer wrongly on another:
 * only a check on this machine can vouch for it.
 */
import type { Tokenizer } from '../model/tokenizer/types.js';
import { KvCache } from './kv.js';
import type { BaseRuntime } from './runtime.js';

/** One probe: a prompt and whether the model's chat template wraps it. */
export interface Probe {
  name: string;
  prompt: string;
  chat: boolean;
}

/**
 * Three short prompts: a chat question with one right answer, a mapper-shaped call being written, and plain
 * prose. None is a task of any evaluation set.
 */
export const PROBES: readonly Probe[] = [
  { name: 'chat', prompt: 'What is the capital of France?', chat: true },
  {
    name: 'call',
    prompt:
      'Task: show me the order 7731 placed by customer ann_lee\nCall: {"operationId": "getOrder", "method": "GET", "path": "/orders/{orderId}", "pathParams": {"orderId": "',
    chat: false,
  },
  {
    name: 'prose',
    prompt: 'The library opens at nine in the morning and closes at six. On Sundays it',
    chat: false,
  },
];

/** Greedy steps per probe. */
const STEPS = 16;

/**
 * Pass mark: the share of probe positions whose argmax equals f32's. The fidelity bench (bench/quant-fidelity.ts)
 * measures faithful modes at 99.5–99.7 % on synthetic mapper answers; a mode whose kernels misbehave on a CPU
 * fell to 90 % and changed the chat answer. 95 % sits between the two.
 */
export const MIN_TOP1 = 0.95;

export interface ProbeScore {
  /** Share of positions (over every probe) where the mode's argmax equals f32's. */
  top1: number;
  /** Largest |logit difference| seen at any position. */
  maxAbsDiff: number;
  /** Whether the mode's own greedy answer to the chat probe equals f32's. */
  answersMatch: boolean;
  /** The mode's greedy answer to the chat probe, for messages. */
  chatAnswer: string;
  /** Median milliseconds of a one-token step (the mapper's verification and decode cost). */
  stepMs: number;
  passed: boolean;
  /** Why the mode failed, in words; empty when it passed. */
  reason: string;
}

function argmax(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : 0;
}

function probeIds(tokenizer: Tokenizer, probe: Probe): number[] {
  if (!probe.chat || !tokenizer.hasChatTemplate) return tokenizer.encode(probe.prompt);
  const text = tokenizer.applyChatTemplate([{ role: 'user', content: probe.prompt }], {
    addGenerationPrompt: true,
  });
  return tokenizer.encode(text);
}

/**
 * Feeds `prompt`, then `follow` one token per step (or, without `follow`, the runtime's own argmax), and
 * returns each position's logits and the tokens fed after the prompt.
 */
async function walk(
  rt: BaseRuntime,
  prompt: readonly number[],
  follow: readonly number[] | null,
  stepTimes?: number[],
): Promise<{ rows: Float32Array[]; tokens: number[] }> {
  const kv = new KvCache(rt, 1, rt.loraFeeds(null));
  const rows: Float32Array[] = [await (await kv.stepRows([...prompt])).row(0)];
  const tokens: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const next = follow ? follow[i]! : argmax(rows[i]!);
    tokens.push(next);
    if (i + 1 === STEPS) break;
    const t0 = performance.now();
    rows.push(await (await kv.stepRows([next])).row(0));
    stepTimes?.push(performance.now() - t0);
  }
  return { rows, tokens };
}

/** The reference walk of every probe on the f32 runtime (shared by every mode checked against it). */
export interface Reference {
  probes: { ids: number[]; rows: Float32Array[]; tokens: number[] }[];
  stepMs: number;
}

export async function referenceWalk(f32: BaseRuntime): Promise<Reference> {
  const times: number[] = [];
  const probes = [];
  for (const probe of PROBES) {
    const ids = probeIds(f32.tokenizer, probe);
    probes.push({ ids, ...(await walk(f32, ids, null, times)) });
  }
  return { probes, stepMs: median(times) };
}

/**
 * Scores `candidate` against the f32 reference walk; `passed` needs MIN_TOP1 and the same greedy chat answer
 * (the other probes' free continuations may part where f32's own top two are nearly tied, which top-1 already
 * weighs).
 */
export async function scoreMode(candidate: BaseRuntime, ref: Reference): Promise<ProbeScore> {
  let agree = 0;
  let total = 0;
  let maxDiff = 0;
  let answersMatch = true;
  let chatAnswer = '';
  const times: number[] = [];
  for (const [i, want] of ref.probes.entries()) {
    const forced = await walk(candidate, want.ids, want.tokens, times);
    for (const [k, row] of forced.rows.entries()) {
      total++;
      if (argmax(row) === argmax(want.rows[k]!)) agree++;
      maxDiff = Math.max(maxDiff, maxAbsDiff(row, want.rows[k]!));
    }
    if (!PROBES[i]!.chat) continue;
    const own = await walk(candidate, want.ids, null);
    answersMatch = own.tokens.join() === want.tokens.join();
    chatAnswer = candidate.tokenizer.decode(own.tokens, { skipSpecialTokens: true });
  }
  const top1 = total ? agree / total : 0;
  const reasons: string[] = [];
  if (top1 < MIN_TOP1) {
    reasons.push(
      `its top token agrees with f32 at ${(100 * top1).toFixed(1)} % of probe positions (needs ${100 * MIN_TOP1} %)`,
    );
  }
  if (!answersMatch) reasons.push(`its chat answer differs from f32 (${JSON.stringify(chatAnswer)})`);
  return {
    top1,
    maxAbsDiff: maxDiff,
    answersMatch,
    chatAnswer,
    stepMs: median(times),
    passed: reasons.length === 0,
    reason: reasons.join('; '),
  };
}
