/**
 * Bree worker entrypoint for a training job (run from dist/: `dist/jobs/workers/train.js`). It does the heavy
 * work — model, graph, loop, adapter files — and reports to the parent through messages; it never writes the
 * store.
 */
import { parentPort, workerData } from 'node:worker_threads';

import { runTrainJob, toSmolmapError } from '../../engine/index.js';
import {
  ABORT,
  ABORT_EXIT_CODE,
  CANCEL,
  DONE,
  type TrainWorkerData,
  type WorkerMessage,
} from '../protocol.js';

const port = parentPort;
if (!port) throw new Error('internal: the training worker must run in a worker thread');
const post = (m: WorkerMessage): void => port.postMessage(m);

let stopRequested = false;
let abortRequested = false;
port.on('message', (m: unknown) => {
  if (m === CANCEL) stopRequested = true;
  if (m === ABORT) abortRequested = true;
});

const { input } = workerData as TrainWorkerData;
try {
  const result = await runTrainJob(input, {
    onProgress: (progress) => post({ type: 'progress', progress }),
    onCheckpoint: (step) => post({ type: 'checkpoint', step }),
    stopRequested: () => {
      // An abort ends the thread between two steps, with no checkpoint and no result, as a crash would:
      // terminating it during a session.run takes the whole process down (onnxruntime-node's native teardown).
      if (abortRequested) process.exit(ABORT_EXIT_CODE);
      return stopRequested;
    },
  });
  post({ type: 'result', result });
} catch (e) {
  const err = toSmolmapError(e);
  post({ type: 'error', code: err.code, message: err.message });
}
port.postMessage(DONE);
