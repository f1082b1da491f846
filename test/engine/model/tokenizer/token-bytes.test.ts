import { describe, expect, it } from 'vitest';
import { isSmolmapError } from '../../../../src/engine/errors.js';
import { tokenByteRule } from '../../../../src/engine/model/tokenizer/token-bytes.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

describe('tokenByteRule', () => {
  const byteLevel = tokenByteRule({ type: 'ByteLevel', add_prefix_space: true });
  // Llama/Mistral tokenizer.json decoder chain.
  const sentencePiece = tokenByteRule({
    type: 'Sequence',
    decoders: [
      { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
      { type: 'ByteFallback' },
      { type: 'Fuse' },
      { type: 'Strip', content: ' ', start: 1, stop: 0 },
    ],
  });

  it.each([
    ['Ġthe', ' the'],
    ['ĊĊ', '\n\n'],
    ['ðŁļĢ', '\xf0\x9f\x9a\x80'], // 🚀 as UTF-8 bytes
    ['<|im_end|>', '<|im_end|>'],
    ['€uro', '\xe2\x82\xacuro'], // outside the alphabet: raw UTF-8 (HF byte_level.rs fallback)
  ])('ByteLevel %s', (token, bytes) => {
    expect(text(byteLevel(token))).toBe(bytes);
  });

  it.each([
    ['▁hello', ' hello'],
    ['<0x0A>', '\n'],
    ['<0xE2>', '\xe2'],
    ['é', '\xc3\xa9'],
  ])('SentencePiece chain %s', (token, bytes) => {
    expect(text(sentencePiece(token))).toBe(bytes);
  });

  it('reports decoders without exact per-token bytes', () => {
    const rule = tokenByteRule({ type: 'WordPiece', prefix: '##' });
    let caught: unknown;
    try {
      rule('##ing');
    } catch (e) {
      caught = e;
    }
    expect(isSmolmapError(caught) && caught.code).toBe('tokenizer_unsupported');
  });
});
