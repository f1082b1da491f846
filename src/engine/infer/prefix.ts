/**
 * Prefix KV reuse: the keys and values of recent prompts, per runtime, so a prompt that starts like a recent one
 * prefills only its own tail. The mapper's system prompt and chat-template head are the same for every task of a
 * spec, so its prefill shrinks to the task's tokens. (vLLM's automatic prefix caching and SGLang's RadixAttention
 * do the same at block granularity; one-row prompts make a plain token-wise longest common prefix enough here.)
 *
 * Entries belong to one set of LoRA feeds (`rt.loraFeeds(adapter)`, one object per adapter object): keys and
 * values depend on the adapter, so another adapter's entries are never served. The cache is a small LRU bounded
 * in entries and bytes; a prompt larger than the byte bound is not kept.
 */
import type { HostTensor } from './ort.js';
import { kvBytes, sliceKv, type KvTensors } from './kv.js';
import type { BaseRuntime } from './runtime.js';

export interface PrefixCacheLimits {
  /** Prompts kept at most. Default 4. */
  maxEntries?: number;
  /** Bytes of keys and values kept at most. Default 128 MiB (SmolLM2-135M: 45 KiB a token, ~2 900 tokens). */
  maxBytes?: number;
}

interface Entry {
  lora: Record<string, HostTensor>;
  ids: readonly number[];
  kv: KvTensors;
  bytes: number;
}

export interface PrefixHit {
  /** Keys and values of the first `length` prompt tokens. */
  kv: KvTensors;
  length: number;
}

export class PrefixCache {
  /** Least recently used first. */
  private entries: Entry[] = [];
  readonly maxEntries: number;
  readonly maxBytes: number;

  constructor(limits: PrefixCacheLimits = {}) {
    this.maxEntries = limits.maxEntries ?? 4;
    this.maxBytes = limits.maxBytes ?? 128 * 2 ** 20;
  }

  get size(): number {
    return this.entries.length;
  }

  get bytes(): number {
    return this.entries.reduce((n, e) => n + e.bytes, 0);
  }

  /**
   * The longest stored prefix of `ids` under `lora`, at most `ids.length - 1` tokens (the last prompt token is
   * always fed, since its logits choose the first output token); null when nothing is shared.
   */
  lookup(lora: Record<string, HostTensor>, ids: readonly number[]): PrefixHit | null {
    let best: Entry | null = null;
    let bestLen = 0;
    for (const e of this.entries) {
      if (e.lora !== lora) continue;
      const n = commonPrefix(e.ids, ids, ids.length - 1);
      if (n > bestLen) {
        best = e;
        bestLen = n;
      }
    }
    if (!best) return null;
    this.touch(best);
    return { kv: sliceKv(best.kv, bestLen), length: bestLen };
  }

  /** Keeps the keys and values `kv` of the prompt `ids` (every position of `kv` is a token of `ids`). */
  store(lora: Record<string, HostTensor>, ids: readonly number[], kv: KvTensors): void {
    const bytes = kvBytes(kv);
    if (bytes > this.maxBytes) return;
    // An entry this prompt extends (or equals) adds nothing once this one is in.
    this.entries = this.entries.filter(
      (e) =>
        !(
          e.lora === lora &&
          e.ids.length <= ids.length &&
          commonPrefix(e.ids, ids, e.ids.length) === e.ids.length
        ),
    );
    this.entries.push({ lora, ids: [...ids], kv, bytes });
    let total = this.bytes;
    while (this.entries.length > this.maxEntries || total > this.maxBytes) {
      total -= this.entries.shift()!.bytes;
    }
  }

  clear(): void {
    this.entries = [];
  }

  private touch(e: Entry): void {
    this.entries = this.entries.filter((x) => x !== e);
    this.entries.push(e);
  }
}

function commonPrefix(a: readonly number[], b: readonly number[], limit: number): number {
  const n = Math.min(a.length, b.length, limit);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

const caches = new WeakMap<BaseRuntime, PrefixCache>();

/** The prefix cache of a runtime (created with default limits on first use; lives as long as the runtime). */
export function prefixCache(rt: BaseRuntime): PrefixCache {
  let c = caches.get(rt);
  if (!c) {
    c = new PrefixCache();
    caches.set(rt, c);
  }
  return c;
}
