/**
 * The training loop: one function that reads top to bottom —
 * schedule → batch → step → clip → update → log → eval/checkpoint.
 * The forward/backward pass is injected (`deps.step`: one session.run of the training graph per micro-batch,
 * returning the mean loss over label positions and the gradient of every LoRA tensor), so the loop is the same
 * for SmolLM2 and for the small graphs its tests train.
 */
import { SmolmapError, internal } from '../errors.js';
import type { LossPoint } from '../store.js';
import { collate, planEpoch, planEval, type Batch, type Sequence } from './batching.js';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint, type LoopState } from './checkpoint.js';
import {
  accumulate,
  adamwUpdate,
  clipGradNorm,
  createAdamWState,
  lrAt,
  type AdamWState,
  type Grads,
  type Tensors,
} from './optim.js';
import { plannedSteps, type TrainOptions } from './options.js';
import { Rng } from '../rng.js';

export interface StepContext {
  /** Optimizer step (0-based) and micro-batch within it: with the seed, enough to derive dropout masks. */
  step: number;
  microBatch: number;
  seed: number;
}

export interface TrainProgress {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  valLoss: number | null;
  lr: number;
  gradNorm: number;
  tokensPerSecond: number;
  etaSeconds: number;
}

export interface TrainDeps {
  step(batch: Batch, lora: Tensors, ctx: StepContext): Promise<{ loss: number; grads: Grads }>;
  /** Mean loss over the batch's label positions. */
  evalLoss(batch: Batch, lora: Tensors): Promise<number>;
  onProgress?(p: TrainProgress): void;
  onCheckpoint?(info: { dir: string; step: number }): void | Promise<void>;
  /** Polled before every step; true ends the run with a checkpoint. */
  shouldStop?(): boolean;
  /** Milliseconds; injectable for tests. */
  now?(): number;
}

export interface TrainLoopInput {
  options: TrainOptions;
  train: readonly Sequence[];
  /** Distinct operations in `train`: the step recipe needs it when `options` set neither steps nor epochs. */
  operations?: number;
  validation: readonly Sequence[];
  padId: number;
  /** Initial LoRA tensors (a fresh adapter); updated in place. */
  lora: Tensors;
  /** Where checkpoints go; null = none. */
  checkpointDir: string | null;
  /** Continue from the checkpoint in `checkpointDir` when there is one. */
  resume: boolean;
}

export type TrainStatus = 'completed' | 'stopped' | 'early_stopped';

export interface TrainResult {
  status: TrainStatus;
  step: number;
  totalSteps: number;
  /** Mean loss of the last (up to) 10 steps. */
  trainLoss: number | null;
  valLoss: number | null;
  lossHistory: LossPoint[];
  tokensPerSecond: number;
  /** Seconds spent in training steps, across resumes. */
  seconds: number;
  lora: Tensors;
}

/**
 * Mean loss over the label tokens of `validation` in the batches of `plan` (`planEval`), or null when it has
 * none. The loop's validation loss, and the held-out score an incremental job compares adapters by.
 */
export async function heldOutLoss(
  validation: readonly Sequence[],
  plan: number[][],
  pad: { padId: number; padMultiple: number },
  evalLoss: TrainDeps['evalLoss'],
  lora: Tensors,
): Promise<number | null> {
  let sum = 0;
  let n = 0;
  for (const idx of plan) {
    const b = collate(
      idx.map((i) => validation[i]!),
      pad.padId,
      pad.padMultiple,
    );
    if (b.labelTokens === 0) continue;
    sum += (await evalLoss(b, lora)) * b.labelTokens;
    n += b.labelTokens;
  }
  return n > 0 ? sum / n : null;
}

