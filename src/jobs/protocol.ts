/**
 * The messages between the job runner (parent, owns the store) and a training worker thread. The parent sends
 * Bree's `'cancel'` to ask for a stop; the worker checkpoints at its next step, reports, and signals `'done'`.
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
export const DONE = 'done';

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}
