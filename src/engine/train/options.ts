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
  lora: loraConfigSchema.prefault({}).describe('LoRA adapter settings'),
  epochs: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .nullable()
    .default(null)
    .describe('passes over the training set; ignored when steps is set (default null: the step recipe)'),
  steps: z
    .number()
    .int()
    .min(1)
    .nullable()
    .default(null)
    .describe(
      'optimizer steps (default null: from epochs, else max(minSteps, stepsPerOperation × operations))',
    ),
  stepsPerOperation: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(15)
    .describe('steps per operation of the spec in the default step recipe'),
  minSteps: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(200)
    .describe('fewest steps of the default recipe'),
  batchSize: z.number().int().min(1).max(512).default(4).describe('sequences per micro-batch'),
  gradAccum: z.number().int().min(1).max(256).default(1).describe('micro-batches per optimizer step'),
  /**
   * Longer examples are left out (a cut target would teach broken calls). 384: at 256 the default data lost
   * 3–8 % of its examples on some specs, all from the operations with the longest calls (64-hex document keys,
   * long bodies), exactly the ones the trained adapters then confused; at 384 none is left out.
   */
  maxLen: z
    .number()
    .int()
    .min(8)
    .max(8192)
    .default(384)
    .describe('longest sequence in tokens; longer examples are left out'),
  /** Few distinct shapes reach the session. */
  padMultiple: z
    .number()
    .int()
    .min(1)
    .max(512)
    .default(8)
    .describe('sequence lengths are padded up to a multiple of this'),
  lr: z.number().positive().max(1).default(1e-3).describe('peak learning rate (default 0.001)'),
  minLrRatio: z.number().min(0).max(1).default(0).describe('floor of the cosine decay, as a fraction of lr'),
  warmupSteps: z
    .number()
    .int()
    .min(0)
    .nullable()
    .default(null)
    .describe('linear warmup steps (default null: warmupRatio of the total)'),
  warmupRatio: z.number().min(0).max(0.5).default(0.06).describe('warmup as a fraction of the total steps'),
  weightDecay: z.number().min(0).max(1).default(0.01).describe('AdamW weight decay'),
  beta1: z.number().min(0).max(0.9999).default(0.9).describe('AdamW beta1'),
  beta2: z.number().min(0).max(0.99999).default(0.999).describe('AdamW beta2'),
  adamEps: z.number().positive().default(1e-8).describe('AdamW epsilon'),
  maxGradNorm: z.number().min(0).default(1).describe('global gradient-norm clip; 0 disables it'),
  evalEvery: z
    .number()
    .int()
    .min(0)
    .default(50)
    .describe('validation loss every N steps and at the end; 0: only at the end'),
  checkpointEvery: z
    .number()
    .int()
    .min(0)
    .default(50)
    .describe('checkpoint every N steps; 0: only when stopping'),
  earlyStopPatience: z
    .number()
    .int()
    .min(1)
    .nullable()
    .default(null)
    .describe('stop after this many evaluations without a validation-loss improvement (default null: never)'),
  earlyStopMinDelta: z.number().min(0).default(0).describe('smallest validation-loss drop that counts'),
  seed: z.number().int().min(0).default(0).describe('seeds the data order and the LoRA init'),
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
