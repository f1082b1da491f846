/**
 * `export` (facade): a trained adapter as a PEFT folder (the adapter as trained, loadable by Python PEFT), as a
 * llama.cpp LoRA adapter GGUF file (export-gguf.ts; `--lora` beside the base GGUF), or MERGED into its base model (lora.ts `mergeAdapter`, W + scale·B·A) as an ONNX folder Transformers.js runs:
 * `onnx/model.onnx` from the same inference graph we decode with (Transformers.js I/O names: input_ids,
 * attention_mask, position_ids, past_key_values.N.key/value → logits, present.N.key/value),
 * plus config.json, generation_config.json, tokenizer.json and tokenizer_config.json (+ chat_template.jinja).
 */
import { cp, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { Engine } from '../engine.js';
import { SmolmapError } from '../errors.js';
import { findAdapter } from '../models.js';
import { serialize } from '../model/graph/serialize.js';
import { inferenceGraph } from '../model/llama.js';
import { loadAdapter, mergeAdapter } from '../model/lora.js';
import { baseModelPath } from '../model/registry.js';
import { readGgufHeader } from '../model/weights/gguf.js';
import { tokenizerFromGguf } from '../model/tokenizer/gguf.js';
import { loadTokenizer, loadTokenizerFromGguf } from '../model/tokenizer/index.js';
import type { LlamaConfig } from '../model/types.js';
import { loadWeights } from '../model/weights/load.js';
import { GGUF_LORA_OUTTYPES, baseConfigOf, encodeGgufLora, type GgufLoraOuttype } from './export-gguf.js';

export const EXPORT_FORMATS = ['peft', 'onnx', 'gguf-lora'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  /** ModelRecord.id. */
  model: string;
  format: ExportFormat;
  /**
   * Output folder (peft, onnx; default `./<model>-<format>`, must not exist or be empty) or file (gguf-lora;
   * default `./<model>-lora.gguf`, must not exist).
   */
  out?: string;
  /** gguf-lora tensor type (default f32). */
  outtype?: GgufLoraOuttype;
  tenant?: string;
}

export interface ExportResult {
  model: string;
  format: ExportFormat;
  /** The folder written (peft, onnx) or the folder holding the written file (gguf-lora). */
  dir: string;
  /** Paths relative to `dir`. */
  files: string[];
  bytes: number;
}

/** Hugging Face config.json for a Llama (what transformers and Transformers.js read). */
export function hfLlamaConfig(c: LlamaConfig, externalData: boolean): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_act: 'silu',
    hidden_size: c.hidden_size,
    intermediate_size: c.intermediate_size,
    num_hidden_layers: c.num_hidden_layers,
    num_attention_heads: c.num_attention_heads,
    num_key_value_heads: c.num_key_value_heads,
    head_dim: c.head_dim,
    vocab_size: c.vocab_size,
    rope_theta: c.rope_theta,
    rms_norm_eps: c.rms_norm_eps,
    tie_word_embeddings: c.tie_word_embeddings,
    max_position_embeddings: c.max_position_embeddings,
    bos_token_id: c.bos_token_id,
    eos_token_id: c.eos_token_id,
    pad_token_id: c.pad_token_id,
    torch_dtype: 'float32',
    use_cache: true,
    ...(externalData ? { 'transformers.js_config': { use_external_data_format: true } } : {}),
  };
}

async function prepareOut(dir: string): Promise<void> {
  const existing = await stat(dir).catch(() => null);
  if (existing) {
    const { readdir } = await import('node:fs/promises');
    if (!existing.isDirectory() || (await readdir(dir)).length > 0) {
      throw new SmolmapError(
        'export_out_exists',
        `${dir} already exists and is not an empty folder; choose another --out or remove it`,
      );
    }
  }
  await mkdir(dir, { recursive: true });
}

/** Tokenizer documents of the base: copied from an HF folder, rebuilt from GGUF metadata otherwise. */
async function writeTokenizerFiles(source: string, dir: string): Promise<void> {
  const isDir = (await stat(source)).isDirectory();
  if (isDir) {
    for (const f of [
      'tokenizer.json',
      'tokenizer_config.json',
      'chat_template.jinja',
      'special_tokens_map.json',
    ]) {
      await cp(path.join(source, f), path.join(dir, f)).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT' || f === 'tokenizer.json') throw e;
      });
    }
    return;
  }
  const docs = tokenizerFromGguf((await readGgufHeader(source)).metadata);
  await writeFile(path.join(dir, 'tokenizer.json'), JSON.stringify(docs.tokenizerJson));
  const config = {
    ...docs.tokenizerConfig,
    ...(docs.chatTemplate ? { chat_template: docs.chatTemplate } : {}),
  };
  await writeFile(path.join(dir, 'tokenizer_config.json'), JSON.stringify(config, null, 2));
}

