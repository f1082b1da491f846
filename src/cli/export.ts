/** `smolmap export <adapter> --format peft|onnx|gguf-lora [--outtype T] [--out PATH]`. */
import {
  SmolmapError,
  exportAdapter,
  type ExportFormat,
  type ExportResult,
  type GgufLoraOuttype,
} from '../engine/index.js';
import { optionalString } from './mapper-options.js';
import { defineCommand, type Command } from './command.js';

const USAGE: Record<ExportFormat, string> = {
  peft: 'Python PEFT: PeftModel.from_pretrained(base, <folder>)',
  onnx: 'Transformers.js: env.localModelPath = <parent>; AutoModelForCausalLM.from_pretrained(<folder>, { dtype: "fp32" })',
  'gguf-lora': 'llama.cpp: llama-cli -m <base model .gguf> --lora <file>',
};

const exportCommand = defineCommand<ExportResult>({
  name: 'export',
  summary:
    'export a trained adapter: PEFT folder, llama.cpp LoRA GGUF, or merged into its base as an ONNX folder for Transformers.js',
  args: '<adapter>',
  required: ['format'],
  options: { format: { type: 'string' }, out: { type: 'string' }, outtype: { type: 'string' } },
  optionHelp: {
    'format F':
      'peft | onnx | gguf-lora (required). peft: the adapter folder (Python PEFT); onnx: merged model + tokenizer + config; gguf-lora: one llama.cpp adapter file for --lora beside the base GGUF',
    'outtype T': 'gguf-lora tensor type: f32 (default) | f16 | bf16 | q8_0',
    'out PATH':
      'output folder, new or empty (default ./<adapter>-<format>); for gguf-lora a new file (default ./<adapter>-lora.gguf)',
  },
  async run(ctx, positionals, values) {
    if (positionals.length !== 1)
      throw new SmolmapError(
        'usage_bad_arguments',
        '`smolmap export` takes one trained model id (see `smolmap adapters list`)',
      );
    const format = optionalString(values, 'format');
    if (format === undefined)
      throw new SmolmapError('usage_missing_option', '`smolmap export` needs --format peft|onnx|gguf-lora');
    return exportAdapter(await ctx.engine(), {
      tenant: ctx.tenant,
      model: positionals[0]!,
      format: format as ExportFormat,
      out: optionalString(values, 'out'),
      outtype: optionalString(values, 'outtype') as GgufLoraOuttype | undefined,
    });
  },
  human: (r) => {
    const where = r.format === 'gguf-lora' ? `${r.dir}/${r.files[0]}` : r.dir;
    const size = r.bytes < 1e6 ? `${(r.bytes / 1e3).toFixed(1)} kB` : `${(r.bytes / 1e6).toFixed(1)} MB`;
    const count = `${r.files.length} file${r.files.length === 1 ? '' : 's'}`;
    return `exported ${r.model} as ${r.format} to ${where} (${count}, ${size})\n${USAGE[r.format]}`;
  },
});

export const exportCommands: Command[] = [exportCommand];
