/**
 * Bree worker entrypoint for a training job (run from dist/: `dist/jobs/workers/train.js`). It does the heavy
 * work — model, graph, loop, adapter files — and reports to the parent through messages; it never writes the
 * store.
 */
import { parentPort, workerData } from 'node:worker_threads';

import { runTrainJob, toSmolmapError } from '../../engine/index.js';
import { CANCEL, DONE, type TrainWorkerData, type WorkerMessage } from '../protocol.js';

const port = parentPort;
if (!port) throw new Error('internal: the training worker must run in a worker thread');
const post = (m: WorkerMessage): void => port.postMessage(m);

let stopRequested = false;
port.on('message', (m: unknown) => {
  if (m === CANCEL) stopRequested = true;
});

const { input } = workerData as TrainWorkerData;
try {
  const result = await runTrainJob(input, {
    onProgress: (progress) => post({ type: 'progress', progress }),
    onCheckpoint: (step) => post({ type: 'checkpoint', step }),
    stopRequested: () => stopRequested,
  });
  post({ type: 'result', result });
} catch (e) {
  const err = toSmolmapError(e);
  post({ type: 'error', code: err.code, message: err.message });
}
port.postMessage(DONE);
