/** `smolmap eval` and the shared human rendering of a score table. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SmolmapError, evalChartPng, evaluate, type Engine, type EvaluateResult } from '../engine/index.js';
import { QUANT_HELP, checkQuantOption, optionalString } from './mapper-options.js';
import { defineCommand, type Command } from './command.js';

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** Headline scores plus the per-operation error table. */
export function renderEvaluation(r: EvaluateResult): string {
  const lines = [
    `${r.spec} v${r.specVersion} with ${r.model}${r.untrained ? ' (untrained base model)' : ''}: ${r.n} tasks`,
    `endpoint ${pct(r.endpointAccuracy)}  exact ${pct(r.exactMatch)}  valid ${pct(r.validRate)}  param F1 ${pct(r.paramF1)}`,
    `latency p50 ${r.latencyMs.p50.toFixed(0)} ms, p95 ${r.latencyMs.p95.toFixed(0)} ms`,
    '',
    `${'operation'.padEnd(44)} ${'n'.padStart(3)} ${'endpt'.padStart(6)} ${'exact'.padStart(6)} ${'F1'.padStart(6)}  confused with`,
  ];
  for (const o of r.perOperation) {
    const confused = Object.entries(o.confusedWith)
      .map(([k, n]) => `${k} ×${n}`)
      .join(', ');
    lines.push(
      `${o.operation.slice(0, 44).padEnd(44)} ${String(o.n).padStart(3)} ${pct(o.endpointAccuracy).padStart(6)} ${pct(o.exactMatch).padStart(6)} ${pct(o.paramF1).padStart(6)}  ${confused}`,
    );
  }
  if (r.failures.length > 0) {
    lines.push('', 'not exact:');
    for (const f of r.failures) lines.push(`  ${f.task}\n    expected ${f.expected}; got ${f.output}`);
  }
  return lines.join('\n');
}

/** Writes the per-operation chart under `<data-dir>/charts/` (one file per spec version and model). */
async function writeChart(engine: Engine, r: EvaluateResult): Promise<string> {
  const safe = (s: string): string => s.replace(/[^\w.-]+/g, '_');
  const dir = path.join(engine.dataDir, 'charts');
  const file = path.join(dir, `eval-${safe(r.spec)}-v${r.specVersion}-${safe(r.model)}.png`);
  const png = await evalChartPng({
    title: `${r.spec} v${r.specVersion} · ${r.model} · ${r.n} tasks · endpoint ${pct(r.endpointAccuracy)} · exact ${pct(r.exactMatch)}`,
    perOperation: r.perOperation,
  });
  await mkdir(dir, { recursive: true });
  await writeFile(file, png);
  return file;
}

const evalCommand = defineCommand<EvaluateResult & { chart: string }>({
  name: 'eval',
  summary: 'score a spec’s mapper on a task file (endpoint, exact call, valid rate, parameter F1, latency)',
  args: '',
  required: ['spec', 'tasks'],
  options: {
    spec: { type: 'string' },
    tasks: { type: 'string' },
    model: { type: 'string' },
    base: { type: 'string' },
    quant: { type: 'string' },
  },
  optionHelp: {
    'spec S': 'the spec (required)',
    'tasks F': 'task file, JSON Lines of {"task", "expected"} (required)',
    'model M': 'a trained model id (default: the spec’s active adapter, else the untrained base model)',
    'base N': 'base model when the spec has no adapter (default: the first registered)',
    [QUANT_HELP]: 'weight format of the base model (default f32; i8: int8 steps, faster)',
  },
  async run(ctx, positionals, values) {
    if (positionals.length > 0)
      throw new SmolmapError(
        'usage_bad_arguments',
        '`smolmap eval` takes no positional arguments; use --tasks F',
      );
    const spec = optionalString(values, 'spec');
    const tasks = optionalString(values, 'tasks');
    if (spec === undefined || tasks === undefined)
      throw new SmolmapError(
        'usage_missing_option',
        '`smolmap eval` needs --spec <name> and --tasks <file.jsonl>',
      );
    const engine = await ctx.engine();
    const r = await evaluate(engine, {
      tenant: ctx.tenant,
      spec,
      tasks,
      model: optionalString(values, 'model'),
      base: optionalString(values, 'base'),
      quant: checkQuantOption(values),
      onTask: ctx.json ? undefined : (done, total) => ctx.progress(`\r${done}/${total} tasks`),
    });
    return { ...r, chart: await writeChart(engine, r) };
  },
  human: (r) => `\n${renderEvaluation(r)}\n\nchart: ${r.chart}`,
});

export const evalCommands: Command[] = [evalCommand];
