/** `smolmap export <adapter> --format peft|onnx [--out DIR]` (issue 7). */
import { SmolmapError, exportAdapter, type ExportFormat, type ExportResult } from '../engine/index.js';
import { optionalString } from './mapper-options.js';
import { defineCommand, type Command } from './command.js';

const exportCommand = defineCommand<ExportResult>({
  name: 'export',
  summary:
    'export a trained adapter: PEFT folder, or merged into its base as an ONNX folder for Transformers.js',
  args: '<adapter>',
  options: { format: { type: 'string' }, out: { type: 'string' } },
  optionHelp: {
    'format peft|onnx':
      'peft: the adapter folder (Python PEFT); onnx: merged model + tokenizer + config (required)',
    'out DIR': 'output folder, new or empty (default ./<adapter>-<format>)',
  },
  async run(ctx, positionals, values) {
    if (positionals.length !== 1)
      throw new SmolmapError(
        'usage_bad_arguments',
        '`smolmap export` takes one trained model id (see `smolmap models list`)',
      );
    const format = optionalString(values, 'format');
    if (format === undefined)
      throw new SmolmapError('usage_missing_option', '`smolmap export` needs --format peft|onnx');
    return exportAdapter(await ctx.engine(), {
      model: positionals[0]!,
      format: format as ExportFormat,
      out: optionalString(values, 'out'),
    });
  },
  human: (r) =>
    `exported ${r.model} as ${r.format} to ${r.dir} (${r.files.length} files, ${(r.bytes / 1e6).toFixed(1)} MB)` +
    (r.format === 'onnx'
      ? '\nTransformers.js: env.localModelPath = <parent>; AutoModelForCausalLM.from_pretrained(<folder>, { dtype: "fp32" })'
      : ''),
});

export const exportCommands: Command[] = [exportCommand];
