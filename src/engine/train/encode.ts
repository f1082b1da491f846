/**
 * Task examples → token sequences with loss masks, through the one prompt/target definition
 * (`infer/prompt.ts`): the prompt is the chat template with the generation prompt, exactly what inference feeds
 * the model; the labelled part is the target text and the end-of-turn token, which is what inference must
 * produce (and where it stops). Prompt and target are tokenised separately, as inference sees them.
 */
import type { ExpectedCall } from '../calls.js';
import { SmolmapError } from '../errors.js';
import { buildMessages, callToTarget } from '../infer/prompt.js';
import { encodeChat } from '../model/tokenizer/chat-encode.js';
import type { Tokenizer } from '../model/tokenizer/types.js';
import type { Catalog } from '../specs/types.js';
import { IGNORE_INDEX, type Sequence } from './batching.js';

export interface EncodedExamples {
  sequences: Sequence[];
  /** Examples left out because prompt + target exceed maxLen. */
  tooLong: number;
  /** Examples whose call cannot be written as a target (outside the output grammar). */
  unwritable: number;
}

/** The token that ends an assistant turn: `<|im_end|>` for ChatML templates (SmolLM2), else EOS. */
export function endOfTurnId(tokenizer: Tokenizer): number {
  const im = tokenizer.encode('<|im_end|>');
  if (im.length === 1 && tokenizer.isSpecial(im[0]!)) return im[0]!;
  if (tokenizer.eosTokenId !== null) return tokenizer.eosTokenId;
  throw new SmolmapError(
    'tokenizer_no_eos',
    'the tokenizer has neither <|im_end|> nor an EOS token, so a trained model could not stop; use a chat model',
  );
}

export function encodeExample(
  tokenizer: Tokenizer,
  catalog: Catalog,
  example: { task: string; expected: ExpectedCall },
  eot: number,
): Sequence {
  // Task and spec text stay plain text: a typed `<|im_end|>` must not end the user's turn (model/tokenizer).
  const promptIds = encodeChat(tokenizer, buildMessages(example.task, { catalog }), {
    addGenerationPrompt: true,
  });
  const targetIds = tokenizer.encode(callToTarget(example.expected, catalog), { parseSpecialTokens: false });
  const ids = [...promptIds, ...targetIds, eot];
  const labels = [...promptIds.map(() => IGNORE_INDEX), ...targetIds, eot];
  return { ids, labels };
}

export function encodeExamples(
  tokenizer: Tokenizer,
  catalog: Catalog,
  examples: readonly { task: string; expected: ExpectedCall }[],
  maxLen: number,
): EncodedExamples {
  const eot = endOfTurnId(tokenizer);
  const sequences: Sequence[] = [];
  let tooLong = 0;
  let unwritable = 0;
  for (const ex of examples) {
    let s: Sequence;
    try {
      s = encodeExample(tokenizer, catalog, ex, eot);
    } catch (e) {
      if (e instanceof SmolmapError && e.code.startsWith('target_')) {
        unwritable++;
        continue;
      }
      throw e;
    }
    if (s.ids.length > maxLen) tooLong++;
    else sequences.push(s);
  }
  return { sequences, tooLong, unwritable };
}
