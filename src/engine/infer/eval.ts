/**
 * `eval` and `models compare` (facade): run a task file through the mapper and score it
 * (train/metrics.ts `scoreCalls`), with latency percentiles over the per-task wall time.
 * Evaluations are not recorded as playground queries; an adapter's latest scores are kept on its record.
 */
import { readFile } from 'node:fs/promises';

import type { ApiCall } from '../calls.js';
import { parseTaskFile } from '../data/taskfile.js';
import type { TaskExample } from '../data/types.js';
import type { Engine } from '../engine.js';
import { SmolmapError } from '../errors.js';
import { findAdapter, recordAdapterMetrics } from '../models.js';
import { scoreCalls, type OperationScore } from '../train/metrics.js';
import { resolveMapper, type MapperTarget, type ResolvedMapper } from './ask.js';
import { withoutNeeds } from './clarify.js';
import { mapTask, type MapOptions } from './mapper.js';
import type { WeightQuant } from '../model/quant.js';

export interface EvaluateOptions extends MapperTarget {
  /** A task file (JSON Lines) or examples already parsed. */
  tasks: string | readonly Pick<TaskExample, 'task' | 'expected'>[];
  maxTokens?: number;
  /** Decoding knobs for every task (processors/index.ts); defaults: the mapper's. */
  knobs?: Pick<MapOptions, 'keyBias' | 'valueBias' | 'operation'>;
  /** Called after each task (progress for long runs). */
  onTask?: (done: number, total: number) => void;
}

export interface EvalFailure {
  task: string;
  expected: string;
  predicted: string | null;
  output: string;
  /** The call as answered: the output with the values asked for and the unstated guesses taken out. */
  call: ApiCall | null;
  valid: boolean;
  /** The values the answer asked for instead of giving (`in.name`), when it asked. */
  asked: string[];
}

export interface EvaluateResult {
  spec: string;
  specVersion: number;
  model: string;
  untrained: boolean;
  n: number;
  endpointAccuracy: number;
  exactMatch: number;
  validRate: number;
  paramF1: number;
  latencyMs: { p50: number; p95: number; mean: number };
  /** Weight mode of the base model (the request's, else the engine's). */
  quant: WeightQuant;
  /** Mean confidence of exact and of non-exact answers (is confidence informative?). */
  confidence: { exact: number | null; wrong: number | null };
  perOperation: OperationScore[];
  /** Tasks whose call was not exactly the expected one. */
  failures: EvalFailure[];
}

