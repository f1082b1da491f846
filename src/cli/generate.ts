/** `smolmap generate`: free text from a base model (+ adapter), streamed. */
import { SmolmapError, generate, type GenerateTextResult } from '../engine/index.js';
import { defineCommand, type Command, type OptionValues } from './command.js';
import { QUANT_HELP, checkQuantOption } from './mapper-options.js';

const str = (values: OptionValues, key: string): string | undefined => values[key] as string | undefined;

function num(
  values: OptionValues,
  key: string,
  ok: (n: number) => boolean,
  what: string,
): number | undefined {
  const v = str(values, key);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || !ok(n)) {
    throw new SmolmapError(
      'usage_bad_option',
      `--${key} "${v}" must be ${what}; see \`smolmap generate --help\``,
    );
  }
  return n;
}

const generateCommand = defineCommand<GenerateTextResult>({
  name: 'generate',
  summary: 'generate text from a base model (chat template applied for Instruct models), streamed',
  args: '"prompt"',
  required: ['model'],
  options: {
    model: { type: 'string' },
    adapter: { type: 'string' },
    raw: { type: 'boolean' },
    'max-tokens': { type: 'string' },
    quant: { type: 'string' },
    temperature: { type: 'string' },
    'top-k': { type: 'string' },
    'top-p': { type: 'string' },
    seed: { type: 'string' },
  },
  optionHelp: {
    'model N': 'registered base model (required; see `smolmap model list`)',
    'adapter A': 'trained model id or PEFT adapter folder to apply',
    raw: 'feed the prompt as is, without the chat template',
    'max-tokens K': 'most tokens to generate (default 256)',
    [QUANT_HELP]: 'weight format: f32 (default), q8, q4 or i8 (faster, slightly less accurate)',
    'temperature T': '0 = greedy (default); > 0 samples',
    'top-k K': 'sample among the K most likely tokens (0 = off)',
    'top-p P': 'sample from the smallest set with probability >= P (default 1 = off)',
    'seed S': 'sampling seed (default 0)',
  },
  async run(ctx, positionals, values) {
    const model = str(values, 'model');
    if (!model) {
      throw new SmolmapError(
        'usage_missing_option',
        '`smolmap generate` needs --model <base> (see `smolmap model list`)',
      );
    }
    if (positionals.length !== 1) {
      throw new SmolmapError(
        'usage_bad_arguments',
        `\`smolmap generate\` takes exactly one quoted prompt (got ${positionals.length})`,
      );
    }
    const int = (n: number): boolean => Number.isInteger(n) && n >= 0;
    // The --json document: the contract's { text, tokens, tokensPerSecond } plus ids and timings.
    return generate(await ctx.engine(), {
      model,
      tenant: ctx.tenant,
      adapter: str(values, 'adapter'),
      prompt: positionals[0]!,
      raw: values['raw'] === true,
      maxTokens: num(values, 'max-tokens', (n) => int(n) && n >= 1, 'a positive whole number'),
      quant: checkQuantOption(values),
      temperature: num(values, 'temperature', (n) => n >= 0, 'a number >= 0'),
      topK: num(values, 'top-k', int, 'a whole number >= 0'),
      topP: num(values, 'top-p', (n) => n > 0 && n <= 1, 'a number in (0, 1]'),
      seed: num(values, 'seed', int, 'a whole number >= 0'),
      onText: ctx.json ? undefined : (delta) => ctx.progress(delta),
    });
  },
  human: (r) =>
    `\n\n[${r.tokens} tokens, ${r.tokensPerSecond.toFixed(1)} tok/s, prompt ${r.promptTokens} tokens at ${r.prefillTokensPerSecond.toFixed(0)} tok/s, first token ${r.timeToFirstTokenMs.toFixed(0)} ms, ${r.quant}]`,
});

export const generateCommands: Command[] = [generateCommand];
