/** `smolmap train`: fine-tune a LoRA adapter for a spec. */
import path from 'node:path';
import {
  LORA_TARGETS,
  LOSS_PNG,
  SmolmapError,
  evaluateTraining,
  getJob,
  toSmolmapError,
  startTraining,
  trainingSummary,
  type Engine,
  type IncrementalOutcome,
  type TrainingSummary,
  type TrainOptionsInput,
} from '../engine/index.js';
import { defineCommand, type Command, type OptionValues } from './command.js';
import { runUntilDone, startBackgroundRunner } from './jobs.js';

function num(values: OptionValues, key: string, integer: boolean): number | undefined {
  const v = values[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)))
    throw new SmolmapError(
      'usage_bad_option',
      `--${key} "${String(v)}" is not ${integer ? 'a whole number' : 'a number'}; see \`smolmap train --help\``,
    );
  return n;
}

/** The summary plus where the loss chart is (written next to the adapter when a training succeeds). */
function withChart(s: TrainingSummary): TrainingSummary & { lossChart: string | null } {
  return { ...s, lossChart: s.adapterPath === null ? null : path.join(s.adapterPath, LOSS_PNG) };
}

function targets(values: OptionValues): string[] | undefined {
  const v = values['targets'] as string | undefined;
  if (v === undefined) return undefined;
  const list = v
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const bad = list.filter((t) => !(LORA_TARGETS as readonly string[]).includes(t));
  if (list.length === 0 || bad.length > 0)
    throw new SmolmapError(
      'usage_bad_option',
      `--targets takes a comma list of ${LORA_TARGETS.join(', ')} (got "${v}")`,
    );
  return list;
}

/** The flag set → training options; unset flags keep the defaults of `parseTrainOptions`. */
function trainOptions(values: OptionValues): TrainOptionsInput {
  const lora: Record<string, unknown> = {};
  const o: Record<string, unknown> = {};
  const put = (into: Record<string, unknown>, key: string, v: unknown) => {
    if (v !== undefined) into[key] = v;
  };
  put(lora, 'r', num(values, 'rank', true));
  put(lora, 'alpha', num(values, 'alpha', false));
  put(lora, 'dropout', num(values, 'dropout', false));
  put(lora, 'targets', targets(values));
  const seed = num(values, 'seed', true);
  put(lora, 'seed', seed);
  put(o, 'seed', seed);
  put(o, 'epochs', num(values, 'epochs', true));
  put(o, 'steps', num(values, 'steps', true));
  put(o, 'lr', num(values, 'lr', false));
  put(o, 'batchSize', num(values, 'batch', true));
  put(o, 'gradAccum', num(values, 'grad-accum', true));
  put(o, 'maxLen', num(values, 'max-len', true));
  return { ...o, lora } as TrainOptionsInput;
}

/** The held-out evaluation after a waited-for training: its scores and chart, or why there is none. */
interface HeldOut {
  evalChart: string | null;
  heldOut?: { n: number; endpointAccuracy: number; exactMatch: number };
  evalError?: string;
}

type TrainResult = TrainingSummary & {
  lossChart: string | null;
  dataset: string;
  baseModel: string;
} & HeldOut;

/** Evaluates a finished training on held-out tasks; a failure is reported, the trained adapter stays. */
async function heldOut(engine: Engine, job: string, tenant: string): Promise<HeldOut> {
  try {
    const ev = await evaluateTraining(engine, job, { tenant });
    if (!ev) return { evalChart: null, evalError: 'no held-out tasks in the dataset' };
    const { n, endpointAccuracy, exactMatch } = ev.result;
    return { evalChart: ev.chart, heldOut: { n, endpointAccuracy, exactMatch } };
  } catch (e) {
    const err = toSmolmapError(e);
    return { evalChart: null, evalError: `${err.code}: ${err.message}` };
  }
}

const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;
const loss = (x: number | null): string => (x === null ? '-' : x.toFixed(4));

/** What an incremental run trained on, and whether its adapter replaced the active one. */
function incrementalLines(i: IncrementalOutcome, model: string): string[] {
  const ops = [...i.added.map((o) => `${o} (added)`), ...i.changed.map((o) => `${o} (changed)`)];
  const compared = `held-out loss ${loss(i.valLoss)} vs ${loss(i.fromValLoss)} of ${i.from}`;
  return [
    `continued from ${i.from} (spec v${i.fromVersion}) on ${i.corrections} corrections, ${ops.length} added or changed operations${ops.length ? `: ${ops.join(', ')}` : ''}, ${i.replay} rehearsal examples`,
    i.valLoss === null || i.fromValLoss === null
      ? `kept ${model}, NOT active: no held-out examples to compare it on; \`smolmap adapters activate ${model}\` activates it`
      : i.activated
        ? `activated ${model}: ${compared} (not worse); \`smolmap adapters rollback <spec>\` goes back`
        : `kept ${model}, NOT active: ${compared} is worse; \`smolmap adapters activate ${model}\` activates it anyway`,
  ];
}

