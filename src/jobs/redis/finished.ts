/**
 * What BullMQ holds of a job, read so that a finished job comes with the return value or failure reason of that
 * finish. The state is read first and the job only once it is final: completed and failed jobs stay as they are
 * until the coordinator removes them. Read the other way round, a Job snapshot taken while the job was still
 * active (no return value yet) can sit next to a state of `completed` read a moment later.
 */
import type { Job, Queue } from 'bullmq';

export type Finished<T> =
  /** BullMQ has no such job (a Redis that kept no data, or never handed out). */
  | { state: 'missing' }
  /** Waiting, delayed or held by a worker. */
  | { state: 'pending' }
  | { state: 'completed'; job: Job; value: T | null }
  | { state: 'failed'; job: Job; reason: string };

export async function finishedJob<T>(queue: Queue, id: string): Promise<Finished<T>> {
  const state = await queue.getJobState(id);
  if (state === 'unknown') return { state: 'missing' };
  if (state !== 'completed' && state !== 'failed') return { state: 'pending' };
  const job = await queue.getJob(id);
  if (!job) return { state: 'missing' };
  if (state === 'completed') return { state, job, value: (job.returnvalue as T | undefined) ?? null };
  return { state, job, reason: job.failedReason ?? '' };
}