export async function trainLoop(input: TrainLoopInput, deps: TrainDeps): Promise<TrainResult> {
  const { options: o, train, validation, padId, lora, checkpointDir: dir } = input;
  const now = deps.now ?? (() => performance.now());
  if (train.length === 0)
    throw new SmolmapError('train_no_data', 'no training examples fit; raise --max-len or add examples');

  // The plan: how many optimizer steps, and how they are scheduled.
  const lengths = train.map((s) => s.ids.length);
  if (o.steps === null && o.epochs === null && input.operations === undefined)
    throw internal('trainLoop: the step recipe needs the number of operations in the training data');
  const totalSteps = plannedSteps(o, { trainExamples: train.length, operations: input.operations ?? 0 });
  const warmup = o.warmupSteps ?? Math.round(o.warmupRatio * totalSteps);
  const hp = { beta1: o.beta1, beta2: o.beta2, eps: o.adamEps, weightDecay: o.weightDecay };
  const valPlan = planEval(
    validation.map((s) => s.ids.length),
    o.batchSize,
  );

  // Start fresh, or continue exactly where the last checkpoint left off.
  let st: LoopState = {
    step: 0,
    epoch: 0,
    cursor: 0,
    epochRngState: new Rng(o.seed).state,
    lossHistory: [],
    bestValLoss: null,
    evalsWithoutImprovement: 0,
    tokensSeen: 0,
    trainSeconds: 0,
  };
  let opt: AdamWState = createAdamWState(lora);
  if (input.resume && dir !== null && (await hasCheckpoint(dir))) {
    const ck = await loadCheckpoint(dir);
    for (const [k, t] of lora) {
      const saved = ck.lora.get(k);
      if (!saved || saved.data.length !== t.data.length)
        throw new SmolmapError(
          'checkpoint_mismatch',
          `the checkpoint in ${dir} does not hold LoRA tensor ${k} in this shape; resume with the same LoRA options`,
        );
      t.data.set(saved.data);
    }
    st = ck.state;
    opt = ck.optimizer;
  }
  const rng = Rng.fromState(st.epochRngState);
  let plan = planEpoch(lengths, o.batchSize, rng);
  const nextMicroBatch = (): Batch => {
    if (st.cursor >= plan.length) {
      st.epoch++;
      st.cursor = 0;
      st.epochRngState = rng.state;
      plan = planEpoch(lengths, o.batchSize, rng);
    }
    return collate(
      plan[st.cursor++]!.map((i) => train[i]!),
      padId,
      o.padMultiple,
    );
  };
  const evaluate = (): Promise<number | null> =>
    heldOutLoss(validation, valPlan, { padId, padMultiple: o.padMultiple }, deps.evalLoss, lora);
  const checkpoint = async (): Promise<void> => {
    if (dir === null) return;
    await saveCheckpoint(dir, { state: st, lora, optimizer: opt });
    await deps.onCheckpoint?.({ dir, step: st.step });
  };

  const runStart = now();
  const stepAtStart = st.step;
  let tokensThisRun = 0;
  let secondsThisRun = 0;
  let status: TrainStatus = 'completed';
  let valLoss: number | null = null;
  while (st.step < totalSteps) {
    if (deps.shouldStop?.()) {
      status = 'stopped';
      break;
    }
    // schedule
    const lr = lrAt(st.step, totalSteps, warmup, o.lr, o.minLrRatio);

    // batch: gradAccum micro-batches, each weighted by its share of label tokens
    const t0 = now();
    const micro = Array.from({ length: o.gradAccum }, nextMicroBatch);
    const labelTotal = micro.reduce((s, b) => s + b.labelTokens, 0);

    // step: forward + backward per micro-batch, gradients accumulated
    const grads: Grads = new Map();
    let loss = 0;
    for (const [j, b] of micro.entries()) {
      if (b.labelTokens === 0) continue;
      const r = await deps.step(b, lora, { step: st.step, microBatch: j, seed: o.seed });
      accumulate(grads, r.grads, b.labelTokens / labelTotal);
      loss += (r.loss * b.labelTokens) / labelTotal;
    }

    // clip, update
    const gradNorm = clipGradNorm(grads, o.maxGradNorm);
    adamwUpdate(lora, grads, opt, hp, lr, st.step + 1);
    st.step++;
    const dt = (now() - t0) / 1000;
    const tokens = micro.reduce((s, b) => s + b.tokens, 0);
    st.tokensSeen += tokens;
    st.trainSeconds += dt;
    tokensThisRun += tokens;
    secondsThisRun += dt;

    // eval (periodic and at the end), early-stop bookkeeping
    const point: LossPoint = { step: st.step, loss, lr };
    let earlyStop = false;
    if ((o.evalEvery > 0 && st.step % o.evalEvery === 0) || st.step === totalSteps) {
      valLoss = await evaluate();
      if (valLoss !== null) {
        point.valLoss = valLoss;
        if (st.bestValLoss === null || valLoss < st.bestValLoss - o.earlyStopMinDelta) {
          st.bestValLoss = valLoss;
          st.evalsWithoutImprovement = 0;
        } else st.evalsWithoutImprovement++;
        earlyStop = o.earlyStopPatience !== null && st.evalsWithoutImprovement >= o.earlyStopPatience;
      }
    }

    // log
    st.lossHistory.push(point);
    const perStep = (now() - runStart) / 1000 / (st.step - stepAtStart);
    deps.onProgress?.({
      step: st.step,
      totalSteps,
      epoch: st.epoch,
      loss,
      valLoss,
      lr,
      gradNorm,
      tokensPerSecond: secondsThisRun > 0 ? tokensThisRun / secondsThisRun : 0,
      etaSeconds: perStep * (totalSteps - st.step),
    });

    // checkpoint
    if (o.checkpointEvery > 0 && st.step % o.checkpointEvery === 0) await checkpoint();
    if (earlyStop) {
      status = 'early_stopped';
      break;
    }
  }
  if (status === 'stopped') await checkpoint();

  const recent = st.lossHistory.slice(-10);
  return {
    status,
    step: st.step,
    totalSteps,
    trainLoss: recent.length > 0 ? recent.reduce((s, p) => s + p.loss, 0) / recent.length : null,
    valLoss: valLoss ?? [...st.lossHistory].reverse().find((p) => p.valLoss !== undefined)?.valLoss ?? null,
    lossHistory: st.lossHistory,
    tokensPerSecond: st.trainSeconds > 0 ? st.tokensSeen / st.trainSeconds : 0,
    seconds: st.trainSeconds,
    lora,
  };
}
