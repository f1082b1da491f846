/**
 * LoRA adapters (Hu et al. 2021, arXiv:2106.09685) in Hugging Face PEFT's conventions, so adapters trained here
 * load in Python PEFT and PEFT adapters load here:
 * - a targeted Linear W [out, in] gains A [r, in] and B [out, r]; y = x·Wᵀ + scale·(x·Aᵀ)·Bᵀ with
 *   scale = alpha / r, or alpha / √r with rsLoRA (Kalajdzievski 2023, arXiv:2312.03732);
 * - init as PEFT's `reset_lora_parameters(init_lora_weights=True)`: A ~ kaiming_uniform(a=√5) = U(−1/√in, 1/√in),
 *   B = 0, so a fresh adapter leaves the model unchanged;
 * - tensors are keyed by the module path plus `lora_A.weight` / `lora_B.weight` (PEFT's live names without the
 *   `.default` adapter name); the saved file prefixes `base_model.model.`.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

import { SmolmapError, internal } from '../errors.js';
import { Rng } from '../rng.js';
import { readSafetensors } from './weights/safetensors.js';
import { writeSafetensors } from './weights/safetensors-write.js';
import { LORA_TARGETS, type F32Tensor, type LlamaConfig, type LoraTarget, type WeightMap } from './types.js';

export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';
const SAVED_PREFIX = 'base_model.model.';

export const loraConfigSchema = z.strictObject({
  r: z.number().int().min(1).max(1024).default(16).describe('LoRA rank'),
  alpha: z.number().positive().default(32).describe('LoRA alpha (scale alpha / r)'),
  dropout: z.number().min(0).max(0.9).default(0).describe('dropout on the LoRA input'),
  targets: z
    .array(z.enum(LORA_TARGETS))
    .min(1)
    .default([...LORA_TARGETS])
    .transform((ts) => LORA_TARGETS.filter((t) => ts.includes(t)))
    .describe('projections to adapt (default: all)'),
  layers: z
    .array(z.number().int().min(0))
    .min(1)
    .nullable()
    .default(null)
    .describe('layer indices to adapt, as PEFT layers_to_transform (default null: every layer)'),
  seed: z.number().int().min(0).default(0).describe('seed of the A matrices'),
  rslora: z.boolean().default(false).describe('rank-stabilised scale alpha / sqrt(r)'),
});
export type LoraConfig = z.output<typeof loraConfigSchema>;

/** One adapted Linear layer. */
export interface LoraModule {
  layer: number;
  target: LoraTarget;
  /** Input and output features of the base Linear (W is [out, in]). */
  inFeatures: number;
  outFeatures: number;
  /** Tensor keys of A [r, in] and B [out, r]. */
  a: string;
  b: string;
}

export interface LoraAdapter {
  config: LoraConfig;
  modules: LoraModule[];
  /** Keyed by `loraTensorName`. */
  tensors: Map<string, F32Tensor>;
}

/** Written into adapter_config.json; `baseModel` becomes `base_model_name_or_path`. */
export interface AdapterMeta {
  baseModel: string | null;
}

const isAttn = (t: LoraTarget): boolean =>
  t === 'q_proj' || t === 'k_proj' || t === 'v_proj' || t === 'o_proj';

/** The Hugging Face module path of a projection, e.g. `model.layers.3.mlp.up_proj`. */
export function modulePath(layer: number, target: LoraTarget): string {
  return `model.layers.${layer}.${isAttn(target) ? 'self_attn' : 'mlp'}.${target}`;
}

/** Adapter tensor key (and graph input name): `model.layers.3.self_attn.q_proj.lora_A.weight`. */
export function loraTensorName(layer: number, target: LoraTarget, which: 'A' | 'B'): string {
  return `${modulePath(layer, target)}.lora_${which}.weight`;
}

export function loraScale(config: Pick<LoraConfig, 'r' | 'alpha' | 'rslora'>): number {
  return config.rslora ? config.alpha / Math.sqrt(config.r) : config.alpha / config.r;
}

