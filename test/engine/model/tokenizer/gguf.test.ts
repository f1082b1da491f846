import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmolmapError } from '../../../../src/engine/errors.js';
import {
  createTokenizer,
  loadTokenizerFromGguf,
  tokenizerFromGguf,
  type Tokenizer,
} from '../../../../src/engine/model/tokenizer/index.js';
import type { GgufValue } from '../../../../src/engine/model/weights/gguf.js';
import { writeGguf, type GgufEntry } from '../../../../src/engine/model/weights/gguf-write.js';
import { hubTokenizerJson, ORACLE, PYTHON_ORACLE, readTinyConfig, smolGgufMetadata } from './fixtures.js';

function fromMetadata(metadata: Record<string, GgufValue>): Tokenizer {
  const docs = tokenizerFromGguf(metadata);
  return createTokenizer(docs.tokenizerJson, docs.tokenizerConfig, docs.chatTemplate);
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (e) {
    return e instanceof SmolmapError ? e.code : `not a SmolmapError: ${String(e)}`;
  }
  return undefined;
}

describe('tokenizerFromGguf on SmolLM2 metadata (as llama.cpp writes it)', () => {
  const tok = fromMetadata(smolGgufMetadata());

  it('rebuilds the Hub pre_tokenizer for "smollm" and a GPT-2 byte-level BPE', () => {
    const { tokenizerJson } = tokenizerFromGguf(smolGgufMetadata());
    const json = tokenizerJson as {
      pre_tokenizer: unknown;
      model: { merges: unknown[] };
      added_tokens: unknown[];
    };
    expect(json.pre_tokenizer).toEqual(PYTHON_ORACLE.hubPreTokenizer);
    expect(json.model.merges[0]).toEqual(['Ġ', 't']);
    expect(json.added_tokens).toHaveLength(17);
  });

  it.each(PYTHON_ORACLE.cases.map((c) => [c.text, c.hubIds] as const))(
    'HF tokenizers ids for %j',
    (text, ids) => {
      expect(tok.encode(text)).toEqual(ids);
      expect(tok.decode(ids)).toBe(text);
    },
  );

  it('gives the oracle ids and chat prompt', () => {
    for (const { text, ids } of ORACLE.tokens) expect(tok.encode(text), text).toEqual(ids);
    const prompt = tok.applyChatTemplate(ORACLE.greedyChat.messages, { addGenerationPrompt: true });
    expect(tok.encode(prompt)).toEqual(ORACLE.greedyChat.promptIds);
  });

  it('has the same special ids and per-token bytes as the tokenizer.json folder', () => {
    const folder = createTokenizer(hubTokenizerJson(), readTinyConfig());
    expect([tok.vocabSize, tok.bosTokenId, tok.eosTokenId, tok.padTokenId]).toEqual([49152, 1, 2, 2]);
    expect(tok.stopTokenIds).toEqual(folder.stopTokenIds);
    for (let id = 0; id < tok.vocabSize; id++) {
      if (!Buffer.from(tok.tokenBytes(id)).equals(Buffer.from(folder.tokenBytes(id)))) {
        expect.fail(`tokenBytes(${id}) differs`);
      }
      if (tok.isSpecial(id) !== folder.isSpecial(id)) expect.fail(`isSpecial(${id}) differs`);
    }
  });
});

