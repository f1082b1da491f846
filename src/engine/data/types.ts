import type { ExpectedCall } from '../calls.js';
import type { HttpMethod } from '../specs/types.js';

/** The expected call of a task: one definition, in calls.ts (the task-file convention). */
export type { ExpectedCall };

/** Where an example came from and which template family produced it (the unit of the train/validation split). */
export interface ExampleMeta {
  family: string;
  operationId: string | null;
  source: 'synthetic' | 'user';
  split: 'train' | 'validation';
  /** Present on near-miss examples: the operation this one is meant to be told apart from. */
  contrastWith?: string;
}

/** One line of a task file plus generator metadata (`meta` is not written to eval-format task files). */
export interface TaskExample {
  task: string;
  expected: ExpectedCall;
  meta: ExampleMeta;
}

/** An operation the generator cannot express as a task (e.g. a multipart upload of a binary file). */
export interface SkippedOperation {
  operationId: string;
  method: HttpMethod;
  path: string;
  reason: string;
}

export interface GenerateOptions {
  /** Total examples; default max(300, 40 × operations), capped at 4000. */
  count?: number;
  seed?: number;
  /** Share of template families held out for validation (default 0.15). */
  validationShare?: number;
}

/** Examples the generator drafted but did not keep, by reason (a conformance or copy-rule defect). */
export interface RejectedExamples {
  total: number;
  reasons: { code: string; count: number; samples: string[] }[];
}

export interface GeneratedDataset {
  examples: TaskExample[];
  skipped: SkippedOperation[];
  rejected: RejectedExamples;
}
