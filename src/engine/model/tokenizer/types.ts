/** A chat message as chat templates expect it. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * What the engine needs from a tokenizer. One implementation serves tokenizer.json folders and GGUF files
 * (whose tokenizer is rebuilt as an equivalent tokenizer.json).
 */
export interface Tokenizer {
  readonly vocabSize: number;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly padTokenId: number | null;
  /** Ids that end generation (eos plus template end-of-turn tokens such as `<|im_end|>`). */
  readonly stopTokenIds: readonly number[];
  /**
   * Encodes text; special-token strings in the text map to their ids unless `parseSpecialTokens` is false
   * (then they are spelled as ordinary text, like transformers' `split_special_tokens=True`: use it for
   * untrusted user text so it cannot inject `<|im_end|>`). No BOS/EOS is added unless asked.
   */
  encode(text: string, options?: { addSpecialTokens?: boolean; parseSpecialTokens?: boolean }): number[];
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
  /** Renders messages with the model's chat template; throws a coded error when the model has none. */
  applyChatTemplate(messages: readonly ChatMessage[], options?: { addGenerationPrompt?: boolean }): string;
  readonly hasChatTemplate: boolean;
  /**
   * The exact bytes a token stands for when decoded (byte-level BPE undone); empty for special tokens.
   * Constrained decoding builds its token masks from these.
   */
  tokenBytes(id: number): Uint8Array;
  isSpecial(id: number): boolean;
  /** The tokenizer.json document (for export next to a merged model). */
  toJSON(): unknown;
}
