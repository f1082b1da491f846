import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { SmolmapError } from '../../errors.js';
import { ChatTemplate, chatTemplateFromConfig } from './chat-template.js';
import { buildTokenBytesTable, tokenByteRule } from './token-bytes.js';
import type { ChatMessage, Tokenizer } from './types.js';

/** tokenizer_config.json keys that name special tokens (transformers `SPECIAL_TOKENS_ATTRIBUTES`). */
const SPECIAL_TOKEN_KEYS = [
  'bos_token',
  'eos_token',
  'unk_token',
  'sep_token',
  'pad_token',
  'cls_token',
  'mask_token',
] as const;

/** ChatML's end-of-turn token: generation of a chat reply stops there even when eos is another token. */
const END_OF_TURN = '<|im_end|>';

interface AddedTokenJson {
  id: number;
  content: string;
  special: boolean;
}

/** A special token in tokenizer_config.json is a string or an AddedToken dict (`{"content": ...}`). */
function tokenString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && 'content' in value) {
    const content = (value as { content: unknown }).content;
    return typeof content === 'string' ? content : undefined;
  }
  return undefined;
}

/** `bos_token`, `eos_token`, ... as strings, for id lookup and for chat templates that print them. */
function specialTokenStrings(config: Record<string, unknown>): Record<string, string> {
  const strings: Record<string, string> = {};
  for (const key of SPECIAL_TOKEN_KEYS) {
    const s = tokenString(config[key]);
    if (s !== undefined) strings[key] = s;
  }
  return strings;
}

function addedTokens(tokenizerJson: Record<string, unknown>): AddedTokenJson[] {
  const list = tokenizerJson['added_tokens'];
  if (!Array.isArray(list)) return [];
  return list.filter(
    (t): t is AddedTokenJson =>
      typeof t === 'object' && t !== null && Number.isInteger(t.id) && typeof t.content === 'string',
  );
}

/**
 * HF tokenizers (Rust) splits `Digits` on `char::is_numeric`, i.e. Unicode categories Nd/Nl/No, and
 * llama.cpp's smollm/starcoder pre-tokenizer uses `\p{N}` the same way; @huggingface/tokenizers 0.2 uses
 * ASCII `\d`, which tokenizes "²" or "٣" differently from Python. The equivalent `Split` on `\p{N}` restores
 * the reference behaviour (Isolated; `individual_digits: false` is Contiguous, i.e. runs of `\p{N}+`).
 */
function withUnicodeDigits(node: unknown): unknown {
  if (typeof node !== 'object' || node === null) return node;
  const pre = node as { type?: unknown; individual_digits?: unknown; pretokenizers?: unknown };
  if (pre.type === 'Digits') {
    const pattern = pre.individual_digits === true ? '\\p{N}' : '\\p{N}+';
    return { type: 'Split', pattern: { Regex: pattern }, behavior: 'Isolated', invert: false };
  }
  if (pre.type === 'Sequence' && Array.isArray(pre.pretokenizers)) {
    return { ...pre, pretokenizers: pre.pretokenizers.map(withUnicodeDigits) };
  }
  return node;
}

/**
 * The Tokenizer over Hugging Face's JS tokenizers (the implementation transformers.js 4 uses): BPE, the
 * pre-tokenizer chain and special-token splitting all come from tokenizer.json, so we never re-implement them.
 */
