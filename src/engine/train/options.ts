/**
 * Training options, parsed once at the boundary: every option has a default, and an unknown
 * key is an error rather than a silently ignored typo. AdamW, short linear warmup, cosine decay and clipping at
 * 1 follow common LoRA practice (PEFT/TRL examples). The learning rate, batch and step count are the recipe
 * bench/mapper measured on SmolLM2-135M (bench/README, "Mapper"): lr 1e-3 at batch 4
 * for max(200, 15 × operations) steps took train-travel from 70 % endpoint / 40 % exact at 24 steps to 95 % /
 * 75 % at 200 steps; PEFT's usual lr 2e-4 learns a spec's 135M adapter too slowly for a few hundred steps.
 */
import { z } from 'zod';

import { SmolmapError } from '../errors.js';
import { loraConfigSchema } from '../model/lora.js';

export const trainOptionsSchema = z.strictObject({
  lora: loraConfigSchema.prefault({}),
  /** Passes over the training set; ignored when `steps` is set. null (and no `steps`): the step recipe below. */
  epochs: z.number().int().min(1).max(1000).nullable().default(null),
  /** Optimizer steps; null = derived from `epochs`, or from the recipe when `epochs` is null too. */
  steps: z.number().int().min(1).nullable().default(null),
  /** The recipe without `steps` or `epochs`: max(minSteps, stepsPerOperation × operations in the data). */
  stepsPerOperation: z.number().int().min(1).max(10_000).default(15),
  minSteps: z.number().int().min(1).max(1_000_000).default(200),
  /** Sequences per micro-batch (one session.run). */
  batchSize: z.number().int().min(1).max(512).default(4),
  /** Micro-batches per optimizer step. */
  gradAccum: z.number().int().min(1).max(256).default(1),
  /**
   * Longest sequence in tokens; longer examples are left out (a cut target would teach broken calls). 384: at
   * 256 the default data of the benchmark specs lost 3–8 % of its examples, all from the operations with the
   * longest calls (train-travel payments 19, alertmanager postSilences 12, deepl document status/download 39:
   * 64-hex document keys), exactly the ones the trained adapters then confused; at 384 none is left out.
   */
  maxLen: z.number().int().min(8).max(8192).default(384),
  /** Sequence lengths are padded up to a multiple of this, so few distinct shapes reach the session. */
  padMultiple: z.number().int().min(1).max(512).default(8),
  lr: z.number().positive().max(1).default(1e-3),
  /** Floor of the cosine decay, as a fraction of `lr`. */
  minLrRatio: z.number().min(0).max(1).default(0),
  /** Linear warmup steps; null = `warmupRatio` of the total. */
  warmupSteps: z.number().int().min(0).nullable().default(null),
  warmupRatio: z.number().min(0).max(0.5).default(0.06),
  weightDecay: z.number().min(0).max(1).default(0.01),
  beta1: z.number().min(0).max(0.9999).default(0.9),
  beta2: z.number().min(0).max(0.99999).default(0.999),
  adamEps: z.number().positive().default(1e-8),
  /** Global gradient-norm clip; 0 disables it. */
  maxGradNorm: z.number().min(0).default(1),
  /** Validation loss every N optimizer steps (and at the end); 0 = only at the end. */
  evalEvery: z.number().int().min(0).default(50),
  /** Checkpoint every N optimizer steps; 0 = only when stopping. */
  checkpointEvery: z.number().int().min(0).default(50),
  /** Stop after this many evaluations without a validation-loss improvement; null = never. */
  earlyStopPatience: z.number().int().min(1).nullable().default(null),
  earlyStopMinDelta: z.number().min(0).default(0),
  /** Seeds the data order (and, through the facade, the LoRA init). */
  seed: z.number().int().min(0).default(0),
});

export type TrainOptions = z.output<typeof trainOptionsSchema>;
export type TrainOptionsInput = z.input<typeof trainOptionsSchema>;

/** Parses user options; the error names the offending option and how to fix it. */
export function parseTrainOptions(input: unknown): TrainOptions {
  const r = trainOptionsSchema.safeParse(input ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const where = issue.path.length > 0 ? issue.path.join('.') : 'options';
  const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
  throw new SmolmapError(
    'train_bad_option',
    `training option ${where}${keys}: ${issue.message}; see \`smolmap train --help\` for the options and their ranges`,
    { details: { path: issue.path.map(String) } },
  );
}

/**
 * Optimizer steps of a run: `steps` when set, else `epochs` passes over `trainExamples` in micro-batches of
 * `batchSize` (accumulated `gradAccum` per step), else the recipe max(minSteps, stepsPerOperation × operations).
 */
export function plannedSteps(o: TrainOptions, data: { trainExamples: number; operations: number }): number {
  if (o.steps !== null) return o.steps;
  if (o.epochs !== null)
    return o.epochs * Math.ceil(Math.ceil(data.trainExamples / o.batchSize) / o.gradAccum);
  return Math.max(o.minSteps, o.stepsPerOperation * data.operations);
}