async function exportOnnx(engine: Engine, adapterDir: string, baseModel: string, dir: string): Promise<void> {
  const source = await baseModelPath(engine, baseModel);
  const [{ config, weights }, adapter] = await Promise.all([loadWeights(source), loadAdapter(adapterDir)]);
  const merged = mergeAdapter(weights, adapter);
  const { model, external } = serialize(inferenceGraph(config, merged), { externalFile: 'model.onnx_data' });
  await mkdir(path.join(dir, 'onnx'), { recursive: true });
  await writeFile(path.join(dir, 'onnx', 'model.onnx'), model);
  if (external.length > 0) {
    const size = Math.max(...external.map((c) => c.offset + c.data.byteLength));
    const buf = new Uint8Array(size);
    for (const c of external) buf.set(c.data, c.offset);
    await writeFile(path.join(dir, 'onnx', 'model.onnx_data'), buf);
  }
  await writeFile(
    path.join(dir, 'config.json'),
    JSON.stringify(hfLlamaConfig(config, external.length > 0), null, 2),
  );
  const generation = {
    bos_token_id: config.bos_token_id,
    eos_token_id: config.eos_token_id,
    pad_token_id: config.pad_token_id,
  };
  await writeFile(path.join(dir, 'generation_config.json'), JSON.stringify(generation, null, 2));
  await writeTokenizerFiles(source, dir);
  // The tokenizer must load here too: a folder that Transformers.js cannot tokenise for is no export.
  await ((await stat(source)).isDirectory() ? loadTokenizer(dir) : loadTokenizerFromGguf(source));
}

async function listFiles(dir: string, prefix = ''): Promise<{ files: string[]; bytes: number }> {
  const { readdir } = await import('node:fs/promises');
  const files: string[] = [];
  let bytes = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = path.join(prefix, e.name);
    if (e.isDirectory()) {
      const sub = await listFiles(path.join(dir, e.name), rel);
      files.push(...sub.files);
      bytes += sub.bytes;
    } else {
      files.push(rel);
      bytes += (await stat(path.join(dir, e.name))).size;
    }
  }
  return { files: files.sort(), bytes };
}

function checkOptions(options: ExportOptions): void {
  if (!(EXPORT_FORMATS as readonly string[]).includes(options.format)) {
    throw new SmolmapError(
      'usage_bad_option',
      `--format must be one of ${EXPORT_FORMATS.join(', ')} (got "${options.format}")`,
    );
  }
  if (options.outtype === undefined) return;
  if (options.format !== 'gguf-lora')
    throw new SmolmapError('usage_bad_option', '--outtype applies to --format gguf-lora only');
  if (!(GGUF_LORA_OUTTYPES as readonly string[]).includes(options.outtype))
    throw new SmolmapError(
      'usage_bad_option',
      `--outtype must be one of ${GGUF_LORA_OUTTYPES.join(', ')} (got "${options.outtype}")`,
    );
}

/** gguf-lora: one file, written beside its final name and renamed, so a failure leaves nothing. */
async function exportGgufLora(
  engine: Engine,
  options: ExportOptions,
  adapterDir: string,
  baseModel: string,
): Promise<ExportResult> {
  const file = path.resolve(options.out ?? `${options.model}-lora.gguf`);
  if (await stat(file).catch(() => null))
    throw new SmolmapError('export_out_exists', `${file} already exists; choose another --out or remove it`);
  const [adapter, base] = await Promise.all([
    loadAdapter(adapterDir),
    baseModelPath(engine, baseModel).then(baseConfigOf),
  ]);
  const bytes = encodeGgufLora(adapter, base, { name: options.model, outtype: options.outtype ?? 'f32' });
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  const dir = path.dirname(file);
  return {
    model: options.model,
    format: 'gguf-lora',
    dir,
    files: [path.basename(file)],
    bytes: bytes.length,
  };
}

export async function exportAdapter(engine: Engine, options: ExportOptions): Promise<ExportResult> {
  checkOptions(options);
  const record = findAdapter(await engine.store.read(), options.model, options.tenant);
  const adapterDir = path.join(engine.modelsDir, record.dir);
  if (options.format === 'gguf-lora') return exportGgufLora(engine, options, adapterDir, record.baseModel);
  const dir = path.resolve(options.out ?? `${options.model}-${options.format}`);
  await prepareOut(dir);
  try {
    if (options.format === 'peft') {
      await loadAdapter(adapterDir); // refuse to export a broken adapter
      await cp(adapterDir, dir, { recursive: true });
    } else {
      await exportOnnx(engine, adapterDir, record.baseModel, dir);
    }
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return { model: options.model, format: options.format, dir, ...(await listFiles(dir)) };
}

/** Reads an exported config.json back (tests, and a check that the folder is complete). */
export async function readExportConfig(dir: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
}
