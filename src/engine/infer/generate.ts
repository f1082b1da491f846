/**
 * `generate`: free text from a registered base model (optionally with a LoRA adapter), the chat template applied
 * for models that have one unless `raw`, streamed as text deltas. The facade entry behind `smolmap generate`.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';

import type { Engine } from '../engine.js';
import { ownedBy } from '../tenant.js';
import { SmolmapError } from '../errors.js';
import { loadAdapter, type LoraAdapter } from '../model/lora.js';
import { checkQuant, type QuantRequest, type WeightQuant } from '../model/quant.js';
import { baseModelPath } from '../model/registry.js';
import type { Tokenizer } from '../model/tokenizer/types.js';
import { decode, type StopReason } from './decode.js';
import { loadRuntime, releaseRuntime, type BaseRuntime } from './runtime.js';
import { checkedRuntime } from './weight-mode.js';

export interface GenerateTextOptions {
  /** Registered base model name (`smolmap model list`). */
  model: string;
  /** A trained model id of the tenant's, or a PEFT adapter folder. */
  adapter?: string;
  /** The acting tenant (default `local`), whose adapter ids `adapter` may name. */
  tenant?: string;
  prompt: string;
  /** Skip the chat template. */
  raw?: boolean;
  maxTokens?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
  /** Weight format: f32 (default), q8, q4, i8, or auto (the fastest that passes this machine's self-check). */
  quant?: QuantRequest;
  /** Receives the text as it is generated (UTF-8 safe deltas). */
  onText?: (delta: string) => void;
}

export interface GenerateTextResult {
  text: string;
  /** Generated token count (stop token included). */
  tokens: number;
  tokenIds: number[];
  /** Decode speed: tokens after the first over the time after the first. */
  tokensPerSecond: number;
  promptTokens: number;
  prefillTokensPerSecond: number;
  timeToFirstTokenMs: number;
  stopReason: StopReason;
  model: string;
  adapter: string | null;
  quant: WeightQuant;
}

/** Prompt ids: the chat template (one user turn, generation prompt added) unless raw or the model has none. */
export function promptIds(tokenizer: Tokenizer, prompt: string, raw = false): number[] {
  if (raw || !tokenizer.hasChatTemplate) return tokenizer.encode(prompt);
  const text = tokenizer.applyChatTemplate([{ role: 'user', content: prompt }], {
    addGenerationPrompt: true,
  });
  return tokenizer.encode(text);
}

async function resolveAdapter(engine: Engine, ref: string, tenant: string | undefined): Promise<LoraAdapter> {
  const isDir = await stat(ref).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (isDir) return loadAdapter(ref);
  const rec = (await engine.store.read()).models.find((m) => m.id === ref && ownedBy(m, tenant));
  if (!rec) {
    throw new SmolmapError(
      'adapter_not_found',
      `no trained model or adapter folder named ${ref}; list trained models with \`smolmap adapters list\` or pass a PEFT adapter folder`,
    );
  }
  return loadAdapter(path.join(engine.modelsDir, rec.dir));
}

/**
 * The cached runtime of a registered base model in the requested weight mode; a mode other than f32 only after
 * it passed this machine's self-check, `auto` the fastest that did (weight-mode.ts).
 */
export async function baseRuntime(
  engine: Engine,
  model: string,
  quant: QuantRequest = 'f32',
): Promise<BaseRuntime> {
  const source = await baseModelPath(engine, model);
  return checkedRuntime(
    {
      modelsDir: engine.modelsDir,
      source,
      load: (q) => loadRuntime(source, { quant: q }),
      drop: (q) => releaseRuntime(source, { quant: q }),
    },
    quant,
  );
}

/** Streams UTF-8-safe text deltas: a trailing U+FFFD means a token split a character, so wait for more. */
function textStream(tokenizer: Tokenizer, onText?: (delta: string) => void) {
  const ids: number[] = [];
  let sent = 0;
  return (id: number): void => {
    ids.push(id);
    if (!onText) return;
    const text = tokenizer.decode(ids, { skipSpecialTokens: true });
    if (text.endsWith('\uFFFD') || text.length <= sent) return;
    onText(text.slice(sent));
    sent = text.length;
  };
}

export async function generate(engine: Engine, options: GenerateTextOptions): Promise<GenerateTextResult> {
  const quant = checkQuant(options.quant ?? engine.quant);
  const rt = await baseRuntime(engine, options.model, quant);
  const adapter = options.adapter ? await resolveAdapter(engine, options.adapter, options.tenant) : null;
  const ids = promptIds(rt.tokenizer, options.prompt, options.raw);
  const stream = textStream(rt.tokenizer, options.onText);
  const res = await decode(rt, ids, {
    adapter,
    maxTokens: options.maxTokens ?? 256,
    sampling: {
      temperature: options.temperature,
      topK: options.topK,
      topP: options.topP,
      seed: options.seed,
    },
    onToken: (t) => stream(t.id),
  });
  const tokenIds = res.tokens.map((t) => t.id);
  return {
    text: rt.tokenizer.decode(tokenIds, { skipSpecialTokens: true }),
    tokens: tokenIds.length,
    tokenIds,
    tokensPerSecond: res.timings.decodeTokensPerSecond,
    promptTokens: res.timings.promptTokens,
    prefillTokensPerSecond: res.timings.prefillTokensPerSecond,
    timeToFirstTokenMs: res.timings.timeToFirstTokenMs,
    stopReason: res.stopReason,
    model: options.model,
    adapter: options.adapter ?? null,
    quant: rt.quant,
  };
}
