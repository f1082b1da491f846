import { readFileSync } from 'node:fs';

/** Reference oracles produced by the Python stack (see /work/shared/reference/README.md). */
export const REFERENCE_DIR = '/work/shared/reference';
/** tiny-llama carries SmolLM2's tokenizer (as transformers 5 saved it) and chat template. */
export const TINY_MODEL_DIR = `${REFERENCE_DIR}/tiny-llama/model`;

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
