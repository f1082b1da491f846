/**
 * Training job tools: train_model queues a job and returns its id at once, or with `wait: true` follows it to
 * the end, sending `notifications/progress` (step of total steps) when the client gave a progress token.
 * list_jobs lists them; job_status, stop_job and resume_job act on one job by id.
 */
import { z } from 'zod';
import {
  getJob,
  listJobs,
  resumeJob,
  startTraining,
  stopJob,
  trainOptionsSchema,
  trainingSummary,
  waitForJob,
  type Engine,
  type JobRecord,
} from '../../engine/index.js';
import { defineTool, type AnyTool, type CallExtras } from '../tool.js';
import { jobId, specName, specVersion } from './common.js';

const JOB_STATUS = z
  .enum(['queued', 'running', 'interrupted', 'succeeded', 'failed', 'stopped'])
  .describe(
    'queued, running, interrupted (its runner died; resumes when one starts), succeeded, failed or stopped',
  );

const Progress = z
  .object({
    step: z.number().describe('optimizer steps done'),
    totalSteps: z.number().describe('optimizer steps planned'),
    epoch: z.number().describe('current pass over the data'),
    loss: z.number().nullable().describe('latest training loss'),
    valLoss: z.number().nullable().describe('latest validation loss'),
    lr: z.number().nullable().describe('current learning rate'),
    tokensPerSecond: z.number().nullable().describe('training throughput'),
    etaSeconds: z.number().nullable().describe('estimated seconds left'),
  })
  .nullable()
  .describe('latest progress report, or null before the first step');

const Summary = z
  .object({
    model: z.string().nullable().describe('the trained model id (when succeeded)'),
    trainLoss: z.number().nullable().describe('final training loss'),
    valLoss: z.number().nullable().describe('final validation loss'),
    tokensPerSecond: z.number().nullable().describe('average training throughput'),
    seconds: z.number().nullable().describe('wall-clock training time'),
  })
  .nullable()
  .describe('outcome of a finished training job, else null');

const JobView = z.object({
  job: z.string().describe('job id'),
  kind: z.string().describe('train, eval or dataset'),
  status: JOB_STATUS,
  progress: Progress,
  error: z
    .object({
      code: z.string().describe('error code'),
      message: z.string().describe('what went wrong and what to do'),
    })
    .nullable()
    .describe('why the job failed, else null'),
  summary: Summary,
});

type JobViewT = z.input<typeof JobView>;

function jobView(engine: Engine, job: JobRecord): JobViewT {
  let summary: JobViewT['summary'] = null;
  if (job.kind === 'train' && job.status !== 'queued' && job.status !== 'running') {
    const s = trainingSummary(engine, job);
    summary = {
      model: s.model,
      trainLoss: s.trainLoss,
      valLoss: s.valLoss,
      tokensPerSecond: s.tokensPerSecond,
      seconds: s.seconds,
    };
  }
  return {
    job: job.id,
    kind: job.kind,
    status: job.status,
    progress: job.progress,
    error: job.error,
    summary,
  };
}

function statusLine(v: z.output<typeof JobView>): string {
  const p = v.progress;
  const parts = [`job ${v.job} (${v.kind}): ${v.status}`];
  if (p) parts.push(`step ${p.step}/${p.totalSteps}${p.loss === null ? '' : `, loss ${p.loss.toFixed(4)}`}`);
  if (v.error) parts.push(`${v.error.code}: ${v.error.message}`);
  if (v.summary?.model) parts.push(`model ${v.summary.model}`);
  return parts.join('; ');
}

/** Follows a job to its end, forwarding each progress change as a progress notification. */
async function follow(engine: Engine, tenant: string, id: string, extras: CallExtras): Promise<JobRecord> {
  return waitForJob(engine, id, {
    tenant,
    signal: extras.signal,
    onUpdate: (job) => {
      const p = job.progress;
      const message = p
        ? `step ${p.step}/${p.totalSteps}${p.loss === null ? '' : ` loss ${p.loss.toFixed(4)}`}`
        : job.status;
      void extras.progress(p?.step ?? 0, p?.totalSteps, message);
    },
  });
}

/** A cancelled task (tasks/cancel) stops its job; a closing server or a client that stops waiting does not. */
async function followOrStop(
  engine: Engine,
  tenant: string,
  id: string,
  extras: CallExtras,
  lifetime: AbortSignal,
): Promise<JobRecord> {
  try {
    return await follow(engine, tenant, id, extras);
  } catch (e) {
    if (extras.inTask && extras.signal.aborted && !lifetime.aborted) await stopJob(engine, id, { tenant });
    throw e;
  }
}

