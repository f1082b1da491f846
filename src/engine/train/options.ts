/**
 * Training options, parsed once at the boundary (STYLE.md habit 4): every option has a default, and an unknown
 * key is an error rather than a silently ignored typo. Defaults follow common LoRA practice for small
 * instruction-tuned models (PEFT/TRL examples: lr 2e-4, AdamW, short linear warmup, cosine decay, clip at 1).
 */
import { z } from 'zod';

import { SmolmapError } from '../errors.js';
import { loraConfigSchema } from '../model/lora.js';

export const trainOptionsSchema = z.strictObject({
  lora: loraConfigSchema.prefault({}),
  /** Passes over the training set; ignored when `steps` is set. */
  epochs: z.number().int().min(1).max(1000).default(3),
  /** Optimizer steps; null = derived from `epochs`. */
  steps: z.number().int().min(1).nullable().default(null),
  /** Sequences per micro-batch (one session.run). */
  batchSize: z.number().int().min(1).max(512).default(8),
  /** Micro-batches per optimizer step. */
  gradAccum: z.number().int().min(1).max(256).default(1),
  /** Longest sequence in tokens; longer examples are left out (a cut target would teach broken calls). */
  maxLen: z.number().int().min(8).max(8192).default(256),
  /** Sequence lengths are padded up to a multiple of this, so few distinct shapes reach the session. */
  padMultiple: z.number().int().min(1).max(512).default(8),
  lr: z.number().positive().max(1).default(2e-4),
  /** Floor of the cosine decay, as a fraction of `lr`. */
  minLrRatio: z.number().min(0).max(1).default(0),
  /** Linear warmup steps; null = `warmupRatio` of the total. */
  warmupSteps: z.number().int().min(0).nullable().default(null),
  warmupRatio: z.number().min(0).max(0.5).default(0.05),
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
