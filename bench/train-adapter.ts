/**
 * Trains one spec's adapter in this process through the same job functions a worker runs (startTraining →
 * claimNextJob → runTrainJob → finishTrainingJob), printing progress every 30 s and a summary line. Shared by
 * the benches that train before they score (mapper.ts, tuning.ts).
 */
import os from 'node:os';

import {
  claimNextJob,
  finishTrainingJob,
  runTrainJob,
  startTraining,
  type Engine,
  type StartTrainingOptions,
} from '../src/engine/index.js';

export interface Trained {
  model: string;
  seconds: number;
  steps: number;
  tokensPerSecond: number;
  /** The 1-minute load average when training ended. */
  load: string;
}

export const load1 = (): string => os.loadavg()[0]!.toFixed(1);

export async function trainAdapter(
  engine: Engine,
  options: Pick<StartTrainingOptions, 'spec' | 'count' | 'train'>,
): Promise<Trained> {
  const { spec } = options;
  const t0 = performance.now();
  await startTraining(engine, options);
  const claimed = await claimNextJob(engine);
  if (!claimed) throw new Error('the queued training job was not claimable');
  let last = 0;
  const result = await runTrainJob(claimed.input, {
    onProgress: (p) => {
      if (Date.now() - last < 30_000) return;
      last = Date.now();
      const v = p.valLoss !== undefined && p.valLoss !== null ? ` val ${p.valLoss.toFixed(4)}` : '';
      process.stderr.write(
        `  ${spec}: step ${p.step}/${p.totalSteps} loss ${p.loss?.toFixed(4)}${v} (load ${load1()})\n`,
      );
    },
    onCheckpoint: () => undefined,
    stopRequested: () => false,
  });
  await finishTrainingJob(engine, claimed.job.id, result);
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `${spec}: trained ${result.step} steps in ${seconds.toFixed(0)} s (${Math.round(result.tokensPerSecond)} tok/s, ` +
      `load ${load1()}), train loss ${result.trainLoss?.toFixed(4)}, val loss ${result.valLoss?.toFixed(4)}, ` +
      `examples ${result.examples.train}/${result.examples.validation} (too long ${result.examples.tooLong})`,
  );
  return {
    model: claimed.input.modelId,
    seconds,
    steps: result.step,
    tokensPerSecond: result.tokensPerSecond,
    load: load1(),
  };
}
