/**
 * `smolmap ask` and `smolmap history`. A running `smolmap serve` answers asks warm over its local socket
 * (serve-client.ts, tried by bin/smolmap.js before this module loads); here the ask runs in this process.
 */
import { SmolmapError, ask, history, type AskResult, type QueryRecord } from '../engine/index.js';
import { QUANT_HELP, checkQuantOption, optionalString, quantSuffix } from './mapper-options.js';
import { defineCommand, type Command } from './command.js';

/** The human view of one answer (`ask`, and each answer of `chat`). */
export function renderAsk(r: AskResult): string {
  const asking = r.needs.length > 0;
  return [
    ...(asking ? ['The task does not say every value this call needs; not sending it. Please answer:'] : []),
    ...r.needs.map((n) => `  ${n.in} ${n.name}: ${n.question}`),
    ...(asking ? ['', 'The call so far:'] : []),
    `${r.method} ${r.path}${r.operationId ? `  (${r.operationId})` : ''}`,
    `url:        ${r.url}`,
    ...(Object.keys(r.pathParams).length ? [`path:       ${JSON.stringify(r.pathParams)}`] : []),
    ...(Object.keys(r.query).length ? [`query:      ${JSON.stringify(r.query)}`] : []),
    ...(r.body !== null ? [`body:       ${JSON.stringify(r.body)}`] : []),
    `confidence: ${(100 * r.confidence).toFixed(1)}%  (operation ${(100 * r.confidenceParts.operation).toFixed(1)}%, values ${(100 * r.confidenceParts.values).toFixed(1)}%)`,
    `model:      ${r.model}${r.untrained ? '  [untrained: base model with the operations in the prompt; train an adapter with `smolmap train`]' : ''}, spec ${r.spec} v${r.specVersion}, ${r.latencyMs.toFixed(0)} ms${quantSuffix(r.quant)}`,
    ...(r.valid ? [] : [`INVALID:    ${r.issues.join('; ')}`]),
    ...(r.completed ? ['note:       the answer hit the token limit and was completed by the grammar'] : []),
    `answer id:  ${r.queryId}  (if it is wrong: \`smolmap correct ${r.queryId} …\`)`,
    '',
    r.curl,
  ].join('\n');
}

/** The task: its words joined, so `ask --spec S show me pet 42` needs no quotes. */
export function taskWords(positionals: string[], command: string): string {
  const task = positionals.join(' ').trim();
  if (task === '')
    throw new SmolmapError(
      'usage_bad_arguments',
      `\`smolmap ${command}\` needs the task, e.g. \`smolmap ${command} --spec petstore show me pet 42\``,
    );
  return task;
}

export const askCommand = defineCommand<AskResult>({
  name: 'ask',
  summary:
    'turn a task into an API call of a spec (the spec’s active adapter, else the untrained base model); a running `smolmap serve` answers at once',
  args: '<task...>',
  required: ['spec'],
  options: {
    spec: { type: 'string' },
    model: { type: 'string' },
    base: { type: 'string' },
    session: { type: 'string' },
    version: { type: 'string' },
    quant: { type: 'string' },
    local: { type: 'boolean' },
  },
  optionHelp: {
    'spec S': 'the spec (required; see `smolmap spec list`)',
    'model M': 'a trained adapter id (default: the spec’s active adapter; see `smolmap adapters list`)',
    'base N': 'base model when the spec has no adapter (default: the first registered)',
    'session X': 'record the ask in playground session X (see `smolmap history --session X`)',
    'version V': 'spec version (default: the adapter’s, else the latest)',
    [QUANT_HELP]: 'weight format of the base model (default f32; i8: int8 steps, faster)',
    local: 'load the model in this process even when `smolmap serve` runs',
  },
  async run(ctx, positionals, values) {
    const spec = optionalString(values, 'spec');
    if (spec === undefined)
      throw new SmolmapError(
        'usage_missing_option',
        '`smolmap ask` needs --spec <name>; `smolmap spec list` shows them',
      );
    const task = taskWords(positionals, 'ask');
    const version = optionalString(values, 'version');
    if (version !== undefined && !/^[1-9]\d*$/.test(version))
      throw new SmolmapError(
        'usage_bad_option',
        `--version must be a positive whole number (got "${version}")`,
      );
    const done = ctx.busy?.('loading the model (a running `smolmap serve` keeps it loaded)');
    try {
      return await ask(await ctx.engine(), {
        spec,
        task,
        model: optionalString(values, 'model'),
        base: optionalString(values, 'base'),
        session: optionalString(values, 'session'),
        version: version === undefined ? undefined : Number(version),
        quant: checkQuantOption(values),
        tenant: ctx.tenant,
        surface: 'cli',
      });
    } finally {
      done?.();
    }
  },
  human: renderAsk,
});

type HistoryResult = QueryRecord[];

const historyCommand = defineCommand<HistoryResult>({
  name: 'history',
  summary: 'recorded asks (playground history), oldest first',
  args: '',
  options: { session: { type: 'string' }, spec: { type: 'string' }, limit: { type: 'string' } },
  optionHelp: {
    'session S': 'only this session',
    'spec S': 'only this spec',
    'limit N': 'the last N asks (default 50)',
  },
  async run(ctx, positionals, values) {
    if (positionals.length > 0)
      throw new SmolmapError('usage_bad_arguments', '`smolmap history` takes no positional arguments');
    const limit = optionalString(values, 'limit');
    if (limit !== undefined && !/^[1-9]\d*$/.test(limit))
      throw new SmolmapError('usage_bad_option', `--limit must be a positive whole number (got "${limit}")`);
    return history(await ctx.engine(), {
      tenant: ctx.tenant,
      session: optionalString(values, 'session'),
      spec: optionalString(values, 'spec'),
      limit: limit === undefined ? undefined : Number(limit),
    });
  },
  human: (rows) =>
    rows.length === 0
      ? 'no asks recorded yet; `smolmap ask --spec S "task"` records one'
      : rows
          .map(
            (q) =>
              `${q.createdAt}  ${q.id}  ${q.sessionId ?? '-'}  ${q.spec.name}@${q.spec.version}  ${q.model}  ${q.latencyMs.toFixed(0)} ms  ${q.valid ? 'valid' : 'INVALID'}\n  ${q.input}\n  → ${q.call ? `${q.call.method} ${q.call.url}` : q.output}`,
          )
          .join('\n'),
});

export const askCommands: Command[] = [askCommand, historyCommand];
