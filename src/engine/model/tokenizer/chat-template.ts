import { Template } from '@huggingface/jinja';
import { SmolmapError } from '../../errors.js';
import type { ChatMessage } from './types.js';

/**
 * The chat template named in tokenizer_config.json. `chat_template` is either one string or, in newer
 * configs, a list of `{name, template}` where "default" is the one `apply_chat_template` uses without a name
 * (transformers `PreTrainedTokenizerBase.get_chat_template`).
 */
export function chatTemplateFromConfig(config: Record<string, unknown>): string | undefined {
  const value = config['chat_template'];
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) return undefined;
  const named = value.filter(
    (t): t is { name: string; template: string } =>
      typeof t === 'object' && t !== null && typeof t.name === 'string' && typeof t.template === 'string',
  );
  return (named.find((t) => t.name === 'default') ?? named[0])?.template;
}

/** A compiled chat template plus the special-token strings templates may refer to (`bos_token`, ...). */
export class ChatTemplate {
  private readonly template: Template;

  constructor(
    readonly source: string,
    private readonly specialTokens: Readonly<Record<string, string>>,
  ) {
    try {
      this.template = new Template(source);
    } catch (cause) {
      throw new SmolmapError(
        'chat_template_invalid',
        `The model's chat template does not parse (${errorText(cause)}); fix chat_template in ` +
          'tokenizer_config.json (or chat_template.jinja) or re-import the model.',
        { cause },
      );
    }
  }

  /** Renders like transformers' `apply_chat_template(..., tokenize=False)`. */
  render(messages: readonly ChatMessage[], addGenerationPrompt: boolean): string {
    try {
      return this.template.render({
        ...this.specialTokens,
        messages: messages.map((m) => ({ role: m.role, content: m.content })),
        add_generation_prompt: addGenerationPrompt,
      });
    } catch (cause) {
      throw new SmolmapError(
        'chat_template_error',
        `The model's chat template failed to render these messages (${errorText(cause)}); check the message ` +
          'roles and order the template expects.',
        { cause },
      );
    }
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
