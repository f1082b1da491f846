import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { SmolmapError } from '../../errors.js';
import type { LlamaConfig } from '../types.js';
import { configFromGguf, parseHfConfig } from './config.js';
import { DEQUANTISABLE_TYPES } from './dequant.js';
import { readGgufHeader } from './gguf.js';
import { resolveModelSource, validateShapes } from './load.js';
import { ggufToHfName } from './names.js';
import { readSafetensorsHeader, readShardIndex } from './safetensors.js';

/**
 * Everything an import needs to know about a model without reading its weights: format, config, the files
 * to copy, and a shape check of every tensor against the config (headers only, so it takes milliseconds).
 */
export interface ModelInspection {
  format: 'hf' | 'gguf';
  /** The folder holding the files. */
  dir: string;
  /** File names inside `dir` that make up the model. */
  files: string[];
  config: LlamaConfig;
  parameters: number;
  bytes: number;
}

/** Optional HF files copied when present (tokenizer and generation settings). */
const HF_OPTIONAL = [
  'generation_config.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'chat_template.jinja',
];

const exists = (file: string) =>
  stat(file).then(
    (s) => s.isFile(),
    () => false,
  );

function countParameters(shapes: Iterable<readonly number[]>): number {
  let n = 0;
  for (const s of shapes) n += s.reduce((a, b) => a * b, 1);
  return n;
}

async function inspectGguf(file: string): Promise<ModelInspection> {
  const h = await readGgufHeader(file);
  const config = configFromGguf(
    h.metadata,
    h.tensors.map((t) => t.name),
    file,
  );
  if (!Array.isArray(h.metadata['tokenizer.ggml.tokens'])) {
    throw new SmolmapError(
      'model_tokenizer_missing',
      `${file} has no tokenizer (tokenizer.ggml.tokens); use a GGUF converted with its tokenizer, or import the Hugging Face folder.`,
    );
  }
  const shapes = new Map<string, number[]>();
  for (const t of h.tensors) {
    const hf = ggufToHfName(t.name);
    if (!hf) continue;
    if (!DEQUANTISABLE_TYPES.includes(t.typeName)) {
      throw new SmolmapError(
        'gguf_unsupported_type',
        `${file}: tensor '${t.name}' is ${t.typeName}; smolmap reads ${DEQUANTISABLE_TYPES.join(', ')} — pick another quantisation of the model.`,
        { details: { file, tensor: t.name, type: t.typeName } },
      );
    }
    shapes.set(hf, [...t.dims].reverse());
  }
  validateShapes(config, shapes, file);
  return {
    format: 'gguf',
    dir: path.dirname(file),
    files: [path.basename(file)],
    config,
    parameters: countParameters(shapes.values()),
    bytes: (await stat(file)).size,
  };
}

async function inspectHf(dir: string): Promise<ModelInspection> {
  const configFile = path.join(dir, 'config.json');
  let config: LlamaConfig;
  try {
    config = parseHfConfig(JSON.parse(await readFile(configFile, 'utf8')), configFile);
  } catch (e) {
    if (e instanceof SmolmapError) throw e;
    throw new SmolmapError(
      'model_config_invalid',
      `cannot read ${configFile} as JSON; use the model's own config.json.`,
      {
        cause: e,
      },
    );
  }
  if (!(await exists(path.join(dir, 'tokenizer.json')))) {
    throw new SmolmapError(
      'model_tokenizer_missing',
      `${dir} has no tokenizer.json; copy it from the model's Hugging Face repo into the folder.`,
    );
  }
  const weightFiles: string[] = [];
  const shapes = new Map<string, number[]>();
  const index = path.join(dir, 'model.safetensors.index.json');
  if (await exists(index)) {
    weightFiles.push('model.safetensors.index.json');
    for (const shard of (await readShardIndex(index)).keys()) weightFiles.push(shard);
  } else {
    weightFiles.push('model.safetensors');
  }
  for (const f of weightFiles.filter((w) => w.endsWith('.safetensors'))) {
    for (const t of (await readSafetensorsHeader(path.join(dir, f))).tensors) shapes.set(t.name, t.shape);
  }
  if (!shapes.has('lm_head.weight')) config = { ...config, tie_word_embeddings: true };
  validateShapes(config, shapes, dir);
  const files = ['config.json', 'tokenizer.json', ...weightFiles];
  for (const f of HF_OPTIONAL) if (await exists(path.join(dir, f))) files.push(f);
  let bytes = 0;
  for (const f of files) bytes += (await stat(path.join(dir, f))).size;
  // A tied model counts its embedding once even if the checkpoint also stores a copy as lm_head.
  if (config.tie_word_embeddings) shapes.delete('lm_head.weight');
  return { format: 'hf', dir, files, config, parameters: countParameters(shapes.values()), bytes };
}

/** Inspects a .gguf file, an HF folder, or a folder holding exactly one .gguf. */
export async function inspectModel(source: string): Promise<ModelInspection> {
  const r = await resolveModelSource(source);
  return r.kind === 'gguf' ? inspectGguf(r.path) : inspectHf(r.path);
}
