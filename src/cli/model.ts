/** `smolmap model ...`: the base-model registry commands. */
import {
  SmolmapError,
  importModel,
  listModels,
  pullModel,
  removeModel,
  showModel,
  DEFAULT_BASE_REPO,
  type ImportModelResult,
  type ShowModelResult,
} from '../engine/index.js';
import { defineCommand, type CommandContext, type OptionValues } from './command.js';

const str = (values: OptionValues, key: string) => values[key] as string | undefined;

function args(positionals: string[], min: number, max: number, usage: string): string[] {
  if (positionals.length < min || positionals.length > max) {
    throw new SmolmapError(
      'usage_bad_arguments',
      `usage: smolmap ${usage} (got ${positionals.length} arguments); see \`smolmap ${usage.split(' <')[0]!.split(' [')[0]} --help\``,
    );
  }
  return positionals;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const millions = (n: number) => `${(n / 1e6).toFixed(1)}M`;

function describe(r: ImportModelResult | ShowModelResult): string[] {
  const c = r.config;
  return [
    `format:  ${r.format} (${r.files.join(', ')})`,
    `config:  ${c.num_hidden_layers} layers, hidden ${c.hidden_size}, ${c.num_attention_heads} heads / ` +
      `${c.num_key_value_heads} kv, vocab ${c.vocab_size}, rope_theta ${c.rope_theta}`,
    `size:    ${millions(r.parameters)} parameters, ${mb(r.bytes)} on disk`,
    `folder:  ${r.dir}`,
  ];
}

const importCmd = defineCommand<ImportModelResult>({
  name: 'model import',
  summary: 'register a local base model: a .gguf file or a Hugging Face folder (copied or hard-linked)',
  args: '<file.gguf|dir>',
  options: { name: { type: 'string' } },
  optionHelp: { 'name N': 'name to register it under (default: the file or folder name)' },
  async run(ctx, positionals, values) {
    const [source] = args(positionals, 1, 1, 'model import <file.gguf|dir> [--name N]');
    const name = str(values, 'name');
    return importModel(await ctx.engine(), source!, name === undefined ? {} : { name });
  },
  human: (r) =>
    [
      `Imported ${r.name} from ${r.source} (${r.transfer === 'link' ? 'hard-linked' : 'copied'})`,
      ...describe(r),
    ].join('\n'),
});

/** A text progress bar: redrawn in place on a terminal, one line per 10% otherwise. */
function progressBar(ctx: CommandContext) {
  const tty = !ctx.json && process.stdout.isTTY === true;
  const last = new Map<string, number>();
  return ({ file, bytes, total }: { file: string; bytes: number; total: number }) => {
    const pct = total ? Math.floor((bytes / total) * 100) : 100;
    const step = tty ? pct : Math.floor(pct / 10) * 10;
    if (last.get(file) === step) return;
    last.set(file, step);
    const filled = Math.round(step / 5);
    const bar = `${file} [${'#'.repeat(filled)}${'-'.repeat(20 - filled)}] ${step}% ${mb(bytes)} / ${mb(total)}`;
    ctx.progress(tty ? `\r${bar}${bytes >= total ? '\n' : ''}` : `${bar}\n`);
  };
}

const pull = defineCommand<ImportModelResult>({
  name: 'model pull',
  summary: `download a base model from the Hugging Face Hub (default ${DEFAULT_BASE_REPO}); resumes partial downloads`,
  args: '[repo-id]',
  options: { name: { type: 'string' }, revision: { type: 'string' } },
  optionHelp: {
    'name N': 'name to register it under (default: <owner>--<name>)',
    'revision R': 'branch, tag or commit (default: main)',
  },
  async run(ctx, positionals, values) {
    const [repo] = args(positionals, 0, 1, 'model pull [repo-id] [--name N]');
    const name = str(values, 'name');
    const revision = str(values, 'revision');
    return pullModel(await ctx.engine(), repo ?? DEFAULT_BASE_REPO, {
      ...(name === undefined ? {} : { name }),
      ...(revision === undefined ? {} : { revision }),
      onProgress: progressBar(ctx),
    });
  },
  human: (r) => [`Pulled ${r.source} as ${r.name}`, ...describe(r)].join('\n'),
});

interface ListRow {
  name: string;
  format: 'hf' | 'gguf';
  source: string;
  num_hidden_layers: number;
  hidden_size: number;
  vocab_size: number;
  addedAt: string;
}

const list = defineCommand<ListRow[]>({
  name: 'model list',
  summary: 'list the registered base models',
  args: '',
  options: {},
  optionHelp: {},
  async run(ctx, positionals) {
    args(positionals, 0, 0, 'model list');
    return (await listModels(await ctx.engine())).map((m) => ({
      name: m.name,
      format: m.format,
      source: m.source,
      num_hidden_layers: m.config.num_hidden_layers,
      hidden_size: m.config.hidden_size,
      vocab_size: m.config.vocab_size,
      addedAt: m.addedAt,
    }));
  },
  human: (rows) =>
    rows.length === 0
      ? 'No base models yet; run `smolmap model pull` or `smolmap model import <file.gguf|dir> --name N`'
      : rows
          .map(
            (r) =>
              `${r.name}  ${r.format}  ${r.num_hidden_layers}x${r.hidden_size}  vocab ${r.vocab_size}  ${r.source}`,
          )
          .join('\n'),
});

const show = defineCommand<ShowModelResult>({
  name: 'model show',
  summary: "show a base model's config, files, size and adapters",
  args: '<name>',
  options: {},
  optionHelp: {},
  async run(ctx, positionals) {
    const [name] = args(positionals, 1, 1, 'model show <name>');
    return showModel(await ctx.engine(), name!);
  },
  human: (r) =>
    [
      `${r.name} (from ${r.source}, added ${r.addedAt})`,
      ...describe(r),
      `adapters: ${r.adapters.join(', ') || '(none)'}`,
    ].join('\n'),
});

const rm = defineCommand<{ name: string; removed: string }>({
  name: 'model rm',
  summary: 'remove a base model and its files',
  args: '<name>',
  options: { force: { type: 'boolean' } },
  optionHelp: { force: 'remove it even when adapters were trained on it' },
  async run(ctx, positionals, values) {
    const [name] = args(positionals, 1, 1, 'model rm <name> [--force]');
    return removeModel(await ctx.engine(), name!, { force: values['force'] === true });
  },
  human: (r) => `Removed ${r.name} (${r.removed})`,
});

export const modelCommands = [importCmd, pull, list, show, rm];
