import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SmolmapError } from '../../errors.js';
import { createTokenizer } from './hf-tokenizer.js';
import type { Tokenizer } from './types.js';

export { encodeChat } from './chat-encode.js';
export { createTokenizer } from './hf-tokenizer.js';
export { tokenizerFromGguf, loadTokenizerFromGguf, type GgufTokenizerDocs } from './gguf.js';
export type { ChatMessage, Tokenizer } from './types.js';

/**
 * Loads a Hugging Face tokenizer folder: tokenizer.json (required), tokenizer_config.json (special tokens,
 * chat template) and chat_template.jinja, which wins over the config's template as in transformers 5.
 */
export async function loadTokenizer(dir: string): Promise<Tokenizer> {
  const tokenizerJson = await readJson(join(dir, 'tokenizer.json'), true);
  const config = (await readJson(join(dir, 'tokenizer_config.json'), false)) ?? {};
  const template = await readOptional(join(dir, 'chat_template.jinja'));
  return createTokenizer(tokenizerJson ?? {}, config, template);
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SmolmapError(
      'tokenizer_unreadable',
      `Cannot read ${file}: ${String(cause)}; check its permissions.`,
      {
        cause,
      },
    );
  }
}

async function readJson(file: string, required: boolean): Promise<object | undefined> {
  const text = await readOptional(file);
  if (text === undefined) {
    if (!required) return undefined;
    throw new SmolmapError(
      'tokenizer_not_found',
      `No tokenizer at ${file}; point at a Hugging Face model folder that contains tokenizer.json ` +
        '(or import a GGUF file, whose tokenizer is rebuilt from its metadata).',
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new SmolmapError(
      'tokenizer_invalid',
      `${file} is not valid JSON; re-download or re-import the model.`,
      {
        cause,
      },
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SmolmapError(
      'tokenizer_invalid',
      `${file} is not a JSON object; re-download or re-import the model.`,
    );
  }
  return parsed;
}
