import { SmolmapError } from '../../errors.js';
import { readGgufHeader, type GgufValue } from '../weights/gguf.js';
import { createTokenizer } from './hf-tokenizer.js';
import type { Tokenizer } from './types.js';

/** The documents a tokenizer folder would hold, rebuilt from GGUF metadata. */
export interface GgufTokenizerDocs {
  tokenizerJson: object;
  tokenizerConfig: object;
  chatTemplate?: string;
}

/** GGUF `tokenizer.ggml.token_type` values (llama.cpp `llama_token_type`). */
const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

const BYTE_LEVEL = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
/** GPT-2's regex is built into ByteLevel (`use_regex`), as in GPT-2's own tokenizer.json. */
const GPT2_PRE = BYTE_LEVEL;
/**
 * `\p{N}` split off one by one, then the GPT-2 regex: llama.cpp's regex pair for these pre types
 * (llama-vocab.cpp, `LLAMA_VOCAB_PRE_TYPE_STARCODER` ... `_SMOLLM`), and exactly SmolLM2's tokenizer.json
 * on the Hub: `Sequence[Digits(individual_digits), ByteLevel]`.
 */
const DIGITS_THEN_GPT2_PRE = {
  type: 'Sequence',
  pretokenizers: [{ type: 'Digits', individual_digits: true }, BYTE_LEVEL],
};

/**
 * `tokenizer.ggml.pre` → HF pre_tokenizer. Only byte-level GPT-2-regex families are rebuilt. A missing pre type
 * ("default") gets GPT-2's, as transformers' GGUF converter does for every gpt2 vocabulary; llama.cpp instead
 * warns and uses a generic regex set, so such files have no single right answer.
 */
const PRE_TOKENIZERS: Readonly<Record<string, object>> = {
  default: GPT2_PRE,
  'gpt-2': GPT2_PRE,
  mpt: GPT2_PRE,
  olmo: GPT2_PRE,
  jais: GPT2_PRE,
  smollm: DIGITS_THEN_GPT2_PRE,
  starcoder: DIGITS_THEN_GPT2_PRE,
  refact: DIGITS_THEN_GPT2_PRE,
  'command-r': DIGITS_THEN_GPT2_PRE,
  codeshell: DIGITS_THEN_GPT2_PRE,
  exaone: DIGITS_THEN_GPT2_PRE,
  'minerva-7b': DIGITS_THEN_GPT2_PRE,
};

function unsupported(message: string): SmolmapError {
  return new SmolmapError(
    'tokenizer_unsupported',
    `${message}; import the model as a Hugging Face folder (with tokenizer.json) instead of GGUF.`,
  );
}

function invalid(message: string): SmolmapError {
  return new SmolmapError(
    'tokenizer_invalid',
    `GGUF tokenizer metadata is broken: ${message}; re-download or re-convert the GGUF file.`,
  );
}

function stringArray(metadata: Record<string, GgufValue>, key: string): string[] {
  const value = metadata[key];
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
    throw invalid(`${key} is missing or not a string array`);
  }
  return value;
}

function optionalId(metadata: Record<string, GgufValue>, key: string, vocabSize: number): number | null {
  const value = metadata[key];
  if (value === undefined) return null;
  const id = typeof value === 'bigint' ? Number(value) : value;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= vocabSize) {
    throw invalid(`${key} = ${String(value)} is not a token id below ${vocabSize}`);
  }
  return id;
}

/**
 * Control tokens become special added tokens and user-defined ones plain added tokens, both matched verbatim
 * before BPE (transformers `GGUFGPTConverter`; llama.cpp always parses user-defined tokens). Without a type
 * table the bos/eos/unk/pad ids are the only tokens known to be special.
 */
function addedTokens(tokens: string[], types: GgufValue | undefined, specialIds: number[]): object[] {
  const entries: Array<{ id: number; special: boolean }> = [];
  if (Array.isArray(types)) {
    if (types.length !== tokens.length)
      throw invalid('tokenizer.ggml.token_type and tokens differ in length');
    types.forEach((t, id) => {
      if (t === TOKEN_TYPE.control) entries.push({ id, special: true });
      else if (t === TOKEN_TYPE.userDefined) entries.push({ id, special: false });
    });
  } else {
    for (const id of new Set(specialIds)) entries.push({ id, special: true });
    entries.sort((a, b) => a.id - b.id);
  }
  return entries.map(({ id, special }) => ({
    id,
    content: tokens[id],
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special,
  }));
}

/** GGUF merges are `"left right"`; byte-level tokens never contain a real space, so the split is exact. */
function splitMerges(merges: string[]): Array<[string, string]> {
  return merges.map((m, i) => {
    const parts = m.split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      throw invalid(`merge ${i} ("${m}") is not two space-separated tokens`);
    }
    return [parts[0] as string, parts[1] as string];
  });
}

/** BOS/EOS insertion for `encode(..., {addSpecialTokens: true})`, from `tokenizer.ggml.add_{bos,eos}_token`. */
function postProcessor(tokens: string[], bos: number | null, eos: number | null): object {
  const single: object[] = [];
  const specialTokens: Record<string, object> = {};
  const special = (id: number): { SpecialToken: { id: string; type_id: number } } => {
    const content = tokens[id] as string;
    specialTokens[content] = { id: content, ids: [id], tokens: [content] };
    return { SpecialToken: { id: content, type_id: 0 } };
  };
  if (bos !== null) single.push(special(bos));
  single.push({ Sequence: { id: 'A', type_id: 0 } });
  if (eos !== null) single.push(special(eos));
  const pair = [...single, { Sequence: { id: 'B', type_id: 1 } }];
  return { type: 'TemplateProcessing', single, pair, special_tokens: specialTokens };
}

