import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTokenizer,
  loadTokenizer,
  loadTokenizerFromGguf,
  tokenizerFromGguf,
  type Tokenizer,
} from '../../../../src/engine/model/tokenizer/index.js';
import { readGgufHeader } from '../../../../src/engine/model/weights/gguf.js';
import {
  hubTokenizerJson,
  ORACLE,
  PRE_TOKENIZER_DIVERGENT,
  PYTHON_ORACLE,
  readTinyConfig,
  readTinyTokenizerJson,
  TINY_MODEL_DIR,
} from './fixtures.js';

const GGUF = process.env['SMOLMAP_REAL_MODEL'];
if (!GGUF) {
  console.warn(
    '[skipped] real SmolLM2 GGUF tokenizer tests: set SMOLMAP_REAL_MODEL to the .gguf path to run them',
  );
}

describe.skipIf(!GGUF)('tokenizer rebuilt from the real SmolLM2-135M-Instruct GGUF', () => {
  let gguf: Tokenizer;
  let folder: Tokenizer; // SmolLM2's tokenizer.json with its Hub pre-tokenizer
  let shipped: Tokenizer; // tiny-llama's tokenizer.json as transformers 5 saved it
  beforeAll(async () => {
    gguf = await loadTokenizerFromGguf(GGUF as string);
    folder = createTokenizer(hubTokenizerJson(), readTinyConfig());
    shipped = await loadTokenizer(TINY_MODEL_DIR);
  });

  it('rebuilds the same vocabulary, merges and pre-tokenizer as SmolLM2 tokenizer.json', async () => {
    const { metadata } = await readGgufHeader(GGUF as string);
    expect(metadata['tokenizer.ggml.pre']).toBe('smollm');
    const rebuilt = tokenizerFromGguf(metadata).tokenizerJson as Record<
      string,
      { vocab?: unknown; merges?: unknown }
    >;
    const real = readTinyTokenizerJson() as Record<string, { vocab?: unknown; merges?: unknown }>;
    expect(rebuilt['pre_tokenizer']).toEqual(PYTHON_ORACLE.hubPreTokenizer);
    expect(rebuilt['model']?.vocab).toEqual(real['model']?.vocab);
    expect(rebuilt['model']?.merges).toEqual(real['model']?.merges);
    expect(rebuilt['added_tokens']).toEqual(real['added_tokens']);
  });

  it('gives the oracle ids for all oracle strings and decodes them back', () => {
    for (const { text, ids } of ORACLE.tokens) {
      expect(gguf.encode(text), text).toEqual(ids);
      expect(gguf.decode(ids)).toBe(text);
    }
  });

  it('equals the tokenizer.json tokenizer on varied strings and round-trips them', () => {
    expect(PYTHON_ORACLE.cases.length).toBeGreaterThanOrEqual(50);
    for (const { text, hubIds } of PYTHON_ORACLE.cases) {
      const ids = gguf.encode(text);
      expect(ids, text).toEqual(hubIds);
      expect(ids, text).toEqual(folder.encode(text));
      expect(gguf.decode(ids)).toBe(text);
      // tiny-llama's ByteLevel-only file differs only where digits follow whitespace runs or are non-ASCII.
      if (!PRE_TOKENIZER_DIVERGENT.includes(text)) expect(ids, text).toEqual(shipped.encode(text));
    }
  });

  it('renders the ChatML template exactly and encodes it to the oracle prompt ids', () => {
    const text = gguf.applyChatTemplate([{ role: 'user', content: 'Hi' }], { addGenerationPrompt: true });
    expect(text).toBe(
      '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' +
        '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
    );
    const prompt = gguf.applyChatTemplate(ORACLE.greedyChat.messages, { addGenerationPrompt: true });
    expect(gguf.encode(prompt)).toEqual(ORACLE.greedyChat.promptIds);
  });

  it('has SmolLM2-Instruct special ids and the same per-token bytes as the folder tokenizer', () => {
    expect([gguf.vocabSize, gguf.bosTokenId, gguf.eosTokenId, gguf.padTokenId]).toEqual([49152, 1, 2, 2]);
    expect(gguf.stopTokenIds).toEqual([2]);
    for (let id = 0; id < gguf.vocabSize; id++) {
      if (!Buffer.from(gguf.tokenBytes(id)).equals(Buffer.from(folder.tokenBytes(id)))) {
        expect.fail(`tokenBytes(${id}) differs`);
      }
    }
  });
});