const train = defineCommand<TrainResult>({
  name: 'train',
  summary: 'train a LoRA adapter for a spec (queued as a job; --wait to watch it)',
  args: '',
  required: ['spec'],
  options: {
    spec: { type: 'string' },
    data: { type: 'string' },
    base: { type: 'string' },
    count: { type: 'string' },
    rank: { type: 'string' },
    alpha: { type: 'string' },
    dropout: { type: 'string' },
    targets: { type: 'string' },
    epochs: { type: 'string' },
    steps: { type: 'string' },
    lr: { type: 'string' },
    batch: { type: 'string' },
    'grad-accum': { type: 'string' },
    'max-len': { type: 'string' },
    seed: { type: 'string' },
    threads: { type: 'string' },
    incremental: { type: 'boolean', default: false },
    wait: { type: 'boolean', default: false },
  },
  optionHelp: {
    'spec S': 'the spec to train for (required)',
    'data F': 'a task file (JSON Lines) to train on; default: synthesise the spec’s dataset',
    'base N': 'base model (default: the first registered)',
    'count N': 'synthetic examples when synthesising',
    'rank R': 'LoRA rank (default 16)',
    'alpha A': 'LoRA alpha (default 32)',
    'dropout P': 'LoRA dropout on the adapter branch input, as PEFT lora_dropout (default 0, at most 0.9)',
    'targets L': 'comma list of q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj (default all)',
    'epochs E':
      'passes over the data (ignored with --steps); without --steps or --epochs: max(200, 15 × operations) steps',
    'steps K': 'optimizer steps',
    'lr X': 'peak learning rate (default 1e-3)',
    'batch B': 'sequences per micro-batch (default 4)',
    'grad-accum G': 'micro-batches per step (default 1)',
    'max-len T': 'longest example in tokens (default 384; longer ones are left out, not cut)',
    'seed S': 'seed of the data order, LoRA init and synthetic data (default 0)',
    'threads N': 'onnxruntime threads (default: one per core)',
    incremental:
      'continue the spec’s active adapter on the corrections and the operations added or changed since it was trained, in far fewer steps; the new adapter becomes active only if its held-out loss is not worse',
    wait: 'run here and wait, with a live progress bar; without it the job runs in the background',
  },
  async run(ctx, positionals, values) {
    if (positionals.length > 0)
      throw new SmolmapError(
        'usage_bad_arguments',
        '`smolmap train` takes no positional arguments; use --spec',
      );
    const spec = values['spec'] as string | undefined;
    if (spec === undefined)
      throw new SmolmapError(
        'usage_missing_option',
        '`smolmap train` needs --spec <name>; `smolmap spec list` shows them',
      );
    const options = trainOptions(values);
    const count = num(values, 'count', true);
    const threads = num(values, 'threads', true);
    const engine = await ctx.engine();
    const started = await startTraining(engine, {
      spec,
      tenant: ctx.tenant,
      train: options,
      ...(values['data'] !== undefined ? { data: values['data'] as string } : {}),
      ...(values['base'] !== undefined ? { base: values['base'] as string } : {}),
      ...(count !== undefined ? { count } : {}),
      ...(threads !== undefined ? { threads } : {}),
      ...(values['incremental'] === true ? { incremental: true } : {}),
    });
    const extra = { dataset: started.dataset, baseModel: started.baseModel };
    if (values['wait'] !== true) {
      startBackgroundRunner(ctx);
      return {
        ...withChart(trainingSummary(engine, await getJob(engine, started.job, { tenant: ctx.tenant }))),
        ...extra,
        evalChart: null,
      };
    }
    const job = await runUntilDone(ctx, engine, started.job);
    if (job.status === 'failed' && job.error)
      throw new SmolmapError(job.error.code, `training job ${job.id} failed: ${job.error.message}`, {
        details: { job: job.id },
      });
    const summary = withChart(trainingSummary(engine, job));
    if (job.status !== 'succeeded') return { ...summary, ...extra, evalChart: null };
    ctx.progress('evaluating the adapter on held-out tasks…\n');
    return { ...summary, ...extra, ...(await heldOut(engine, job.id, ctx.tenant)) };
  },
  human: (r) => {
    if (r.status === 'queued')
      return `queued ${r.job} (base ${r.baseModel}, dataset ${r.dataset}); \`smolmap jobs show ${r.job}\` follows it`;
    if (r.status !== 'succeeded')
      return `${r.job} ${r.status}; \`smolmap jobs resume ${r.job}\` continues it`;
    return [
      `trained ${r.model} in ${r.seconds?.toFixed(1)} s (${Math.round(r.tokensPerSecond ?? 0)} tokens/s)`,
      `train loss ${r.trainLoss?.toFixed(4)}, validation loss ${r.valLoss?.toFixed(4) ?? '-'}`,
      `adapter: ${r.adapterPath}`,
      ...(r.incremental && r.model ? incrementalLines(r.incremental, r.model) : []),
      `loss chart: ${r.lossChart}`,
      r.heldOut
        ? `eval chart: ${r.evalChart} (held-out: endpoint ${pct(r.heldOut.endpointAccuracy)}, exact ${pct(r.heldOut.exactMatch)} on ${r.heldOut.n} tasks)`
        : `eval chart: none (${r.evalError ?? 'not evaluated'})`,
    ].join('\n');
  },
});

export const trainCommands: Command[] = [train];