describe('tokenizerFromGguf options', () => {
  it('uses the GPT-2 regex alone for "gpt-2"', () => {
    const tok = fromMetadata({ ...smolGgufMetadata(), 'tokenizer.ggml.pre': 'gpt-2' });
    for (const c of PYTHON_ORACLE.cases) expect(tok.encode(c.text), c.text).toEqual(c.tinyIds);
  });

  it('adds BOS/EOS on request when the GGUF says so', () => {
    const tok = fromMetadata({
      ...smolGgufMetadata(),
      'tokenizer.ggml.add_bos_token': true,
      'tokenizer.ggml.add_eos_token': true,
    });
    expect(tok.encode('Hello, world!', { addSpecialTokens: true })).toEqual([1, 19556, 28, 905, 17, 2]);
    expect(tok.encode('Hello, world!')).toEqual([19556, 28, 905, 17]);
  });

  it('treats bos/eos/unk/pad as special when there is no token type table', () => {
    const metadata: Record<string, GgufValue> = smolGgufMetadata();
    delete metadata['tokenizer.ggml.token_type'];
    const tok = fromMetadata(metadata);
    expect([0, 1, 2, 3].map((id) => tok.isSpecial(id))).toEqual([true, true, true, false]);
    expect(tok.encode('<|im_start|>user')).toEqual([1, 4093]);
  });

  it('uses an embedded tokenizer.huggingface.json as it is', () => {
    const embedded = { ...hubTokenizerJson(), pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false } };
    const docs = tokenizerFromGguf({
      ...smolGgufMetadata(),
      'tokenizer.ggml.model': 'llama', // ignored: the embedded document wins
      'tokenizer.huggingface.json': JSON.stringify(embedded),
    });
    expect(docs.tokenizerJson).toEqual(embedded);
  });

  it('has no chat template when the GGUF carries none', () => {
    const metadata: Record<string, GgufValue> = smolGgufMetadata();
    delete metadata['tokenizer.chat_template'];
    expect(tokenizerFromGguf(metadata).chatTemplate).toBeUndefined();
    expect(fromMetadata(metadata).hasChatTemplate).toBe(false);
  });

  it.each([
    ['SentencePiece model', { 'tokenizer.ggml.model': 'llama' }, 'tokenizer_unsupported'],
    ['unknown pre-tokenizer', { 'tokenizer.ggml.pre': 'qwen2' }, 'tokenizer_unsupported'],
    ['no model', { 'tokenizer.ggml.model': undefined }, 'tokenizer_invalid'],
    ['no tokens', { 'tokenizer.ggml.tokens': undefined }, 'tokenizer_invalid'],
    ['tokens not strings', { 'tokenizer.ggml.tokens': [1, 2, 3] }, 'tokenizer_invalid'],
    ['no merges', { 'tokenizer.ggml.merges': undefined }, 'tokenizer_invalid'],
    ['malformed merge', { 'tokenizer.ggml.merges': ['Ġ t', 'abc'] }, 'tokenizer_invalid'],
    ['eos id out of range', { 'tokenizer.ggml.eos_token_id': 49152 }, 'tokenizer_invalid'],
    ['token types of another length', { 'tokenizer.ggml.token_type': [3, 3] }, 'tokenizer_invalid'],
    ['broken embedded json', { 'tokenizer.huggingface.json': '{' }, 'tokenizer_invalid'],
  ] as const)('%s → %s', (_name, patch, code) => {
    const metadata = { ...smolGgufMetadata(), ...patch } as Record<string, GgufValue | undefined>;
    for (const key of Object.keys(metadata)) if (metadata[key] === undefined) delete metadata[key];
    expect(codeOf(() => tokenizerFromGguf(metadata as Record<string, GgufValue>))).toBe(code);
  });
});

describe('loadTokenizerFromGguf on a written GGUF file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'smolmap-gguf-tok-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the header and tokenizes like the metadata', async () => {
    const m = smolGgufMetadata();
    const entries: GgufEntry[] = [
      { key: 'general.architecture', type: 'string', value: 'llama' },
      ...Object.entries(m).map(([key, value]): GgufEntry => {
        if (typeof value === 'string') return { key, type: 'string', value };
        if (typeof value === 'boolean') return { key, type: 'bool', value };
        if (typeof value === 'number') return { key, type: 'u32', value };
        const itemType = typeof value[0] === 'string' ? 'string' : 'i32';
        return { key, type: 'array', itemType, value };
      }),
    ];
    const file = join(dir, 'tiny.gguf');
    await writeGguf(file, entries, []);
    const tok = await loadTokenizerFromGguf(file);
    expect(tok.encode('x  1  22   333')).toEqual(
      PYTHON_ORACLE.cases.find((c) => c.text === 'x  1  22   333')?.hubIds,
    );
    expect(tok.applyChatTemplate([{ role: 'user', content: 'Hi' }])).toContain(
      '<|im_start|>user\nHi<|im_end|>',
    );
  });

  it('fails with the reader code on a missing file', async () => {
    await expect(loadTokenizerFromGguf(join(dir, 'missing.gguf'))).rejects.toMatchObject({
      code: 'model_file_not_found',
    });
  });
});
