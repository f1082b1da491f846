/**
 * The KV cache of a batch of sequences on one runtime: each `step` feeds new tokens for every row (same count
 * per row; `null` is padding, masked out) and returns the last position's logits per row. Past keys and values
 * are the previous run's `present.*` outputs fed back as `past_key_values.*` (Transformers.js convention);
 * ORT returns fresh tensors, so nothing is copied on our side and a past, once returned,
 * never changes (the prefix cache and rollback rely on that).
 *
 * Single-row caches can also start from a stored prefix (`resume`), return the logits of several last
 * positions (`stepKeep`, for speculative verification) and drop their last positions (`truncate`).
 * `stepRows` / `stepKeepRows` return the rows lazily (head.ts `LogitRows`): on a runtime whose graph ends at the
 * hidden rows, only the logits a caller asks for are made.
 */
import { SmolmapError } from '../errors.js';
import { HIDDEN_OUTPUT, LogitRows } from './head.js';
import { f32, i64, type HostTensor } from './ort.js';
import type { BaseRuntime } from './runtime.js';

export type StepToken = number | null;

/** `present.N.key/value` tensors, each [batch, kv_heads, seq, head_dim]. */
export type KvTensors = Record<string, HostTensor>;

/**
 * Graph input that limits `logits` to the last K positions ([batch, K, vocab]); Transformers.js's name. Fed
 * only when the session has it.
 */
export const KEEP_INPUT = 'num_logits_to_keep';

export class KvCache {
  private past: KvTensors | null = null;
  /** Per row: attention mask (1 = real token) over every position fed so far. */
  private readonly mask: number[][];
  /** Per row: position id of the next real token. */
  private readonly next: number[];
  /** Whether the graph returns logits for more than the last position; undefined until a run shows it. */
  private many: boolean | undefined;
  /** Model runs so far. */
  steps = 0;

  constructor(
    private readonly rt: BaseRuntime,
    readonly batch: number,
    private readonly lora: Record<string, HostTensor>,
  ) {
    this.mask = Array.from({ length: batch }, () => []);
    this.next = new Array<number>(batch).fill(0);
    if (rt.session.inputNames.includes(KEEP_INPUT)) this.many = true;
  }

  /** A one-row cache whose first `length` positions are `past` (all real tokens, positions 0..length-1). */
  static resume(rt: BaseRuntime, lora: Record<string, HostTensor>, past: KvTensors, length: number): KvCache {
    const kv = new KvCache(rt, 1, lora);
    kv.past = past;
    kv.mask[0]!.push(...new Array<number>(length).fill(1));
    kv.next[0] = length;
    return kv;
  }

  get length(): number {
    return this.mask[0]!.length;
  }

  /**
   * True when a run can return logits of several positions (the session takes `num_logits_to_keep`, or it
   * returns every position's logits); undefined while unknown (no multi-token run yet).
   */
  get multiLogits(): boolean | undefined {
    return this.many;
  }

  /** The cached keys and values (null before the first step). Never mutated: safe to keep. */
  tensors(): KvTensors | null {
    return this.past;
  }

  /** Feeds `rows[b]` (all of equal length) and returns the logits [vocab] of each row's last position. */
  async step(rows: readonly (readonly StepToken[])[]): Promise<Float32Array[]> {
    return (await this.run(rows, 1)).all();
  }

  /** `step` for one row, its last position's logits made on demand. */
  stepRows(tokens: readonly number[]): Promise<LogitRows> {
    return this.run([tokens], 1);
  }

  /**
   * One-row step that returns the logits of the last `keep` fed positions, in order. Needs `multiLogits`
   * (callers check it; a last-position-only graph is an internal error here).
   */
  async stepKeep(tokens: readonly number[], keep: number): Promise<Float32Array[]> {
    return (await this.stepKeepRows(tokens, keep)).all();
  }

  /** `stepKeep` with the rows' logits made on demand. */
  stepKeepRows(tokens: readonly number[], keep: number): Promise<LogitRows> {
    if (this.batch !== 1 || keep < 1 || keep > tokens.length) {
      throw new SmolmapError(
        'internal',
        `internal: stepKeep(${tokens.length} tokens, keep ${keep}) on batch ${this.batch}`,
      );
    }
    return this.run([tokens], keep);
  }

