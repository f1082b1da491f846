/**
 * The eval chart of a finished training: its new adapter maps a few held-out tasks of each operation (the
 * validation split of the dataset it trained on, never seen in its steps) and the per-operation scores are
 * drawn as the eval chart, written next to the adapter as `eval.png`. Bots post it in the training's thread
 * and `smolmap train --wait` prints its path.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { Engine } from '../engine.js';
import { loadDataset } from '../data/dataset.js';
import type { TaskExample } from '../data/types.js';
import { evaluate, type EvaluateResult } from '../infer/eval.js';
import type { TenantOption } from '../tenant.js';
import { evalChartPng } from './chart.js';
import { getJob, trainOpts, trainingSummary } from './jobs.js';

export const EVAL_PNG = 'eval.png';
/** Held-out tasks per operation: enough to show which operations it confuses, few enough to follow at once. */
export const EVAL_TASKS_PER_OPERATION = 2;

export interface TrainingEval {
  /** Where the chart was written (next to the adapter). */
  chart: string;
  png: Buffer;
  result: EvaluateResult;
}

/** Up to `perOperation` validation examples of each operation, in dataset order. */
export function heldOutSample(examples: readonly TaskExample[], perOperation: number): TaskExample[] {
  const taken = new Map<string, number>();
  return examples.filter((e) => {
    if (e.meta?.split !== 'validation') return false;
    const op = `${e.expected.method} ${e.expected.path}`;
    const n = taken.get(op) ?? 0;
    if (n >= perOperation) return false;
    taken.set(op, n + 1);
    return true;
  });
}

const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;

/**
 * Evaluates the adapter of succeeded training `jobId` on its held-out sample and writes the chart. Null when
 * there is nothing to chart (the job did not succeed, or its dataset has no validation examples).
 */
export async function evaluateTraining(
  engine: Engine,
  jobId: string,
  scope: TenantOption & { perOperation?: number } = {},
): Promise<TrainingEval | null> {
  const job = await getJob(engine, jobId, scope);
  const summary = trainingSummary(engine, job);
  if (summary.model === null || summary.adapterPath === null) return null;
  const o = trainOpts(job);
  const { examples } = await loadDataset(engine, o.datasetId, scope);
  const tasks = heldOutSample(examples, scope.perOperation ?? EVAL_TASKS_PER_OPERATION);
  if (tasks.length === 0) return null;
  const result = await evaluate(engine, {
    ...(scope.tenant !== undefined && { tenant: scope.tenant }),
    spec: o.spec.name,
    version: o.spec.version,
    model: summary.model,
    tasks,
  });
  const png = await evalChartPng({
    title: `${o.spec.name} v${o.spec.version} · ${summary.model} · ${result.n} held-out tasks · endpoint ${pct(result.endpointAccuracy)} · exact ${pct(result.exactMatch)}`,
    perOperation: result.perOperation,
  });
  const chart = path.join(summary.adapterPath, EVAL_PNG);
  await writeFile(chart, png);
  return { chart, png, result };
}
