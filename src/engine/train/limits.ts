/**
 * Limits on training jobs, so one user or tenant cannot take the machine: caps on a job's size (steps, LoRA
 * rank, sequences per optimizer step), per-tenant caps on jobs at once and per day, and the crashes after
 * which a job is failed instead of being resumed again. Defaults are safe for a shared CPU server; an
 * operator raises them through `EngineOptions.limits` or the environment (`SMOLMAP_MAX_STEPS`, ...).
 */
import { SmolmapError } from '../errors.js';

export interface JobLimits {
  /** Optimizer steps one job may ask for. */
  maxSteps: number;
  /** LoRA rank. */
  maxRank: number;
  /** Sequences per optimizer step (batch size × gradient accumulation). */
  maxBatch: number;
  /** Queued or running training jobs of one tenant at once. */
  tenantConcurrentJobs: number;
  /** Training jobs one tenant may start in 24 hours. */
  tenantDailyJobs: number;
  /** Times a job may die with its process (or worker) before it is failed rather than resumed. */
  maxCrashes: number;
}

export const DEFAULT_JOB_LIMITS: Readonly<JobLimits> = {
  maxSteps: 5_000,
  maxRank: 64,
  maxBatch: 64,
  tenantConcurrentJobs: 2,
  tenantDailyJobs: 20,
  maxCrashes: 3,
};

const ENV: Record<keyof JobLimits, string> = {
  maxSteps: 'SMOLMAP_MAX_STEPS',
  maxRank: 'SMOLMAP_MAX_RANK',
  maxBatch: 'SMOLMAP_MAX_BATCH',
  tenantConcurrentJobs: 'SMOLMAP_TENANT_CONCURRENT_JOBS',
  tenantDailyJobs: 'SMOLMAP_TENANT_DAILY_JOBS',
  maxCrashes: 'SMOLMAP_MAX_CRASHES',
};

/** Limits from explicit options, else the environment, else the defaults; a malformed value is an error. */
export function resolveJobLimits(
  given: Partial<JobLimits> = {},
  env: NodeJS.ProcessEnv = process.env,
): JobLimits {
  const out = { ...DEFAULT_JOB_LIMITS };
  for (const key of Object.keys(ENV) as (keyof JobLimits)[]) {
    const raw = given[key] ?? env[ENV[key]];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1)
      throw new SmolmapError(
        'config_bad_limit',
        `${ENV[key]} (limit ${key}) must be a whole number of at least 1, not "${String(raw)}"`,
      );
    out[key] = n;
  }
  return out;
}

/** Refuses a job larger than the limits allow; the message names the limit and how to raise it. */
export function checkJobSize(
  limits: JobLimits,
  job: { steps: number | null; rank: number; batch: number },
): void {
  const over = (key: keyof JobLimits, value: number, what: string): never => {
    throw new SmolmapError(
      'job_over_limit',
      `${what} ${value} is over the limit of ${limits[key]} (limit ${key}); ask for less, or have the operator raise ${ENV[key]}`,
      { details: { limit: key, max: limits[key], value } },
    );
  };
  if (job.steps !== null && job.steps > limits.maxSteps) over('maxSteps', job.steps, 'steps');
  if (job.rank > limits.maxRank) over('maxRank', job.rank, 'LoRA rank');
  if (job.batch > limits.maxBatch) over('maxBatch', job.batch, 'sequences per step');
}
