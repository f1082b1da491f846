/**
 * A PEFT adapter as a llama.cpp LoRA adapter GGUF (`llama-cli -m base.gguf --lora adapter.gguf`), written the
 * way llama.cpp's `convert_lora_to_gguf.py` writes one and `src/llama-adapter.cpp` reads it:
 * - metadata `general.type = "adapter"`, `general.architecture` = the base's ("llama"), `adapter.type = "lora"`,
 *   `adapter.lora.alpha` (f32); llama.cpp scales by alpha / rank, so rsLoRA (alpha / √r) is written as the
 *   alpha that gives the same scale, alpha·√r (the format has no rsLoRA flag);
 * - tensors `<base GGUF name>.lora_a` with ne [in, r] and `.lora_b` with ne [r, out]: PEFT's A [r, in] and
 *   B [out, r] row-major bytes unchanged (ggml ne is the reversed PyTorch shape);
 * - for attn_q / attn_k the converter runs the base model's `modify_tensors`, which applies the Q/K row
 *   permutation of §2.4 to lora_b's rows (A is unchanged), because llama.cpp's base q/k rows are permuted too;
 * - `--outtype` f32 | f16 | bf16 | q8_0; like the converter, a tensor whose rows are not whole q8_0 blocks
 *   (lora_b's ne[0] = r, unless r is a multiple of 32) falls back to f16 (gguf-py `QuantError` → F16).
 */
import { readFile } from 'node:fs/promises';

import { SmolmapError } from '../errors.js';
import { loraScale, modulePath, projectionDims, type LoraAdapter } from '../model/lora.js';
import type { F32Tensor, LlamaConfig } from '../model/types.js';
import { configFromGguf, parseHfConfig } from '../model/weights/config.js';
import { GGML } from '../model/weights/ggml-types.js';
import { encodeGguf, type GgufEntry, type GgufTensorOut } from '../model/weights/gguf-write.js';
import { readGgufHeader } from '../model/weights/gguf.js';
import { f32ToBf16 } from '../model/weights/half.js';
import { resolveModelSource } from '../model/weights/load.js';
import { hfToGgufName, permuteQk } from '../model/weights/names.js';
import { encodeF16, quantizeQ8_0 } from '../model/weights/quantize.js';

export const GGUF_LORA_OUTTYPES = ['f32', 'f16', 'bf16', 'q8_0'] as const;
export type GgufLoraOuttype = (typeof GGUF_LORA_OUTTYPES)[number];

/** llama_ftype of a file whose 2-D tensors are all of one type (llama.h). */
const FILE_TYPE: Record<GgufLoraOuttype, number> = { f32: 0, f16: 1, q8_0: 7, bf16: 32 };

/** The base model's config and GGUF architecture name, read without loading its weights. */
export async function baseConfigOf(source: string): Promise<{ config: LlamaConfig; architecture: string }> {
  const r = await resolveModelSource(source);
  if (r.kind === 'hf') {
    const file = `${r.path}/config.json`;
    return { config: parseHfConfig(JSON.parse(await readFile(file, 'utf8')), file), architecture: 'llama' };
  }
  const header = await readGgufHeader(r.path);
  const config = configFromGguf(
    header.metadata,
    header.tensors.map((t) => t.name),
    r.path,
  );
  const arch = header.metadata['general.architecture'];
  return { config, architecture: typeof arch === 'string' ? arch : 'llama' };
}

function encodeBf16(x: Float32Array): Uint8Array {
  const out = new Uint8Array(x.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < x.length; i++) view.setUint16(2 * i, f32ToBf16(x[i]!), true);
  return out;
}

/** One tensor in the requested type; `dims` are ggml ne (reversed PyTorch shape). */
function tensorOut(name: string, t: F32Tensor, outtype: GgufLoraOuttype): GgufTensorOut {
  const dims = [...t.shape].reverse();
  const x = t.data;
  switch (outtype) {
    case 'f32':
      return { name, dims, type: GGML.F32, data: new Uint8Array(x.buffer, x.byteOffset, x.byteLength) };
    case 'f16':
      return { name, dims, type: GGML.F16, data: encodeF16(x) };
    case 'bf16':
      return { name, dims, type: GGML.BF16, data: encodeBf16(x) };
    case 'q8_0':
      return dims[0]! % 32 === 0
        ? { name, dims, type: GGML.Q8_0, data: quantizeQ8_0(x) }
        : { name, dims, type: GGML.F16, data: encodeF16(x) };
  }
}

export interface GgufLoraOptions {
  /** Written as `general.name`. */
  name: string;
  outtype: GgufLoraOuttype;
}

/** The adapter as a llama.cpp LoRA GGUF file (bytes); checks every module against the base's shapes. */
export function encodeGgufLora(
  adapter: LoraAdapter,
  base: { config: LlamaConfig; architecture: string },
  options: GgufLoraOptions,
): Buffer {
  const { config } = base;
  const tensors: GgufTensorOut[] = [];
  for (const m of adapter.modules) {
    const [inF, outF] = projectionDims(config, m.target);
    if (m.layer >= config.num_hidden_layers || inF !== m.inFeatures || outF !== m.outFeatures)
      throw new SmolmapError(
        'adapter_base_mismatch',
        `the adapter's layer ${m.layer} ${m.target} is [${m.outFeatures}, ${m.inFeatures}] but the base model has ${m.layer < config.num_hidden_layers ? `[${outF}, ${inF}]` : `${config.num_hidden_layers} layers`}; export against the base model the adapter was trained on`,
      );
    const gguf = hfToGgufName(`${modulePath(m.layer, m.target)}.weight`)!;
    const a = adapter.tensors.get(m.a)!;
    let b = adapter.tensors.get(m.b)!;
    // Permute B's output rows exactly as the base's q/k rows are permuted (convert_hf_to_gguf.py).
    if (m.target === 'q_proj') b = permuteQk(b, config.num_attention_heads, 'toGguf');
    else if (m.target === 'k_proj') b = permuteQk(b, config.num_key_value_heads, 'toGguf');
    tensors.push(tensorOut(`${gguf}.lora_a`, a, options.outtype));
    tensors.push(tensorOut(`${gguf}.lora_b`, b, options.outtype));
  }
  const entries: GgufEntry[] = [
    { key: 'general.architecture', type: 'string', value: base.architecture },
    { key: 'general.type', type: 'string', value: 'adapter' },
    { key: 'general.name', type: 'string', value: options.name },
    { key: 'general.file_type', type: 'u32', value: FILE_TYPE[options.outtype] },
    { key: 'general.quantization_version', type: 'u32', value: 2 },
    { key: 'adapter.type', type: 'string', value: 'lora' },
    // llama.cpp: scale = alpha / rank (llama_adapter_lora_weight::get_scale), rank = lora_b ne[0].
    { key: 'adapter.lora.alpha', type: 'f32', value: loraScale(adapter.config) * adapter.config.r },
  ];
  return encodeGguf(entries, tensors);
}
