/**
 * LoRA grouped by shared input, for the fast inference graph (llama-fast.ts): the projections that read the
 * same activations — q|k|v, o, gate|up, down — take ONE A [in, Σr] (the adapted targets' Aᵀ side by side) and
 * ONE block-diagonal B [Σr, Σout] (each target's scale·Bᵀ in its own rows and output columns), so a layer runs
 * 4 × (x·A, ·B, Add) instead of 7 × (x·Aᵀ, ·Bᵀ, Add). Per target this is exactly scale·(x·Aᵀ)·Bᵀ (Hu et al.
 * 2021): the off-diagonal blocks are zero. Unadapted targets contribute no rank; an unadapted group is rank 0.
 */
import { SmolmapError } from '../errors.js';
import { loraScale, loraTensorName, projectionDims, type LoraAdapter } from './lora.js';
import type { F32Tensor, LlamaConfig, LoraTarget } from './types.js';

export interface LoraGroup {
  name: 'qkv' | 'o' | 'gate_up' | 'down';
  targets: readonly LoraTarget[];
}

/** In the order of the fused projections' output columns (llama.ts `fuseProjections`). */
export const LORA_GROUPS: readonly LoraGroup[] = [
  { name: 'qkv', targets: ['q_proj', 'k_proj', 'v_proj'] },
  { name: 'o', targets: ['o_proj'] },
  { name: 'gate_up', targets: ['gate_proj', 'up_proj'] },
  { name: 'down', targets: ['down_proj'] },
];

export const groupInputName = (layer: number, group: LoraGroup['name'], which: 'A' | 'B'): string =>
  `lora.${layer}.${group}.${which}`;

/** [in, Σout] of a group. */
export function groupDims(cfg: LlamaConfig, group: LoraGroup): [number, number] {
  const dims = group.targets.map((t) => projectionDims(cfg, t));
  return [dims[0]![0], dims.reduce((s, d) => s + d[1], 0)];
}

function checked(cfg: LlamaConfig, adapter: LoraAdapter, layer: number, target: LoraTarget) {
  const a = adapter.tensors.get(loraTensorName(layer, target, 'A'));
  const b = adapter.tensors.get(loraTensorName(layer, target, 'B'));
  if (!a || !b) return null;
  const r = adapter.config.r;
  const [inF, outF] = projectionDims(cfg, target);
  if (a.shape.join() !== `${r},${inF}` || b.shape.join() !== `${outF},${r}`) {
    throw new SmolmapError(
      'adapter_base_mismatch',
      `adapter tensors of layer ${layer} ${target} are [${a.shape}] and [${b.shape}], but this base model needs [${r}, ${inF}] and [${outF}, ${r}]; use the base model the adapter was trained on`,
    );
  }
  return { a, b };
}

/** Extra rank a group always carries, keyed `layer.group` (gguf-nbits.ts: Q4_1 block mins). */
export type BaseRank = ReadonlyMap<string, { a: F32Tensor; b: F32Tensor }>;

/**
 * The grouped A and B of every layer (null adapter: rank 0), alpha/r folded into B; a group's `base` rank,
 * if any, follows the adapter's columns of A and rows of B.
 */
export function groupedLoraTensors(
  cfg: LlamaConfig,
  adapter: LoraAdapter | null,
  base: BaseRank = new Map(),
): Map<string, F32Tensor> {
  const out = new Map<string, F32Tensor>();
  const r = adapter?.config.r ?? 0;
  const scale = adapter ? loraScale(adapter.config) : 0;
  for (let layer = 0; layer < cfg.num_hidden_layers; layer++) {
    for (const group of LORA_GROUPS) {
      const [inF, outF] = groupDims(cfg, group);
      const parts: { a: F32Tensor; b: F32Tensor; col: number }[] = [];
      let col = 0;
      for (const t of group.targets) {
        const ab = adapter ? checked(cfg, adapter, layer, t) : null;
        if (ab) parts.push({ ...ab, col });
        col += projectionDims(cfg, t)[1];
      }
      const extra = base.get(`${layer}.${group.name}`);
      const own = r * parts.length;
      const rank = own + (extra?.a.shape[1] ?? 0);
      const a = new Float32Array(inF * rank); // [in, Σr]
      const b = new Float32Array(rank * outF); // [Σr, Σout]
      parts.forEach((p, k) => {
        const width = p.b.shape[0]!;
        for (let j = 0; j < r; j++) {
          const row = k * r + j;
          for (let i = 0; i < inF; i++) a[i * rank + row] = p.a.data[j * inF + i]!;
          for (let o = 0; o < width; o++) b[row * outF + p.col + o] = scale * p.b.data[o * r + j]!;
        }
      });
      if (extra) {
        const e = rank - own;
        for (let i = 0; i < inF; i++)
          for (let j = 0; j < e; j++) a[i * rank + own + j] = extra.a.data[i * e + j]!;
        b.set(extra.b.data, own * outF);
      }
      out.set(groupInputName(layer, group.name, 'A'), { shape: [inF, rank], data: a });
      out.set(groupInputName(layer, group.name, 'B'), { shape: [rank, outF], data: b });
    }
  }
  return out;
}
