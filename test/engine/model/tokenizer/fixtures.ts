import { readFileSync } from 'node:fs';

import { REFERENCE_DIR, TINY_MODEL_DIR } from '../../../fixtures/paths.js';

/** Reference oracles produced by the Python stack (see test/fixtures/README.md). */
export { REFERENCE_DIR };
/** tiny-llama carries SmolLM2's tokenizer (as transformers 5 saved it) and chat template. */
export { TINY_MODEL_DIR };

export interface OracleFile {
  tokens: Array<{ text: string; ids: number[]; llamaCppSame: boolean }>;
  greedyChat: {
    messages: Array<{ role: 'system' | 'user' | 'assistant'; content: string }>;
    promptIds: number[];
  };
}

export const ORACLE = JSON.parse(
  readFileSync(`${REFERENCE_DIR}/smollm2-135m-instruct-q4_1.json`, 'utf8'),
) as OracleFile;

/** Ids from HF tokenizers (Rust) for varied strings; see gen-python-oracle.py. */
export interface PythonOracle {
  producedBy: string;
  hubPreTokenizer: object;
  cases: Array<{ text: string; hubIds: number[]; tinyIds: number[]; hubIdsSpecialAsText: number[] }>;
}

export const PYTHON_ORACLE = JSON.parse(
  readFileSync(new URL('./python-oracle.json', import.meta.url), 'utf8'),
) as PythonOracle;

/** Strings where SmolLM2's Hub pre-tokenizer (digits split first) and tiny-llama's ByteLevel-only one differ. */
export const PRE_TOKENIZER_DIVERGENT = PYTHON_ORACLE.cases
  .filter((c) => JSON.stringify(c.hubIds) !== JSON.stringify(c.tinyIds))
  .map((c) => c.text);

export function readTinyTokenizerJson(): Record<string, unknown> {
  return JSON.parse(readFileSync(`${TINY_MODEL_DIR}/tokenizer.json`, 'utf8')) as Record<string, unknown>;
}

export function readTinyConfig(): Record<string, unknown> {
  return JSON.parse(readFileSync(`${TINY_MODEL_DIR}/tokenizer_config.json`, 'utf8')) as Record<
    string,
    unknown
  >;
}

export function readTinyChatTemplate(): string {
  return readFileSync(`${TINY_MODEL_DIR}/chat_template.jinja`, 'utf8');
}

/** tiny-llama's tokenizer.json with SmolLM2's Hub pre_tokenizer put back. */
export function hubTokenizerJson(): Record<string, unknown> {
  return { ...readTinyTokenizerJson(), pre_tokenizer: PYTHON_ORACLE.hubPreTokenizer };
}

/**
 * `tokenizer.ggml.*` metadata as llama.cpp's converter writes it for SmolLM2-Instruct (`_set_vocab_gpt2`):
 * tokens by id, "left right" merges, control type for the added special tokens, ids 1/2/0/2, pre "smollm".
 */
export function smolGgufMetadata(): Record<string, string | number | boolean | Array<string | number>> {
  const tj = readTinyTokenizerJson() as {
    model: { vocab: Record<string, number>; merges: Array<[string, string]> };
    added_tokens: Array<{ id: number; special: boolean }>;
  };
  const tokens: string[] = [];
  for (const [token, id] of Object.entries(tj.model.vocab)) tokens[id] = token;
  const types = tokens.map(() => 1);
  for (const t of tj.added_tokens) if (t.special) types[t.id] = 3;
  return {
    'tokenizer.ggml.model': 'gpt2',
    'tokenizer.ggml.pre': 'smollm',
    'tokenizer.ggml.tokens': tokens,
    'tokenizer.ggml.token_type': types,
    'tokenizer.ggml.merges': tj.model.merges.map(([a, b]) => `${a} ${b}`),
    'tokenizer.ggml.bos_token_id': 1,
    'tokenizer.ggml.eos_token_id': 2,
    'tokenizer.ggml.unknown_token_id': 0,
    'tokenizer.ggml.padding_token_id': 2,
    'tokenizer.ggml.add_bos_token': false,
    'tokenizer.chat_template': readTinyChatTemplate(),
  };
}
