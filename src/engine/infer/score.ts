/**
 * Teacher-forced scoring: log p(ids[t] | ids[<t]) for every t ≥ 1, one cached step per token (the inference
 * graph returns last-position logits only). Perplexity = exp(−mean log p), the usual LM measure.
 */
import type { LoraAdapter } from '../model/lora.js';
import { KvCache } from './kv.js';
import type { BaseRuntime } from './runtime.js';
import { logProb } from './sample.js';

export async function tokenLogProbs(
  rt: BaseRuntime,
  ids: readonly number[],
  options: { adapter?: LoraAdapter | null; onLogits?: (t: number, logits: Float32Array) => void } = {},
): Promise<number[]> {
  const kv = new KvCache(rt, 1, rt.loraFeeds(options.adapter ?? null));
  const out: number[] = [];
  for (let t = 1; t < ids.length; t++) {
    const [logits] = await kv.step([[ids[t - 1]!]]);
    options.onLogits?.(t, logits!);
    out.push(logProb(logits!, ids[t]!));
  }
  return out;
}

export function perplexity(logprobs: readonly number[]): number {
  return Math.exp(-logprobs.reduce((a, b) => a + b, 0) / logprobs.length);
}
