/** `smolmap data ...`: synthesise, import and inspect training datasets. */
import {
  SmolmapError,
  listCorrections,
  generateData,
  importDataset,
  showDataset,
  type DatasetResult,
  type CorrectionRecord,
  type ShowDatasetResult,
} from '../engine/index.js';
import { renderCorrection } from './correct.js';
import { defineCommand, type Command, type OptionValues } from './command.js';

const str = (values: OptionValues, key: string): string | undefined => values[key] as string | undefined;

function positiveInt(value: string | undefined, option: string, command: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new SmolmapError(
      'usage_bad_option',
      `--${option} "${value}" must be a positive whole number; see \`smolmap ${command} --help\``,
    );
  return Number(value);
}

function wholeNumber(value: string | undefined, option: string, command: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) > 4294967295)
    throw new SmolmapError(
      'usage_bad_option',
      `--${option} "${value}" must be a whole number from 0 to 4294967295; see \`smolmap ${command} --help\``,
    );
  return Number(value);
}

function requireSpec(values: OptionValues, command: string): string {
  const spec = str(values, 'spec');
  if (!spec)
    throw new SmolmapError(
      'usage_missing_option',
      `\`smolmap ${command}\` needs --spec <name> (see \`smolmap spec list\`)`,
    );
  return spec;
}

function one(positionals: string[], what: string, command: string): string {
  if (positionals.length !== 1)
    throw new SmolmapError(
      'usage_bad_arguments',
      `\`smolmap ${command}\` takes exactly one ${what} (got ${positionals.length}); see \`smolmap ${command} --help\``,
    );
  return positionals[0] as string;
}

function humanResult(r: DatasetResult): string {
  const lines = [
    `Dataset ${r.dataset}: ${r.examples} examples for ${r.spec.name} v${r.spec.version} (${r.kind}), ${r.operationsCovered} operations covered`,
    `task file: ${r.path}`,
  ];
  for (const s of r.skipped) lines.push(`skipped ${s.method} ${s.path} (${s.operationId}): ${s.reason}`);
  lines.push(`run \`smolmap data show ${r.dataset}\` for stats`);
  return lines.join('\n');
}

const generate = defineCommand<DatasetResult>({
  name: 'data generate',
  summary: 'synthesise task → call training examples from a stored spec',
  args: '',
  required: ['spec'],
  options: {
    spec: { type: 'string' },
    count: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
  },
  optionHelp: {
    'spec S': 'the spec name (required)',
    'count N':
      'number of examples (default max(300, 40 × operations), at most 4000; at least one per operation)',
    'seed X': 'seed for reproducible data (default 1)',
    'out F': 'also write the examples to F as a task file (JSON Lines)',
  },
  async run(ctx, positionals, values) {
    if (positionals.length > 0)
      throw new SmolmapError(
        'usage_bad_arguments',
        '`smolmap data generate` takes no positional arguments; use --spec S',
      );
    const spec = requireSpec(values, 'data generate');
    const count = positiveInt(str(values, 'count'), 'count', 'data generate');
    const seed = wholeNumber(str(values, 'seed'), 'seed', 'data generate');
    const out = str(values, 'out');
    return generateData(await ctx.engine(), { spec, count, seed, out, tenant: ctx.tenant });
  },
  human: humanResult,
});

const importCmd = defineCommand<DatasetResult>({
  name: 'data import',
  summary: 'import a task file (JSON Lines) for a spec, validated line by line',
  args: '<file.jsonl>',
  required: ['spec'],
  options: {
    spec: { type: 'string' },
    mix: { type: 'boolean', default: false },
    count: { type: 'string' },
    seed: { type: 'string' },
  },
  optionHelp: {
    'spec S': 'the spec name (required)',
    mix: 'mix the tasks into synthetic data instead of replacing it',
    'count N': 'with --mix: number of synthetic examples',
    'seed X': 'with --mix: seed of the synthetic examples',
  },
  async run(ctx, positionals, values) {
    const file = one(positionals, 'task file', 'data import');
    const spec = requireSpec(values, 'data import');
    const count = positiveInt(str(values, 'count'), 'count', 'data import');
    const seed = wholeNumber(str(values, 'seed'), 'seed', 'data import');
    return importDataset(await ctx.engine(), file, {
      tenant: ctx.tenant,
      spec,
      mode: values['mix'] === true ? 'mix' : 'replace',
      count,
      seed,
    });
  },
  human: humanResult,
});