/** Nearest-rank percentile of ascending values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

async function loadTasks(
  m: ResolvedMapper,
  tasks: EvaluateOptions['tasks'],
): Promise<readonly Pick<TaskExample, 'task' | 'expected'>[]> {
  if (typeof tasks !== 'string') return tasks;
  let text: string;
  try {
    text = await readFile(tasks, 'utf8');
  } catch (e) {
    throw new SmolmapError('taskfile_unreadable', `cannot read the task file ${tasks}; check the path`, {
      cause: e,
    });
  }
  return parseTaskFile(text, m.catalog);
}

const mean = (xs: number[]): number | null =>
  xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
const endpoint = (c: Pick<ApiCall, 'method' | 'path'>): string => `${c.method} ${c.path}`;

export async function evaluate(engine: Engine, options: EvaluateOptions): Promise<EvaluateResult> {
  const m = await resolveMapper(engine, options);
  const examples = await loadTasks(m, options.tasks);
  const items: { predicted: ApiCall | null; expected: TaskExample['expected'] }[] = [];
  const latencies: number[] = [];
  const conf = { exact: [] as number[], wrong: [] as number[] };
  const outputs: { text: string; valid: boolean; confidence: number; asked: string[] }[] = [];
  for (const [i, ex] of examples.entries()) {
    const r = await mapTask(m.rt, ex.task, {
      catalog: m.catalog,
      adapter: m.adapter,
      untrained: m.untrained,
      maxTokens: options.maxTokens,
      ...options.knobs,
    });
    // An answer that asks is scored as the values it has: right only when the expected call lacks exactly the
    // values asked for (the task never states them), a miss wherever the expected call holds one.
    const predicted = r.call && withoutNeeds(r.call, r.needs, m.catalog);
    items.push({ predicted, expected: ex.expected });
    latencies.push(r.latencyMs);
    outputs.push({
      text: r.text,
      valid: r.valid,
      confidence: r.confidence.overall,
      asked: r.needs.map((n) => `${n.in}.${n.name}`),
    });
    options.onTask?.(i + 1, examples.length);
  }
  const scores = scoreCalls(items, m.catalog);
  const failures: EvalFailure[] = [];
  items.forEach((it, i) => {
    const one = scoreCalls([it], m.catalog);
    const out = outputs[i]!;
    (one.exactMatch === 1 ? conf.exact : conf.wrong).push(out.confidence);
    if (one.exactMatch === 1) return;
    failures.push({
      task: examples[i]!.task,
      expected: endpoint(it.expected),
      predicted: it.predicted ? endpoint(it.predicted) : null,
      output: out.text,
      call: it.predicted,
      valid: out.valid,
      asked: out.asked,
    });
  });
  const sorted = [...latencies].sort((a, b) => a - b);
  const result: EvaluateResult = {
    spec: m.spec,
    specVersion: m.specVersion,
    model: m.model,
    untrained: m.untrained,
    n: scores.n,
    endpointAccuracy: scores.endpointAccuracy,
    exactMatch: scores.exactMatch,
    // Validity is the model's call's: an answer that asks leaves required values out on purpose.
    validRate: outputs.filter((o) => o.valid).length / Math.max(1, outputs.length),
    paramF1: scores.paramF1,
    latencyMs: { p50: percentile(sorted, 50), p95: percentile(sorted, 95), mean: mean(latencies) ?? 0 },
    quant: m.rt.quant,
    confidence: { exact: mean(conf.exact), wrong: mean(conf.wrong) },
    perOperation: scores.perOperation,
    failures,
  };
  if (!m.untrained) {
    const { n, endpointAccuracy, exactMatch, validRate, paramF1 } = result;
    const latencyMs = { p50: result.latencyMs.p50, p95: result.latencyMs.p95 };
    await recordAdapterMetrics(
      engine,
      m.model,
      { n, endpointAccuracy, exactMatch, validRate, paramF1, latencyMs, quant: result.quant },
      options.tenant,
    );
  }
  return result;
}

export interface CompareResult {
  spec: string;
  a: EvaluateResult;
  b: EvaluateResult;
  /** b minus a, per headline metric. */
  delta: { endpointAccuracy: number; exactMatch: number; validRate: number; paramF1: number; p50: number };
}

/** A/B: both adapters (of the same spec) on the same tasks. */
export async function compareAdapters(
  engine: Engine,
  a: string,
  b: string,
  options: Omit<EvaluateOptions, 'model' | 'spec'>,
): Promise<CompareResult> {
  const data = await engine.store.read();
  const ra = findAdapter(data, a, options.tenant);
  const rb = findAdapter(data, b, options.tenant);
  if (ra.spec.name !== rb.spec.name) {
    throw new SmolmapError(
      'adapter_spec_mismatch',
      `"${a}" maps spec "${ra.spec.name}" but "${b}" maps "${rb.spec.name}"; compare adapters of one spec`,
    );
  }
  const ea = await evaluate(engine, { ...options, spec: ra.spec.name, model: a });
  const eb = await evaluate(engine, { ...options, spec: rb.spec.name, model: b });
  return {
    spec: ra.spec.name,
    a: ea,
    b: eb,
    delta: {
      endpointAccuracy: eb.endpointAccuracy - ea.endpointAccuracy,
      exactMatch: eb.exactMatch - ea.exactMatch,
      validRate: eb.validRate - ea.validRate,
      paramF1: eb.paramF1 - ea.paramF1,
      p50: eb.latencyMs.p50 - ea.latencyMs.p50,
    },
  };
}