export class HfBackedTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly padTokenId: number | null;
  readonly stopTokenIds: readonly number[];
  private readonly hf: HfTokenizer;
  private readonly special: ReadonlySet<number>;
  private readonly added: ReadonlySet<number>;
  private readonly chat: ChatTemplate | null;
  private readonly cleanUpSpaces: boolean;
  private readonly specialContents: readonly string[];
  private readonly runnable: Record<string, unknown>;
  private plain: HfTokenizer | null = null;
  private bytesTable: Uint8Array[] | null = null;

  constructor(
    private readonly tokenizerJson: Record<string, unknown>,
    private readonly config: Record<string, unknown>,
    chatTemplate: string | undefined,
  ) {
    this.runnable = { ...tokenizerJson, pre_tokenizer: withUnicodeDigits(tokenizerJson['pre_tokenizer']) };
    try {
      this.hf = new HfTokenizer(this.runnable, config);
    } catch (cause) {
      throw new SmolmapError(
        'tokenizer_invalid',
        `tokenizer.json could not be loaded (${cause instanceof Error ? cause.message : String(cause)}); ` +
          'make sure it is a Hugging Face tokenizers file (re-download or re-import the model).',
        { cause },
      );
    }
    const added = addedTokens(tokenizerJson);
    this.special = new Set(added.filter((t) => t.special).map((t) => t.id));
    this.added = new Set(added.map((t) => t.id));
    this.specialContents = added.filter((t) => t.special && t.content !== '').map((t) => t.content);
    let maxId = -1;
    for (const id of this.hf.get_vocab(true).values()) maxId = Math.max(maxId, id);
    for (const t of added) maxId = Math.max(maxId, t.id);
    this.vocabSize = maxId + 1;

    const specialStrings = specialTokenStrings(config);
    const idOf = (s: string | undefined): number | null =>
      s === undefined ? null : (this.hf.token_to_id(s) ?? null);
    this.bosTokenId = idOf(specialStrings['bos_token']);
    this.eosTokenId = idOf(specialStrings['eos_token']);
    this.padTokenId = idOf(specialStrings['pad_token']);
    const stops = [this.eosTokenId, idOf(END_OF_TURN)].filter((id): id is number => id !== null);
    this.stopTokenIds = [...new Set(stops)];
    // SmolLM2 sets false; transformers 5 defaults to false too. Cleaning would break decode(encode(x)) = x.
    this.cleanUpSpaces = config['clean_up_tokenization_spaces'] === true;

    const template = chatTemplate ?? chatTemplateFromConfig(config);
    this.chat = template === undefined ? null : new ChatTemplate(template, specialStrings);
  }

  get hasChatTemplate(): boolean {
    return this.chat !== null;
  }

  encode(text: string, options: { addSpecialTokens?: boolean; parseSpecialTokens?: boolean } = {}): number[] {
    const hf =
      options.parseSpecialTokens === false && this.containsSpecial(text) ? this.plainText() : this.hf;
    return hf.encode(text, { add_special_tokens: options.addSpecialTokens ?? false }).ids;
  }

  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    if (ids.length === 0) return '';
    for (const id of ids) this.checkId(id);
    return this.hf.decode([...ids], {
      skip_special_tokens: options.skipSpecialTokens ?? false,
      clean_up_tokenization_spaces: this.cleanUpSpaces,
    });
  }

  applyChatTemplate(
    messages: readonly ChatMessage[],
    options: { addGenerationPrompt?: boolean } = {},
  ): string {
    if (this.chat === null) {
      throw new SmolmapError(
        'chat_template_missing',
        'This model has no chat template (no chat_template in tokenizer_config.json, no chat_template.jinja, ' +
          'no tokenizer.chat_template in the GGUF); use an Instruct model or add its chat template.',
      );
    }
    return this.chat.render(messages, options.addGenerationPrompt ?? false);
  }

  tokenBytes(id: number): Uint8Array {
    this.checkId(id);
    this.bytesTable ??= buildTokenBytesTable(
      this.vocabSize,
      (i) => this.hf.id_to_token(i),
      (i) => this.special.has(i),
      (i) => this.added.has(i),
      tokenByteRule(this.tokenizerJson['decoder']),
    );
    return this.bytesTable[id] ?? new Uint8Array(0);
  }

  isSpecial(id: number): boolean {
    return this.special.has(id);
  }

  toJSON(): unknown {
    return this.tokenizerJson;
  }

  private containsSpecial(text: string): boolean {
    for (const content of this.specialContents) if (text.includes(content)) return true;
    return false;
  }

  /**
   * The same tokenizer without special-token matching (HF tokenizers' `encode_special_tokens`), built on first
   * need: their strings then go through the pre-tokenizer and BPE like any text.
   */
  private plainText(): HfTokenizer {
    if (this.plain === null) {
      const notSpecial = addedTokens(this.runnable).filter((t) => !t.special);
      this.plain = new HfTokenizer({ ...this.runnable, added_tokens: notSpecial }, this.config);
    }
    return this.plain;
  }

  private checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new SmolmapError(
        'token_id_out_of_range',
        `Token id ${id} is outside this tokenizer's vocabulary (0..${this.vocabSize - 1}); the model and ` +
          'tokenizer probably come from different checkpoints.',
      );
    }
  }
}

/**
 * A tokenizer from parsed tokenizer.json and tokenizer_config.json documents. `chatTemplate`, when given,
 * replaces the config's `chat_template` (transformers 5 saves it as a separate chat_template.jinja).
 */
export function createTokenizer(
  tokenizerJson: object,
  tokenizerConfig: object,
  chatTemplate?: string,
): Tokenizer {
  return new HfBackedTokenizer(
    tokenizerJson as Record<string, unknown>,
    tokenizerConfig as Record<string, unknown>,
    chatTemplate,
  );
}
