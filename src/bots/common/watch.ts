/**
 * Keeps one training message up to date: progress through a rate-limited updater while the job runs, then the
 * metrics, the loss chart and the eval chart (the new adapter on held-out tasks). It follows the job through the store (waitForJob), so it works whether this
 * process or another one runs the jobs.
 */
import {
  evaluateTraining,
  lossChartPng,
  trainingSummary,
  waitForJob,
  type Engine,
  type JobRecord,
  type LossPoint,
} from '../../engine/index.js';
import { renderFinished, renderProgress, type Reply } from './render.js';
import { createUpdater } from './updater.js';

export interface WatchOptions {
  /** The tenant that started the job. */
  tenant: string;
  /** Minimum time between edits of the message (the platform's rate limit). */
  minIntervalMs: number;
  /** How often to re-read the job (ms). */
  pollMs?: number;
  signal?: AbortSignal;
  onError?: (e: unknown) => void;
}

function lossHistory(job: JobRecord): LossPoint[] {
  const r = job.result;
  if (typeof r !== 'object' || r === null || !('lossHistory' in r) || !Array.isArray(r.lossHistory))
    return [];
  return r.lossHistory as LossPoint[];
}

const pct = (x: number): string => `${Math.round(100 * x)}%`;

/**
 * The final message: metrics plus the loss chart and the eval chart (when the job logged any loss and its
 * dataset holds held-out tasks). A chart that cannot be made is named in the text; the metrics still go out.
 */
export async function finishedReply(engine: Engine, job: JobRecord, tenant: string): Promise<Reply> {
  const summary = trainingSummary(engine, job);
  const lines = [renderFinished(job, summary)];
  const history = lossHistory(job);
  if (job.status !== 'succeeded' || history.length < 2) return { text: lines[0]! };
  const files: Reply['files'] = [];
  try {
    const chart = await lossChartPng(history, { title: summary.model ?? job.id });
    files.push({ name: `${job.id}-loss.png`, data: chart });
  } catch (e) {
    lines.push(`(the loss chart could not be drawn: ${(e as Error).message})`);
  }
  try {
    const ev = await evaluateTraining(engine, job.id, { tenant });
    if (ev) {
      const r = ev.result;
      lines.push(
        `held-out: endpoint ${pct(r.endpointAccuracy)}, exact ${pct(r.exactMatch)} on ${r.n} tasks (eval chart)`,
      );
      files.push({ name: `${job.id}-eval.png`, data: ev.png });
    }
  } catch (e) {
    lines.push(`(the held-out evaluation failed: ${(e as Error).message})`);
  }
  return { text: lines.join('\n'), files };
}

/**
 * Calls `edit` with each new progress text (coalesced to one edit per interval) and, when the job ends, with
 * the final reply. Resolves with the final job record.
 */
export async function watchTraining(
  engine: Engine,
  jobId: string,
  edit: (reply: Reply) => Promise<void>,
  opts: WatchOptions,
): Promise<JobRecord> {
  const updater = createUpdater<Reply>(edit, {
    minIntervalMs: opts.minIntervalMs,
    ...(opts.onError && { onError: opts.onError }),
  });
  const job = await waitForJob(engine, jobId, {
    tenant: opts.tenant,
    pollMs: opts.pollMs ?? 1000,
    ...(opts.signal && { signal: opts.signal }),
    onUpdate: (j) => {
      if (j.status === 'queued' || j.status === 'running')
        updater.update({ text: renderProgress(j), stop: j.id });
    },
  });
  if (job.status === 'succeeded')
    updater.update({
      text: `${renderFinished(job, trainingSummary(engine, job))}\n_evaluating on held-out tasks…_`,
    });
  updater.update(await finishedReply(engine, job, opts.tenant));
  await updater.flush();
  return job;
}