  /** Drops every position from `length` on (one-row caches): rejected draft tokens, a shorter prefix. */
  truncate(length: number): void {
    if (this.batch !== 1) throw new SmolmapError('internal', 'internal: truncate needs a one-row cache');
    const drop = this.length - length;
    if (drop <= 0) return;
    this.mask[0]!.length = length;
    this.next[0] = length;
    if (this.past) this.past = sliceKv(this.past, length);
  }

  /** Feeds `rows`; the last `keep` positions of each, batch-major. */
  private async run(rows: readonly (readonly StepToken[])[], keep: number): Promise<LogitRows> {
    const cfg = this.rt.config;
    const s = rows[0]!.length;
    const ids: number[] = [];
    const pos: number[] = [];
    rows.forEach((row, b) => {
      for (const t of row) {
        ids.push(t ?? 0);
        pos.push(t === null ? 0 : this.next[b]!++);
        this.mask[b]!.push(t === null ? 0 : 1);
      }
    });
    const total = this.length;
    const feeds: Record<string, HostTensor> = {
      ...this.lora,
      input_ids: i64(ids, [this.batch, s]),
      position_ids: i64(pos, [this.batch, s]),
      attention_mask: i64(this.mask.flat(), [this.batch, total]),
    };
    if (this.rt.session.inputNames.includes(KEEP_INPUT)) feeds[KEEP_INPUT] = i64([keep], []);
    const empty = f32(new Float32Array(0), [this.batch, cfg.num_key_value_heads, 0, cfg.head_dim]);
    const past: KvTensors = {};
    for (let l = 0; l < cfg.num_hidden_layers; l++) {
      for (const kv of ['key', 'value']) {
        feeds[`past_key_values.${l}.${kv}`] = this.past?.[`present.${l}.${kv}`] ?? empty;
      }
    }
    const wide = this.rt.wide;
    const out = await (wide && s >= wide.from ? wide.session : this.rt.session).run(feeds);
    this.steps++;
    for (const [name, t] of Object.entries(out)) if (name.startsWith('present.')) past[name] = t;
    this.past = past;
    const head = this.rt.head;
    const t = out[head ? HIDDEN_OUTPUT : 'logits']!;
    const positions = t.dims[1] ?? 1; // [batch, P, vocab | hidden]: P = 1, keep, or s (an all-positions graph)
    if (s > 1 && this.many === undefined) this.many = positions === s;
    if (positions < keep) {
      throw new SmolmapError(
        'internal',
        `internal: asked for ${keep} logits rows but the graph returned ${positions}`,
      );
    }
    const data = t.data as Float32Array;
    const w = head ? cfg.hidden_size : cfg.vocab_size;
    if (positions === keep) return new LogitRows(head, data, this.batch * keep);
    const kept = new Float32Array(this.batch * keep * w);
    for (let b = 0; b < this.batch; b++) {
      const at = (b * positions + positions - keep) * w;
      kept.set(data.subarray(at, at + keep * w), b * keep * w);
    }
    return new LogitRows(head, kept, this.batch * keep);
  }
}

/** The first `length` positions of every tensor ([batch, heads, seq, head_dim] → [batch, heads, length, head_dim]). */
export function sliceKv(kv: KvTensors, length: number): KvTensors {
  const out: KvTensors = {};
  for (const [name, t] of Object.entries(kv)) {
    const [b = 1, h = 1, s = 0, d = 1] = t.dims;
    if (length >= s) {
      out[name] = t;
      continue;
    }
    const src = t.data as Float32Array;
    const dst = new Float32Array(b * h * length * d);
    for (let r = 0; r < b * h; r++) dst.set(src.subarray(r * s * d, (r * s + length) * d), r * length * d);
    out[name] = f32(dst, [b, h, length, d]);
  }
  return out;
}

/** Bytes held by a set of KV tensors. */
export function kvBytes(kv: KvTensors): number {
  let n = 0;
  for (const t of Object.values(kv)) n += t.data.byteLength;
  return n;
}
