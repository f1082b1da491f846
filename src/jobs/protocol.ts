/**
 * The messages between the job runner (parent, owns the store) and a training worker thread. The parent sends
 * Bree's `'cancel'` to ask for a stop; the worker checkpoints at its next step, reports, and signals `'done'`.
 * `'abort'` makes it exit at its next step with no checkpoint and no report.
 */
import type { TrainJobInput, TrainJobResult, TrainProgress } from '../engine/index.js';

export interface TrainWorkerData {
  input: TrainJobInput;
}

export type WorkerMessage =
  | { type: 'progress'; progress: TrainProgress }
  | { type: 'checkpoint'; step: number }
  | { type: 'result'; result: TrainJobResult }
  | { type: 'error'; code: string; message: string };

export const CANCEL = 'cancel';
/** Ends the worker at its next step without a checkpoint (a crash at a safe point). */
export const ABORT = 'abort';
export const ABORT_EXIT_CODE = 70;
export const DONE = 'done';

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}
