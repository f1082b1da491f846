import { mkdtemp, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmolmapError } from '../../../../src/engine/errors.js';
import {
  createTokenizer,
  loadTokenizer,
  type Tokenizer,
} from '../../../../src/engine/model/tokenizer/index.js';
import { ORACLE, TINY_MODEL_DIR } from './fixtures.js';

async function codeOf(run: () => unknown): Promise<string | undefined> {
  try {
    await run();
  } catch (e) {
    return e instanceof SmolmapError ? e.code : `not a SmolmapError: ${String(e)}`;
  }
  return undefined;
}

const SYSTEM_PROMPT =
  '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n';

let tok: Tokenizer;
beforeAll(async () => {
  tok = await loadTokenizer(TINY_MODEL_DIR);
});

describe('loadTokenizer on SmolLM2 tokenizer.json: oracle ids (transformers 5)', () => {
  it.each(ORACLE.tokens.map((t) => [t.text, t.ids] as const))('%j', (text, ids) => {
    expect(tok.encode(text)).toEqual(ids);
    expect(tok.decode(ids)).toBe(text);
  });
});

describe('special tokens', () => {
  it('reads ids from tokenizer_config.json', () => {
    expect(tok.vocabSize).toBe(49152);
    expect([tok.bosTokenId, tok.eosTokenId, tok.padTokenId]).toEqual([1, 2, 2]);
    expect(tok.stopTokenIds).toEqual([2]);
  });

  it.each([
    [0, true],
    [2, true],
    [16, true],
    [17, false],
    [216, false],
  ])('isSpecial(%i) = %s', (id, special) => {
    expect(tok.isSpecial(id)).toBe(special);
  });

  it('adds eos and <|im_end|> as stop ids when eos is another token (base models)', async () => {
    const { tokenizerJson, config } = await tinyDocs();
    const base = createTokenizer(tokenizerJson, {
      ...config,
      eos_token: '<|endoftext|>',
      bos_token: '<|endoftext|>',
    });
    expect(base.eosTokenId).toBe(0);
    expect(base.stopTokenIds).toEqual([0, 2]);
  });

  it('skips special tokens on request', () => {
    expect(tok.decode([1, 4093, 198, 6004, 2], { skipSpecialTokens: true })).toBe('user\nhi');
    expect(tok.decode([])).toBe('');
  });
});

describe('chat template', () => {
  it('renders SmolLM2 ChatML with the default system prompt', () => {
    expect(tok.hasChatTemplate).toBe(true);
    const text = tok.applyChatTemplate([{ role: 'user', content: 'Hi' }], { addGenerationPrompt: true });
    expect(text).toBe(`${SYSTEM_PROMPT}<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n`);
  });

  it('keeps an explicit system message and omits the generation prompt unless asked', () => {
    const text = tok.applyChatTemplate([
      { role: 'system', content: 'Map tasks to API calls.' },
      { role: 'user', content: 'show me pet 42' },
      { role: 'assistant', content: 'GET /pet/42' },
    ]);
    expect(text).toBe(
      '<|im_start|>system\nMap tasks to API calls.<|im_end|>\n<|im_start|>user\nshow me pet 42<|im_end|>\n' +
        '<|im_start|>assistant\nGET /pet/42<|im_end|>\n',
    );
  });

  it('encodes to the oracle chat prompt ids', () => {
    const text = tok.applyChatTemplate(ORACLE.greedyChat.messages, { addGenerationPrompt: true });
    expect(tok.encode(text)).toEqual(ORACLE.greedyChat.promptIds);
  });

  it('takes the template from tokenizer_config.json when there is no .jinja file', async () => {
    const { tokenizerJson, config, template } = await tinyDocs();
    const fromConfig = createTokenizer(tokenizerJson, { ...config, chat_template: template });
    const listed = createTokenizer(tokenizerJson, {
      ...config,
      chat_template: [
        { name: 'tool_use', template: 'wrong' },
        { name: 'default', template },
      ],
    });
    const messages = [{ role: 'user', content: 'x' }] as const;
    expect(fromConfig.applyChatTemplate(messages)).toBe(tok.applyChatTemplate(messages));
    expect(listed.applyChatTemplate(messages)).toBe(tok.applyChatTemplate(messages));
  });

  it('fails with a code when the model has no template or the template is broken', async () => {
    const { tokenizerJson, config } = await tinyDocs();
    const none = createTokenizer(tokenizerJson, config);
    expect(none.hasChatTemplate).toBe(false);
    expect(await codeOf(() => none.applyChatTemplate([{ role: 'user', content: 'x' }]))).toBe(
      'chat_template_missing',
    );
    expect(await codeOf(() => createTokenizer(tokenizerJson, config, '{% for m in messages %}'))).toBe(
      'chat_template_invalid',
    );
    const raising = createTokenizer(tokenizerJson, config, "{{ raise_exception('roles must alternate') }}");
    expect(await codeOf(() => raising.applyChatTemplate([]))).toBe('chat_template_error');
  });
});