/** [in, out] of each projection for a Llama config. */
export function projectionDims(c: LlamaConfig, target: LoraTarget): [number, number] {
  const q = c.num_attention_heads * c.head_dim;
  const kv = c.num_key_value_heads * c.head_dim;
  const h = c.hidden_size;
  const i = c.intermediate_size;
  const dims: Record<LoraTarget, [number, number]> = {
    q_proj: [h, q],
    k_proj: [h, kv],
    v_proj: [h, kv],
    o_proj: [q, h],
    gate_proj: [h, i],
    up_proj: [h, i],
    down_proj: [i, h],
  };
  return dims[target];
}

/** The adapted modules, in layer order then LORA_TARGETS order. */
export function loraModules(model: LlamaConfig, lora: LoraConfig): LoraModule[] {
  const layers = lora.layers ?? Array.from({ length: model.num_hidden_layers }, (_, i) => i);
  const bad = layers.find((l) => l >= model.num_hidden_layers);
  if (bad !== undefined) {
    throw new SmolmapError(
      'lora_bad_layers',
      `LoRA layer ${bad} does not exist: the model has ${model.num_hidden_layers} layers (0-${model.num_hidden_layers - 1})`,
    );
  }
  const out: LoraModule[] = [];
  for (const layer of [...new Set(layers)].sort((x, y) => x - y)) {
    for (const target of lora.targets) {
      const [inFeatures, outFeatures] = projectionDims(model, target);
      const a = loraTensorName(layer, target, 'A');
      const b = loraTensorName(layer, target, 'B');
      out.push({ layer, target, inFeatures, outFeatures, a, b });
    }
  }
  return out;
}

/** A fresh adapter with PEFT's default init, reproducible from `lora.seed`. */
export function createAdapter(model: LlamaConfig, lora: LoraConfig): LoraAdapter {
  const rng = new Rng(lora.seed);
  const modules = loraModules(model, lora);
  const tensors = new Map<string, F32Tensor>();
  for (const m of modules) {
    // kaiming_uniform_(a=√5): bound = √(6 / ((1 + a²)·fan_in)) = 1/√fan_in, fan_in = in_features.
    const bound = 1 / Math.sqrt(m.inFeatures);
    const a = new Float32Array(lora.r * m.inFeatures);
    for (let i = 0; i < a.length; i++) a[i] = rng.uniform(-bound, bound);
    tensors.set(m.a, { shape: [lora.r, m.inFeatures], data: a });
    tensors.set(m.b, { shape: [m.outFeatures, lora.r], data: new Float32Array(m.outFeatures * lora.r) });
  }
  return { config: lora, modules, tensors };
}

/** adapter_config.json with PEFT 0.21's full key set, so PEFT's LoraConfig accepts it unchanged. */
export function peftConfigJson(lora: LoraConfig, meta: AdapterMeta): Record<string, unknown> {
  return {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: meta.baseModel,
    bias: 'none',
    eva_config: null,
    exclude_modules: null,
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: lora.layers,
    loftq_config: {},
    lora_alpha: lora.alpha,
    lora_bias: false,
    lora_dropout: lora.dropout,
    megatron_config: null,
    megatron_core: 'megatron.core',
    modules_to_save: null,
    peft_type: 'LORA',
    r: lora.r,
    rank_pattern: {},
    revision: null,
    target_modules: [...lora.targets],
    task_type: 'CAUSAL_LM',
    trainable_token_indices: null,
    use_dora: false,
    use_rslora: lora.rslora,
  };
}

/**
 * Writes `adapter_config.json` + `adapter_model.safetensors` (f32, `{"format": "pt"}` metadata as PEFT writes)
 * into `dir`, atomically: both files go to a sibling temp folder that is renamed into place.
 */
