/**
 * Several prompts decoded together: rows are left-padded to one length so every step is a single run over the
 * batch (decode is bound by reading the weights, so B rows cost little more than one). Unconstrained only:
 * constrained rows force different numbers of tokens per step, which decode() handles one sequence at a time.
 */
import { SmolmapError } from '../errors.js';
import type { LoraAdapter } from '../model/lora.js';
import { KvCache, type StepToken } from './kv.js';
import type { BaseRuntime } from './runtime.js';
import { logProb, Sampler, type SamplingOptions } from './sample.js';
import type { GeneratedToken, StopReason } from './decode.js';

export interface BatchOptions {
  adapter?: LoraAdapter | null;
  maxTokens?: number;
  stopTokens?: readonly number[];
  /** One sampler per row, seeded `seed + row`. */
  sampling?: SamplingOptions;
}

export interface BatchRow {
  tokens: GeneratedToken[];
  stopReason: StopReason;
}

export async function decodeBatch(
  rt: BaseRuntime,
  prompts: readonly (readonly number[])[],
  options: BatchOptions = {},
): Promise<{ rows: BatchRow[]; seconds: number; modelSteps: number }> {
  if (prompts.length === 0 || prompts.some((p) => p.length === 0)) {
    throw new SmolmapError('decode_empty_prompt', 'every prompt needs at least one token');
  }
  const t0 = performance.now();
  const maxTokens = options.maxTokens ?? 256;
  const stops = new Set(options.stopTokens ?? rt.tokenizer.stopTokenIds);
  const samplers = prompts.map(
    (_, i) => new Sampler({ ...options.sampling, seed: (options.sampling?.seed ?? 0) + i }),
  );
  const kv = new KvCache(rt, prompts.length, rt.loraFeeds(options.adapter ?? null));
  const width = Math.max(...prompts.map((p) => p.length));
  const rows: BatchRow[] = prompts.map(() => ({ tokens: [], stopReason: 'length' }));
  const live = prompts.map(() => true);
  let logits = await kv.step(
    prompts.map((p) => [...new Array<StepToken>(width - p.length).fill(null), ...p]),
  );
  for (let n = 0; n < maxTokens; n++) {
    const next: StepToken[][] = rows.map((row, b) => {
      if (!live[b]) return [null];
      const id = samplers[b]!.choose(logits[b]!);
      row.tokens.push({ id, logprob: logProb(logits[b]!, id), forced: false });
      if (stops.has(id)) {
        live[b] = false;
        row.stopReason = 'stop';
      }
      return [id];
    });
    if (!live.some(Boolean) || n === maxTokens - 1) break;
    logits = await kv.step(next);
  }
  return { rows, seconds: (performance.now() - t0) / 1000, modelSteps: kv.steps };
}
