/**
 * The KV cache of a batch of sequences on one runtime: each `step` feeds new tokens for every row (same count
 * per row; `null` is padding, masked out) and returns the last position's logits per row. Past keys and values
 * are the previous run's `present.*` outputs fed back as `past_key_values.*` (Transformers.js convention,
 * model-facts.md §5.3); ORT returns fresh tensors, so nothing is copied on our side.
 */
import { f32, i64, type HostTensor } from './ort.js';
import type { BaseRuntime } from './runtime.js';

export type StepToken = number | null;

export class KvCache {
  private past: Record<string, HostTensor> | null = null;
  /** Per row: attention mask (1 = real token) over every position fed so far. */
  private readonly mask: number[][];
  /** Per row: position id of the next real token. */
  private readonly next: number[];
  /** Model runs so far. */
  steps = 0;

  constructor(
    private readonly rt: BaseRuntime,
    readonly batch: number,
    private readonly lora: Record<string, HostTensor>,
  ) {
    this.mask = Array.from({ length: batch }, () => []);
    this.next = new Array<number>(batch).fill(0);
  }

  get length(): number {
    return this.mask[0]!.length;
  }

  /** Feeds `rows[b]` (all of equal length) and returns the logits [vocab] of each row's last position. */
  async step(rows: readonly (readonly StepToken[])[]): Promise<Float32Array[]> {
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
    const empty = f32(new Float32Array(0), [this.batch, cfg.num_key_value_heads, 0, cfg.head_dim]);
    for (let l = 0; l < cfg.num_hidden_layers; l++) {
      for (const kv of ['key', 'value']) {
        feeds[`past_key_values.${l}.${kv}`] = this.past?.[`present.${l}.${kv}`] ?? empty;
      }
    }
    const out = await this.rt.session.run(feeds);
    this.steps++;
    this.past = out;
    const logits = out['logits']!.data as Float32Array;
    const v = cfg.vocab_size;
    return rows.map((_, b) => logits.slice(b * v, (b + 1) * v));
  }
}