const trainModelTool = defineTool({
  name: 'train_model',
  title: 'Train a model for a spec',
  description:
    "Queues a LoRA training job for a spec (the dataset is synthesised unless one is named) and returns the job id at once; poll job_status. With wait: true it returns when the job ends and, if you send a progress token, reports each step. Jobs run in the smolmap process that runs jobs (`smolmap serve`, or this server's own runner).",
  input: z
    .object({
      spec: specName,
      version: specVersion,
      dataset: z.string().min(1).optional().describe('dataset id to train on (default: synthesise one)'),
      count: z.number().int().min(1).max(100_000).optional().describe('synthetic examples when synthesising'),
      base: z.string().min(1).optional().describe('base model name (default: the first registered)'),
      options: trainOptionsSchema
        .optional()
        .describe(
          'training options, each with its default, e.g. {"steps": 300, "lr": 0.001, "lora": {"r": 16}}; unknown keys are refused',
        ),
      incremental: z
        .boolean()
        .default(false)
        .describe(
          "continue the spec's active model on its corrections (correct_call) and the operations added or changed since, in far fewer steps; the new model becomes active only if its held-out loss is not worse",
        ),
      wait: z
        .boolean()
        .default(false)
        .describe('wait for the job to end (default false: return the job id at once)'),
    })
    .strict(),
  output: JobView.extend({
    model: z.string().describe('id the trained model will have'),
    dataset: z.string().describe('dataset id trained on'),
    baseModel: z.string().describe('base model name'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  tasks: true,
  async run(
    { spec, version, dataset, count, base, options, incremental, wait },
    { engine, tenant, jobs, lifetime },
    extras,
  ) {
    const started = await startTraining(engine, {
      spec,
      tenant,
      ...(version === undefined ? {} : { version }),
      ...(dataset === undefined ? {} : { dataset }),
      ...(count === undefined ? {} : { count }),
      ...(base === undefined ? {} : { base }),
      ...(options === undefined ? {} : { train: options }),
      ...(incremental ? { incremental } : {}),
    });
    jobs?.pump();
    const job =
      wait || extras.inTask
        ? await followOrStop(engine, tenant, started.job, extras, lifetime)
        : await getJob(engine, started.job, { tenant });
    return {
      ...jobView(engine, job),
      model: started.model,
      dataset: started.dataset,
      baseModel: started.baseModel,
    };
  },
  text: (r) =>
    `${statusLine(r)}\n${r.status === 'queued' || r.status === 'running' ? 'poll job_status with this job id' : ''}`.trim(),
});

const jobStatusTool = defineTool({
  name: 'job_status',
  title: 'Job status',
  description:
    "A job's status, latest progress (step, loss, ETA), error, and for a finished training the outcome.",
  input: z.object({ job: jobId }).strict(),
  output: JobView,
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run({ job }, { engine, tenant }) {
    return jobView(engine, await getJob(engine, job, { tenant }));
  },
  text: statusLine,
});

const stopJobTool = defineTool({
  name: 'stop_job',
  title: 'Stop a job',
  description:
    'Stops a queued job at once, or a running one at its next step after a checkpoint (it can be resumed later).',
  input: z.object({ job: jobId }).strict(),
  output: JobView,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async run({ job }, { engine, tenant, jobs }) {
    const record = await stopJob(engine, job, { tenant });
    jobs?.stop(job);
    return jobView(engine, record);
  },
  text: (v) => `${statusLine(v)}${v.status === 'running' ? '; stopping at the next step' : ''}`,
});

const listJobsTool = defineTool({
  name: 'list_jobs',
  title: 'List jobs',
  description: 'Lists training jobs, oldest first, optionally only those with one status.',
  input: z.object({ status: JOB_STATUS.optional().describe('only jobs with this status') }).strict(),
  output: z.object({ jobs: z.array(JobView).describe('jobs, oldest first') }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run({ status }, { engine, tenant }) {
    const jobs = await listJobs(engine, { tenant, ...(status === undefined ? {} : { status }) });
    return { jobs: jobs.map((j) => jobView(engine, j)) };
  },
  text: ({ jobs }) =>
    jobs.length === 0 ? 'No jobs; train_model queues one.' : jobs.map(statusLine).join('\n'),
});

const resumeJobTool = defineTool({
  name: 'resume_job',
  title: 'Resume a job',
  description:
    'Queues a stopped or failed job again; it continues from its last checkpoint when it has one. Poll job_status.',
  input: z.object({ job: jobId }).strict(),
  output: JobView,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run({ job }, { engine, tenant, jobs, changed }) {
    const record = await resumeJob(engine, job, { tenant });
    jobs?.pump();
    changed('jobs');
    return jobView(engine, record);
  },
  text: (v) => `${statusLine(v)}; poll job_status with this job id`,
});

export const jobTools: AnyTool[] = [trainModelTool, listJobsTool, jobStatusTool, stopJobTool, resumeJobTool];