export async function saveAdapter(dir: string, adapter: LoraAdapter, meta: AdapterMeta): Promise<void> {
  const target = path.resolve(dir);
  const tmp = `${target}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const saved = new Map<string, F32Tensor>();
  for (const [key, t] of adapter.tensors) saved.set(SAVED_PREFIX + key, t);
  await writeSafetensors(path.join(tmp, ADAPTER_WEIGHTS_FILE), saved, { format: 'pt' });
  const json = JSON.stringify(peftConfigJson(adapter.config, meta), null, 2) + '\n';
  await writeFile(path.join(tmp, ADAPTER_CONFIG_FILE), json);
  await rm(target, { recursive: true, force: true });
  await mkdir(path.dirname(target), { recursive: true });
  await rename(tmp, target);
}

function badAdapter(dir: string, why: string, cause?: unknown): SmolmapError {
  return new SmolmapError(
    'adapter_invalid',
    `${dir} is not a usable PEFT LoRA adapter: ${why}; re-export it from PEFT or retrain`,
    { cause, details: { dir } },
  );
}

const peftFileSchema = z.looseObject({
  peft_type: z.literal('LORA'),
  r: z.number().int().positive(),
  lora_alpha: z.number().positive(),
  lora_dropout: z.number().min(0).optional(),
  target_modules: z.union([z.array(z.string()), z.string()]),
  use_rslora: z.boolean().optional(),
  use_dora: z.boolean().optional(),
  fan_in_fan_out: z.boolean().optional(),
  bias: z.string().optional(),
  layers_to_transform: z.union([z.array(z.number().int()), z.number().int(), z.null()]).optional(),
  rank_pattern: z.record(z.string(), z.unknown()).optional(),
  alpha_pattern: z.record(z.string(), z.unknown()).optional(),
  base_model_name_or_path: z.string().nullable().optional(),
});

async function readPeftConfig(dir: string): Promise<z.output<typeof peftFileSchema>> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path.join(dir, ADAPTER_CONFIG_FILE), 'utf8'));
  } catch (e) {
    throw badAdapter(dir, `cannot read ${ADAPTER_CONFIG_FILE} (${(e as Error).message})`, e);
  }
  const parsed = peftFileSchema.safeParse(raw);
  if (!parsed.success) throw badAdapter(dir, `${ADAPTER_CONFIG_FILE}: ${parsed.error.issues[0]?.message}`);
  const c = parsed.data;
  if (c.use_dora) throw badAdapter(dir, 'DoRA adapters are not supported');
  if (c.fan_in_fan_out) throw badAdapter(dir, 'fan_in_fan_out (Conv1D) adapters are not supported');
  if (c.bias && c.bias !== 'none') throw badAdapter(dir, `bias "${c.bias}" is not supported (only "none")`);
  if (Object.keys(c.rank_pattern ?? {}).length + Object.keys(c.alpha_pattern ?? {}).length > 0)
    throw badAdapter(dir, 'per-module rank_pattern/alpha_pattern is not supported');
  return c;
}

const NAME_RE =
  /^(?:base_model\.model\.)?model\.layers\.(\d+)\.(self_attn|mlp)\.(\w+)\.lora_([AB])(?:\.default)?\.weight$/;

/**
 * Reads a PEFT LoRA adapter folder (ours or Python PEFT's). The adapted modules come from the tensors present;
 * every module must have both A [r, in] and B [out, r].
 */
export async function loadAdapter(dir: string): Promise<LoraAdapter & { meta: AdapterMeta }> {
  const c = await readPeftConfig(dir);
  let raw: WeightMap;
  try {
    raw = await readSafetensors(path.join(dir, ADAPTER_WEIGHTS_FILE));
  } catch (e) {
    throw badAdapter(dir, `cannot read ${ADAPTER_WEIGHTS_FILE}`, e);
  }
  const tensors = new Map<string, F32Tensor>();
  const found = new Map<string, { layer: number; target: LoraTarget }>();
  for (const [name, t] of raw) {
    const m = NAME_RE.exec(name);
    const target = m?.[3] as LoraTarget | undefined;
    if (!m || !target || !(LORA_TARGETS as readonly string[]).includes(target))
      throw badAdapter(
        dir,
        `unexpected tensor "${name}" (only q/k/v/o/gate/up/down_proj LoRA A/B are supported)`,
      );
    const layer = Number(m[1]);
    tensors.set(loraTensorName(layer, target, m[4] as 'A' | 'B'), t);
    found.set(modulePath(layer, target), { layer, target });
  }
  const modules: LoraModule[] = [];
  for (const { layer, target } of found.values()) {
    const a = tensors.get(loraTensorName(layer, target, 'A'));
    const b = tensors.get(loraTensorName(layer, target, 'B'));
    const where = modulePath(layer, target);
    if (!a || !b) throw badAdapter(dir, `${where} has only one of lora_A / lora_B`);
    if (a.shape.length !== 2 || b.shape.length !== 2 || a.shape[0] !== c.r || b.shape[1] !== c.r)
      throw badAdapter(dir, `${where}: A [${a.shape}] / B [${b.shape}] do not have rank r = ${c.r}`);
    modules.push({
      layer,
      target,
      inFeatures: a.shape[1]!,
      outFeatures: b.shape[0]!,
      a: loraTensorName(layer, target, 'A'),
      b: loraTensorName(layer, target, 'B'),
    });
  }
  if (modules.length === 0) throw badAdapter(dir, 'it holds no LoRA tensors');
  modules.sort(
    (x, y) => x.layer - y.layer || LORA_TARGETS.indexOf(x.target) - LORA_TARGETS.indexOf(y.target),
  );
  const layers = [...new Set(modules.map((m) => m.layer))];
  const config = loraConfigSchema.parse({
    r: c.r,
    alpha: c.lora_alpha,
    dropout: c.lora_dropout ?? 0,
    targets: [...new Set(modules.map((m) => m.target))],
    layers: c.layers_to_transform === undefined || c.layers_to_transform === null ? null : layers,
    rslora: c.use_rslora ?? false,
  });
  return { config, modules, tensors, meta: { baseModel: c.base_model_name_or_path ?? null } };
}

/**
 * Returns a copy of `weights` where every adapted W [out, in] is replaced by W + scale·B·A (PEFT `merge()`).
 * Unadapted tensors are shared, not copied.
 */
export function mergeAdapter(weights: WeightMap, adapter: LoraAdapter): WeightMap {
  const out: WeightMap = new Map(weights);
  const scale = loraScale(adapter.config);
  const r = adapter.config.r;
  for (const m of adapter.modules) {
    const name = `${modulePath(m.layer, m.target)}.weight`;
    const w = weights.get(name);
    const a = adapter.tensors.get(m.a);
    const b = adapter.tensors.get(m.b);
    if (!a || !b) throw internal(`adapter module ${name} lacks its A or B tensor`);
    if (!w || w.shape[0] !== m.outFeatures || w.shape[1] !== m.inFeatures) {
      throw new SmolmapError(
        'adapter_base_mismatch',
        `the adapter targets ${name} as [${m.outFeatures}, ${m.inFeatures}] but the base model has ${w ? `[${w.shape}]` : 'no such tensor'}; use the base model the adapter was trained on`,
      );
    }
    const merged = new Float32Array(w.data);
    const nIn = m.inFeatures;
    for (let o = 0; o < m.outFeatures; o++) {
      const row = o * nIn;
      for (let k = 0; k < r; k++) {
        const s = scale * b.data[o * r + k]!;
        if (s === 0) continue;
        const aRow = k * nIn;
        for (let i = 0; i < nIn; i++) merged[row + i]! += s * a.data[aRow + i]!;
      }
    }
    out.set(name, { shape: [...w.shape], data: merged });
  }
  return out;
}
