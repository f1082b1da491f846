/**
 * Base models, the pretrained weights every adapter sits on: list_base_models, pull_base_model (from the
 * Hugging Face Hub) and import_base_model (a .gguf file or Hugging Face folder on the server's machine, offered
 * to local clients only; tools/index.ts). A fresh store has none, and neither map_task nor train_model work
 * without one.
 */
import path from 'node:path';
import { z } from 'zod';
import {
  DEFAULT_BASE_REPO,
  importModel,
  listModels,
  pullModel,
  type BaseModelSummary,
  type ImportModelResult,
} from '../../engine/index.js';
import { defineTool, type AnyTool } from '../tool.js';

const modelName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, ".", "_" or "-", at most 100')
  .describe('name to register the base model under');

const BaseModelRow = z.object({
  name: z.string().describe('base model name, as train_model `base` takes it'),
  source: z.string().describe('where it came from: a Hub repo id or a local path'),
  format: z.enum(['hf', 'gguf']).describe('hf (safetensors folder) or gguf'),
  layers: z.number().int().describe('transformer layers'),
  hiddenSize: z.number().int().describe('hidden size'),
  vocabSize: z.number().int().describe('vocabulary size'),
  addedAt: z.string().describe('when it was registered'),
});

function row(m: BaseModelSummary): z.input<typeof BaseModelRow> {
  return {
    name: m.name,
    source: m.source,
    format: m.format,
    layers: m.config.num_hidden_layers,
    hiddenSize: m.config.hidden_size,
    vocabSize: m.config.vocab_size,
    addedAt: m.addedAt,
  };
}

const Registered = BaseModelRow.extend({
  parameters: z.number().int().describe('parameter count'),
  bytes: z.number().int().describe('bytes on disk'),
  transfer: z.enum(['link', 'copy', 'download']).describe('how the files arrived'),
});

function registered(r: ImportModelResult): z.input<typeof Registered> {
  return { ...row(r), parameters: r.parameters, bytes: r.bytes, transfer: r.transfer };
}

const registeredText = (verb: string) => (r: z.output<typeof Registered>) =>
  `${verb} ${r.name} from ${r.source}: ${(r.parameters / 1e6).toFixed(1)}M parameters, ${(r.bytes / 1e6).toFixed(1)} MB`;

const listBaseModelsTool = defineTool({
  name: 'list_base_models',
  title: 'List base models',
  description:
    'Lists the registered base models (pretrained weights that adapters are trained on and that answer untrained specs). When there is none, pull_base_model fetches the default one.',
  input: z.object({}).strict(),
  output: z.object({ models: z.array(BaseModelRow).describe('registered base models, oldest first') }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run(_args, { engine }) {
    return { models: (await listModels(engine)).map(row) };
  },
  text: ({ models }) =>
    models.length === 0
      ? 'No base model yet; pull_base_model fetches the default one.'
      : models.map((m) => `${m.name}: ${m.format}, ${m.layers} layers (${m.source})`).join('\n'),
});

const pullBaseModelTool = defineTool({
  name: 'pull_base_model',
  title: 'Download a base model',
  description: `Downloads a Llama-architecture model from the Hugging Face Hub (safetensors + tokenizer) and registers it as a base model; default ${DEFAULT_BASE_REPO} (~270 MB). Resumes partial downloads; pulling a registered repo again re-verifies its files. Reports download progress when asked; can run as a task.`,
  input: z
    .object({
      repo: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a Hub repo id: owner/name')
        .optional()
        .describe(`Hugging Face repo id, owner/name (default ${DEFAULT_BASE_REPO})`),
      name: modelName.optional().describe('name to register it under (default: owner--name)'),
    })
    .strict(),
  output: Registered,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  tasks: true,
  async run({ repo, name }, { engine, changed }, extras) {
    let lastFile = '';
    const r = await pullModel(engine, repo ?? DEFAULT_BASE_REPO, {
      ...(name === undefined ? {} : { name }),
      onProgress: (p) => {
        // One notification per file start and per 5 % of it keeps a slow link from flooding the client.
        const pct = p.total > 0 ? Math.floor((20 * p.bytes) / p.total) : 0;
        const key = `${p.file}:${pct}`;
        if (key === lastFile) return;
        lastFile = key;
        void extras.progress(p.bytes, p.total || undefined, `${p.file}: ${(p.bytes / 1e6).toFixed(1)} MB`);
      },
    });
    changed('models');
    return registered(r);
  },
  text: registeredText('Pulled'),
});

/** Offered to local clients only (it reads a path of the server's machine); see tools/index.ts. */
export const importBaseModelTool = defineTool({
  name: 'import_base_model',
  title: 'Import a local base model',
  description:
    'Registers a model file on this machine as a base model: a .gguf file (f32, f16, bf16, q8_0, q4_0, q4_1, q4_k, q6_k) or a Hugging Face folder with config.json, tokenizer.json and *.safetensors. Files are hard-linked when possible, else copied.',
  input: z
    .object({
      path: z
        .string()
        .min(1)
        .max(4096)
        .refine((p) => path.isAbsolute(p), 'an absolute path')
        .describe('absolute path of the .gguf file or the model folder'),
      name: modelName.optional().describe('name to register it under (default: the file or folder name)'),
    })
    .strict(),
  output: Registered,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run({ path: source, name }, { engine, changed }) {
    const r = await importModel(engine, source, name === undefined ? {} : { name });
    changed('models');
    return registered(r);
  },
  text: registeredText('Imported'),
});

export const baseModelTools: AnyTool[] = [listBaseModelsTool, pullBaseModelTool];
