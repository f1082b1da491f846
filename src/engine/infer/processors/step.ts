/**
 * The decode-time processor protocol (after transformers.js `LogitsProcessor`): each processor is one
 * intervention with one knob and a one-line reason; a list runs them in order on the grammar's allowed logits,
 * and the first that decides a step ends it (their situations exclude one another: a key name, a value's first
 * token, a value being written, the close-or-continue choice).
 */
import type { ValueRole } from '../../language/evidence.js';
import type { AllowedLogits } from '../decode.js';
import type { JsonScan } from '../json-scan.js';
import type { Section } from './sections.js';

/** What the task states bare, read once per task (TaskEvidence's values by kind). */
export interface TaskFacts {
  task: string;
  /** The task with quoted spans blanked. */
  bare: string;
  strings: string[];
  numbers: string[];
  /** Per stated number: a pattern finding it whole in the answer. */
  numberPatterns: RegExp[];
  /** Per stated number: its role in the task's words ("10 per page": pageSize), or null. */
  numberRoles: (ValueRole | null)[];
  /** The dates and date-times the task states, with their roles ("from A to B": start and end). */
  dates: { text: string; role: ValueRole | null }[];
}

/** One decoding step inside a section of the chosen operation. */
export interface Step {
  /** The answer so far (GrammarMatcher.text()). */
  answer: string;
  scan: JsonScan;
  sec: Section;
  /** At a scalar value: its key and what is typed of it (scan.valueAt()). */
  at: { key: string; typed: string } | null;
  facts: TaskFacts;
  textOf: (id: number) => string;
}

/** A step while the answer writes its operation (`{"op":"…`), before any section. */
export interface OpStep {
  answer: string;
  textOf: (id: number) => string;
}

export interface LogitsProcessor<S = Step> {
  /** Why the intervention exists, in one line. */
  readonly reason: string;
  /** Moves the allowed logits; true when it decided this step (later processors are skipped). */
  apply(step: S, allowed: AllowedLogits): boolean;
}
