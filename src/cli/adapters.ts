/**
 * `smolmap adapters list|show|activate|rollback|compare`: the trained adapters of each spec. `smolmap models …`
 * still reaches them (cli.ts ALIASES).
 */
import {
  SmolmapError,
  activateAdapter,
  compareAdapters,
  listAdapters,
  rollbackAdapter,
  showAdapter,
  type ActivationResult,
  type AdapterDetails,
  type AdapterSummary,
  type CompareResult,
} from '../engine/index.js';
import { renderEvaluation } from './eval.js';
import { QUANT_HELP, checkQuantOption, optionalString, quantSuffix } from './mapper-options.js';
import { defineCommand, type Command } from './command.js';

function oneId(positionals: string[], command: string): string {
  if (positionals.length !== 1)
    throw new SmolmapError(
      'usage_bad_arguments',
      `\`smolmap adapters ${command}\` takes one adapter id (see \`smolmap adapters list\`)`,
    );
  return positionals[0]!;
}

const pct = (x: number | undefined): string => (x === undefined ? '-' : `${(100 * x).toFixed(1)}%`);

const list = defineCommand<AdapterSummary[]>({
  name: 'adapters list',
  summary: 'trained adapters (per spec; * = active, used by `ask` by default)',
  args: '',
  options: { spec: { type: 'string' } },
  optionHelp: { 'spec S': 'only this spec’s adapters' },
  async run(ctx, _positionals, values) {
    return listAdapters(await ctx.engine(), { spec: optionalString(values, 'spec'), tenant: ctx.tenant });
  },
  human: (rows) =>
    rows.length === 0
      ? 'no trained adapters; `smolmap train --spec S --wait` trains one'
      : rows
          .map(
            (a) =>
              `${a.active ? '*' : ' '} ${a.id.padEnd(28)} ${`${a.spec.name}@${a.spec.version}`.padEnd(22)} ${a.status.padEnd(8)} base ${a.baseModel}  r ${a.r}  exact ${pct(a.metrics?.exactMatch)}  endpoint ${pct(a.metrics?.endpointAccuracy)}`,
          )
          .join('\n'),
});

const show = defineCommand<AdapterDetails>({
  name: 'adapters show',
  summary: 'one trained adapter: spec, base model, LoRA settings, folder, last evaluation',
  args: '<id>',
  options: {},
  optionHelp: {},
  async run(ctx, positionals) {
    return showAdapter(await ctx.engine(), oneId(positionals, 'show'), { tenant: ctx.tenant });
  },
  human: (a) =>
    [
      `${a.id}${a.active ? ' (active)' : ''}: spec ${a.spec.name} v${a.spec.version}, base ${a.baseModel}, ${a.status}`,
      `LoRA r ${a.lora.r}, alpha ${a.lora.alpha}, targets ${a.lora.targets.join(',')}`,
      `folder ${a.path}`,
      `final train loss ${a.finalLoss?.toFixed(4) ?? '-'}`,
      a.metrics
        ? `last eval (${a.metrics.n} tasks): endpoint ${pct(a.metrics.endpointAccuracy)}, exact ${pct(a.metrics.exactMatch)}, valid ${pct(a.metrics.validRate)}, F1 ${pct(a.metrics.paramF1)}${quantSuffix(a.metrics.quant)}`
        : 'not evaluated yet (`smolmap eval --spec S --tasks F --model ID`)',
    ].join('\n'),
});

const renderActivation = (r: ActivationResult): string =>
  `${r.spec}: ${r.active} is active${r.previous && r.previous !== r.active ? ` (was ${r.previous})` : ''}`;

const activate = defineCommand<ActivationResult>({
  name: 'adapters activate',
  summary: 'make an adapter the one `ask` uses for its spec',
  args: '<id>',
  options: {},
  optionHelp: {},
  async run(ctx, positionals) {
    return activateAdapter(await ctx.engine(), oneId(positionals, 'activate'), { tenant: ctx.tenant });
  },
  human: renderActivation,
});

const rollback = defineCommand<ActivationResult>({
  name: 'adapters rollback',
  summary: 're-activate the adapter a spec used before the current one',
  args: '<spec>',
  options: {},
  optionHelp: {},
  async run(ctx, positionals) {
    if (positionals.length !== 1)
      throw new SmolmapError('usage_bad_arguments', '`smolmap adapters rollback` takes one spec name');
    return rollbackAdapter(await ctx.engine(), positionals[0]!, { tenant: ctx.tenant });
  },
  human: renderActivation,
});

const compare = defineCommand<CompareResult>({
  name: 'adapters compare',
  summary: 'A/B two adapters of one spec on the same task file',
  args: '<a> <b>',
  options: { tasks: { type: 'string' }, quant: { type: 'string' } },
  required: ['tasks'],
  optionHelp: { 'tasks F': 'task file (required)', [QUANT_HELP]: 'weight format (default f32)' },
  async run(ctx, positionals, values) {
    const tasks = optionalString(values, 'tasks');
    if (positionals.length !== 2)
      throw new SmolmapError('usage_bad_arguments', '`smolmap adapters compare` takes two adapter ids');
    if (tasks === undefined)
      throw new SmolmapError('usage_missing_option', '`smolmap adapters compare` needs --tasks <file.jsonl>');
    return compareAdapters(await ctx.engine(), positionals[0]!, positionals[1]!, {
      tenant: ctx.tenant,
      tasks,
      quant: checkQuantOption(values),
    });
  },
  human: (r) => {
    const d = (x: number): string => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} pts`;
    return [
      renderEvaluation(r.a),
      '',
      renderEvaluation(r.b),
      '',
      `${r.b.model} vs ${r.a.model}: endpoint ${d(r.delta.endpointAccuracy)}, exact ${d(r.delta.exactMatch)}, valid ${d(r.delta.validRate)}, F1 ${d(r.delta.paramF1)}, p50 ${r.delta.p50 >= 0 ? '+' : ''}${r.delta.p50.toFixed(0)} ms`,
    ].join('\n');
  },
});

export const adapterCommands: Command[] = [list, show, activate, rollback, compare];
