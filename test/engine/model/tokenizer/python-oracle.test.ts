import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTokenizer,
  loadTokenizer,
  type Tokenizer,
} from '../../../../src/engine/model/tokenizer/index.js';
import {
  hubTokenizerJson,
  PRE_TOKENIZER_DIVERGENT,
  PYTHON_ORACLE,
  readTinyConfig,
  TINY_MODEL_DIR,
} from './fixtures.js';

// HF tokenizers (Rust) is the reference; @huggingface/tokenizers must agree with it through our wrapper.
const CASES = PYTHON_ORACLE.cases.map((c) => [c.text, c] as const);

describe('tiny-llama tokenizer.json as shipped (ByteLevel only) vs HF tokenizers (Rust)', () => {
  let tok: Tokenizer;
  beforeAll(async () => {
    tok = await loadTokenizer(TINY_MODEL_DIR);
  });
  it.each(CASES)('%j', (text, c) => {
    expect(tok.encode(text)).toEqual(c.tinyIds);
    expect(tok.decode(c.tinyIds)).toBe(text);
  });
});

describe("SmolLM2's Hub pre-tokenizer (Digits then ByteLevel) vs HF tokenizers (Rust)", () => {
  const tok = createTokenizer(hubTokenizerJson(), readTinyConfig());
  it.each(CASES)('%j', (text, c) => {
    expect(tok.encode(text)).toEqual(c.hubIds);
    expect(tok.decode(c.hubIds)).toBe(text);
  });

  it.each(CASES)('special tokens spelled as text (encode_special_tokens) for %j', (text, c) => {
    expect(tok.encode(text, { parseSpecialTokens: false })).toEqual(c.hubIdsSpecialAsText);
    expect(tok.decode(c.hubIdsSpecialAsText)).toBe(text);
  });

  it('spells special tokens as text only when asked', () => {
    const text = 'a<|im_end|>b';
    expect(tok.encode(text)).toContain(2);
    expect(tok.encode(text, { parseSpecialTokens: false })).not.toContain(2);
  });

  it('includes strings where the two pre-tokenizers really differ', () => {
    // Whitespace runs before digits, and non-ASCII numerics that only Unicode-aware Digits isolates.
    expect(PRE_TOKENIZER_DIVERGENT).toContain('x  1  22   333');
    expect(PRE_TOKENIZER_DIVERGENT).toContain('٣٤٥ ²³ ½ １２ Ⅻ ①②');
  });
});