/** Drafts the generator checked and did not keep: counted by defect, with one example. */
function rejectedLine(r: NonNullable<ShowDatasetResult['rejected']>): string {
  if (r.total === 0) return 'Rejected drafts: none (every draft conformed to the spec and stated its values)';
  const codes = r.reasons.map((x) => `${x.code} ${x.count}`).join(', ');
  return `Rejected drafts: ${r.total} (${codes}); e.g. ${r.reasons[0]?.samples[0] ?? ''}`;
}

/** `data show`: a dataset's stats (with an id) and the stored corrections of its spec (or of --spec). */
type ShowResult = (ShowDatasetResult | { dataset: null; spec: { name: string } }) & {
  corrections: CorrectionRecord[];
};

function datasetLines(r: ShowDatasetResult): string[] {
  const s = r.report;
  const ops = s.perOperation.map(
    (o) =>
      `  ${String(o.examples).padStart(5)}  ${o.method} ${o.path}${o.operationId ? ` (${o.operationId})` : ''}`,
  );
  const missing = s.parameterCoverage
    .filter((c) => c.examples === 0)
    .map((c) => `${c.operation} ${c.location}.${c.name}`);
  return [
    `Dataset ${r.dataset} (${r.kind}) for ${r.spec.name} v${r.spec.version}: ${s.examples} examples (train ${s.splits.train}, validation ${s.splits.validation})`,
    `file: ${r.path}`,
    'Examples per operation:',
    ...ops,
    `Parameter coverage: ${(s.parameterCoverageRate * 100).toFixed(0)}% of declared parameters/body fields are stated at least once` +
      (missing.length
        ? `; never: ${missing.slice(0, 12).join(', ')}${missing.length > 12 ? ', …' : ''}`
        : ''),
    ...(r.rejected ? [rejectedLine(r.rejected)] : []),
    `Task length (words): min ${s.length.words.min}, median ${s.length.words.p50}, p90 ${s.length.words.p90}, max ${s.length.words.max}`,
    'Samples:',
    ...s.samples.map((t) => `  - ${t}`),
  ];
}

function correctionLines(spec: string, corrections: CorrectionRecord[]): string[] {
  if (corrections.length === 0)
    return [
      `Corrections of ${spec}: none yet (\`smolmap correct <answer-id> …\` stores one; \`smolmap ask\` prints answer ids)`,
    ];
  return [
    `Corrections of ${spec}: ${corrections.length} (mixed into the next training, each counted several times)`,
    ...corrections.map((c) => `  ${renderCorrection(c).replace(/\n/g, '\n  ')}`),
  ];
}

const show = defineCommand<ShowResult>({
  name: 'data show',
  summary:
    'stats of a dataset (examples per operation, parameter coverage, lengths, samples) and the stored corrections of its spec; with --spec, that spec’s corrections',
  args: '[<id>]',
  options: { spec: { type: 'string' } },
  optionHelp: { 'spec S': 'without a dataset id: list the corrections of spec S' },
  async run(ctx, positionals, values) {
    const spec = str(values, 'spec');
    if (positionals.length === 0 && spec !== undefined) {
      const engine = await ctx.engine();
      return {
        dataset: null,
        spec: { name: spec },
        corrections: await listCorrections(engine, { spec, tenant: ctx.tenant }),
      };
    }
    if (spec !== undefined)
      throw new SmolmapError(
        'usage_bad_arguments',
        '`smolmap data show` takes a dataset id or --spec S, not both; see `smolmap data show --help`',
      );
    const engine = await ctx.engine();
    const r = await showDataset(engine, one(positionals, 'dataset id (or --spec S)', 'data show'), {
      tenant: ctx.tenant,
    });
    return { ...r, corrections: await listCorrections(engine, { spec: r.spec.name, tenant: ctx.tenant }) };
  },
  human: (r) =>
    [
      ...(r.dataset === null ? [] : datasetLines(r as ShowDatasetResult)),
      ...correctionLines(r.spec.name, r.corrections),
    ].join('\n'),
});

export const dataCommands: Command[] = [generate, importCmd, show];