function assertByteLevelBpe(metadata: Record<string, GgufValue>): void {
  const model = metadata['tokenizer.ggml.model'];
  if (typeof model !== 'string') throw invalid('tokenizer.ggml.model is missing');
  if (model !== 'gpt2') {
    // "llama" is SentencePiece (scores, byte fallback); "bert", "t5", "rwkv" ... are other model kinds.
    throw unsupported(`GGUF tokenizer model "${model}" is not supported (only byte-level BPE, "gpt2")`);
  }
}

/** A byte-level BPE tokenizer.json (GPT-2 layout) from the `tokenizer.ggml.*` vocabulary. */
function rebuildTokenizerJson(
  metadata: Record<string, GgufValue>,
  tokens: string[],
  ids: { bos: number | null; eos: number | null; unk: number | null; pad: number | null },
): object {
  assertByteLevelBpe(metadata);
  const preName = metadata['tokenizer.ggml.pre'] ?? 'default';
  const preTokenizer = typeof preName === 'string' ? PRE_TOKENIZERS[preName] : undefined;
  if (preTokenizer === undefined) {
    throw unsupported(`GGUF pre-tokenizer "${String(preName)}" has no tokenizer.json equivalent in smolmap`);
  }
  const vocab: Record<string, number> = {};
  tokens.forEach((t, id) => {
    // llama.cpp keeps the first of duplicated strings as the id text maps to; so does a JSON object here.
    if (!Object.hasOwn(vocab, t)) vocab[t] = id;
  });
  const specialIds = [ids.bos, ids.eos, ids.unk, ids.pad].filter((id): id is number => id !== null);
  const addBos = metadata['tokenizer.ggml.add_bos_token'] === true;
  const addEos = metadata['tokenizer.ggml.add_eos_token'] === true;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens(tokens, metadata['tokenizer.ggml.token_type'], specialIds),
    normalizer: null,
    pre_tokenizer: preTokenizer,
    post_processor: postProcessor(tokens, addBos ? ids.bos : null, addEos ? ids.eos : null),
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: splitMerges(stringArray(metadata, 'tokenizer.ggml.merges')),
    },
  };
}

/**
 * Rebuilds tokenizer.json, tokenizer_config.json and the chat template from GGUF metadata, so a GGUF model
 * tokenizes exactly like its Hugging Face folder (transformers `GGUFGPTConverter`).
 * An embedded `tokenizer.huggingface.json` is used as it is.
 */
export function tokenizerFromGguf(metadata: Record<string, GgufValue>): GgufTokenizerDocs {
  const tokens = stringArray(metadata, 'tokenizer.ggml.tokens');
  const ids = {
    bos: optionalId(metadata, 'tokenizer.ggml.bos_token_id', tokens.length),
    eos: optionalId(metadata, 'tokenizer.ggml.eos_token_id', tokens.length),
    unk: optionalId(metadata, 'tokenizer.ggml.unknown_token_id', tokens.length),
    pad: optionalId(metadata, 'tokenizer.ggml.padding_token_id', tokens.length),
  };
  const embedded = metadata['tokenizer.huggingface.json'];
  let tokenizerJson: object;
  if (typeof embedded === 'string') {
    try {
      tokenizerJson = JSON.parse(embedded) as object;
    } catch (cause) {
      throw new SmolmapError(
        'tokenizer_invalid',
        'tokenizer.huggingface.json in the GGUF is not valid JSON.',
        {
          cause,
        },
      );
    }
  } else {
    tokenizerJson = rebuildTokenizerJson(metadata, tokens, ids);
  }
  const template = metadata['tokenizer.chat_template'];
  const chatTemplate = typeof template === 'string' ? template : undefined;
  const name = (id: number | null): string | null => (id === null ? null : (tokens[id] ?? null));
  const tokenizerConfig = {
    tokenizer_class: 'GPT2Tokenizer',
    bos_token: name(ids.bos),
    eos_token: name(ids.eos),
    unk_token: name(ids.unk),
    pad_token: name(ids.pad),
    add_bos_token: metadata['tokenizer.ggml.add_bos_token'] === true,
    add_eos_token: metadata['tokenizer.ggml.add_eos_token'] === true,
    clean_up_tokenization_spaces: false,
    ...(chatTemplate === undefined ? {} : { chat_template: chatTemplate }),
  };
  return chatTemplate === undefined
    ? { tokenizerJson, tokenizerConfig }
    : { tokenizerJson, tokenizerConfig, chatTemplate };
}

/** The tokenizer of a GGUF model file (reads only the header, not the tensors). */
export async function loadTokenizerFromGguf(file: string): Promise<Tokenizer> {
  const { metadata } = await readGgufHeader(file);
  const docs = tokenizerFromGguf(metadata);
  return createTokenizer(docs.tokenizerJson, docs.tokenizerConfig, docs.chatTemplate);
}