describe('tokenBytes', () => {
  it.each([
    [216, ' '],
    [198, '\n'],
    [19556, 'Hello'],
    [905, ' world'],
  ])('token %i is %j', (id, text) => {
    expect(Buffer.from(tok.tokenBytes(id)).toString('utf8')).toBe(text);
  });

  it('is built once and shared (the constrained decoder reads every id)', () => {
    expect(tok.tokenBytes(905)).toBe(tok.tokenBytes(905));
  });

  it('is empty for special tokens', () => {
    for (let id = 0; id <= 16; id++) expect(tok.tokenBytes(id).length).toBe(0);
  });

  it('concatenates to the UTF-8 of the text for every oracle string (emoji split mid-character too)', () => {
    for (const { text, ids } of ORACLE.tokens.filter((t) => !t.text.includes('<|'))) {
      const bytes = Buffer.concat(ids.map((id) => tok.tokenBytes(id)));
      expect(bytes.equals(Buffer.from(text, 'utf8')), text).toBe(true);
    }
  });

  it('rejects ids outside the vocabulary', async () => {
    expect(await codeOf(() => tok.tokenBytes(49152))).toBe('token_id_out_of_range');
    expect(await codeOf(() => tok.decode([-1]))).toBe('token_id_out_of_range');
  });
});

describe('loadTokenizer errors', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'smolmap-tok-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names the missing tokenizer.json', async () => {
    expect(await codeOf(() => loadTokenizer(join(dir, 'nope')))).toBe('tokenizer_not_found');
  });

  it('rejects broken JSON and non-tokenizer documents', async () => {
    await writeFile(join(dir, 'tokenizer.json'), '{"model": ');
    expect(await codeOf(() => loadTokenizer(dir))).toBe('tokenizer_invalid');
    await writeFile(join(dir, 'tokenizer.json'), '{"model": {"type": "NoSuchModel"}}');
    expect(await codeOf(() => loadTokenizer(dir))).toBe('tokenizer_invalid');
  });

  it('works without tokenizer_config.json (no special-token names, no template)', async () => {
    await copyFile(join(TINY_MODEL_DIR, 'tokenizer.json'), join(dir, 'tokenizer.json'));
    const bare = await loadTokenizer(dir);
    expect(bare.encode('Hello, world!')).toEqual([19556, 28, 905, 17]);
    expect([bare.bosTokenId, bare.eosTokenId, bare.hasChatTemplate]).toEqual([null, null, false]);
    expect(bare.stopTokenIds).toEqual([2]);
  });
});

async function tinyDocs(): Promise<{ tokenizerJson: object; config: object; template: string }> {
  const { readFile } = await import('node:fs/promises');
  const read = (f: string): Promise<string> => readFile(join(TINY_MODEL_DIR, f), 'utf8');
  return {
    tokenizerJson: JSON.parse(await read('tokenizer.json')) as object,
    config: JSON.parse(await read('tokenizer_config.json')) as object,
    template: await read('chat_template.jinja'),
  };
}
