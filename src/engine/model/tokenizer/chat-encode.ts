/**
 * Chat-template token ids where only the template's own markers are special tokens. Message contents (a user's
 * task, spec text) are encoded as plain text, so a task that types `<|im_end|>` or `<|im_start|>` cannot end
 * its turn or open a new one — transformers' `split_special_tokens=True`, applied to the contents only.
 * Training (train/encode.ts) and the mapper's prompt encode through this one function, so both see the same ids.
 *
 * How: the template is rendered with a private-use sentinel in place of each content, the rendering is split at
 * the sentinels, template parts are encoded with special tokens parsed and contents without. ChatML templates
 * (SmolLM2) put each content after `role\n` and before `<|im_end|>`, both pre-token boundaries of byte-level
 * BPE, so the pieces tokenise exactly as the whole string would when the content has no special-token text.
 */
import { SmolmapError } from '../../errors.js';
import type { ChatMessage, Tokenizer } from './types.js';

const sentinel = (i: number): string => `\uE000smolmap-content-${i}\uE001`;

export function encodeChat(
  tokenizer: Tokenizer,
  messages: readonly ChatMessage[],
  options: { addGenerationPrompt?: boolean } = {},
): number[] {
  const marked = messages.map((m, i) => ({ ...m, content: sentinel(i) }));
  const rendered = tokenizer.applyChatTemplate(marked, options);
  const ids: number[] = [];
  let rest = rendered;
  const contents: string[] = [];
  messages.forEach((m, i) => {
    const at = rest.indexOf(sentinel(i));
    if (at < 0 || rest.indexOf(sentinel(i), at + 1) >= 0) throw templateError();
    ids.push(...tokenizer.encode(rest.slice(0, at)));
    ids.push(...tokenizer.encode(m.content, { parseSpecialTokens: false }));
    contents.push(rest.slice(0, at), m.content);
    rest = rest.slice(at + sentinel(i).length);
  });
  ids.push(...tokenizer.encode(rest));
  // A template that transforms contents (trim, escaping) would make the pieces differ from its real rendering.
  if (contents.join('') + rest !== tokenizer.applyChatTemplate(messages, options)) throw templateError();
  return ids;
}

function templateError(): SmolmapError {
  return new SmolmapError(
    'tokenizer_template_unsupported',
    "the model's chat template does not insert each message's content once and verbatim, so user text cannot be kept apart from its special tokens; use a ChatML-style template",
  );
}
