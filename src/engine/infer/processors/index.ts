/**
 * The decode-time processors of one task, composed into the decoder's `biasAllowed` hook (decode.ts). Each has
 * one knob; `keyBias` 0 (untrained prompts) turns the key and value processors off, an empty `ruledOut` the
 * sibling mask. Knobs are fitted on generated validation data and the labelled tuning set, never a test set.
 */
import { escapeRegExp } from '../../data/words.js';
import { taskEvidence } from '../../language/evidence.js';
import type { Tokenizer } from '../../model/tokenizer/types.js';
import type { Catalog, Operation } from '../../specs/types.js';
import type { AllowedLogits } from '../decode.js';
import { JsonScan } from '../json-scan.js';
import { KeyEvidence } from './keys.js';
import { operationGrounding, sectionOf } from './sections.js';
import { SiblingMask } from './siblings.js';
import type { LogitsProcessor, OpStep, Step, TaskFacts } from './step.js';
import {
  CutAtStart,
  CutShort,
  LabelledValue,
  LabelStart,
  StatedDate,
  StatedEnumValue,
  StatedNumber,
} from './values.js';

export { groundedCatalog, needsUuid, ruledOutSiblings, SiblingMask } from './siblings.js';

/** Logit bonus for a token that opens a key with evidence (KeyEvidence), and the label penalty (LabelStart). */
export const DEFAULT_KEY_BIAS = 3;
/**
 * Logit bonus for a stated value's tokens and its key (StatedEnumValue, StatedNumber, StatedDate, LabelledValue,
 * KeyEvidence) and the penalty of a copy cut at either end (CutShort, CutAtStart): larger than the key's, since a
 * stated value is stronger evidence than a named parameter. Fitted on the tuning set's tune split
 * (`bench/tuning.ts --reuse --knobs`): 6, 9, 12, 15 gave exact 57.0, 61.8, 63.7, 63.7 % on its two re-measured
 * specs, and 12 kept a third spec where 6 had it.
 */
export const DEFAULT_VALUE_BIAS = 12;

export interface PriorKnobs {
  keyBias?: number;
  valueBias?: number;
  /** Operations the task rules out (ruledOutSiblings): masked while the answer writes its operation. */
  ruledOut?: readonly Operation[];
}

/** The task's bare values as the processors read them. */
function taskFacts(task: string): TaskFacts {
  const e = taskEvidence(task);
  // Every stated value a free string holds whole: quoted text, ids, emails, URLs, identifier-like tokens
  // ("SN-88213"); dates have their own keys (StatedDate, KeyEvidence's dated keys).
  const strings = e.values.filter((v) => v.kind !== 'number' && v.kind !== 'date').map((v) => v.text);
  const stated = e.values.filter((v) => v.kind === 'number');
  const numbers = stated.map((v) => v.text);
  return {
    task,
    bare: e.bare,
    strings,
    numbers,
    numberPatterns: numbers.map((n) => new RegExp(`(?<![\\w.])${escapeRegExp(n)}(?![\\w.])`)),
    numberRoles: stated.map((v) => v.role),
    dates: e.values.filter((v) => v.kind === 'date').map((v) => ({ text: v.text, role: v.role })),
  };
}

/** The processor list for a task and its hook, or null when every knob is off. */
export function taskPrior(
  catalog: Catalog,
  tokenizer: Tokenizer,
  task: string,
  text: () => string,
  knobs: PriorKnobs = {},
): ((allowed: AllowedLogits) => void) | null {
  const keyBias = knobs.keyBias ?? DEFAULT_KEY_BIAS;
  const valueBias = knobs.valueBias ?? DEFAULT_VALUE_BIAS;
  const ops: LogitsProcessor<OpStep>[] =
    knobs.ruledOut && knobs.ruledOut.length > 0 ? [new SiblingMask(catalog, knobs.ruledOut)] : [];
  const keys: LogitsProcessor[] =
    keyBias === 0
      ? []
      : [
          new StatedEnumValue(valueBias),
          // Before the string processors: digits of a number whose role the key rules out are lowered even at
          // a string's first token ("page":"50" of "50 a page").
          new StatedNumber(valueBias),
          new StatedDate(valueBias),
          new LabelledValue(valueBias),
          new CutAtStart(valueBias),
          new LabelStart(keyBias),
          new CutShort(valueBias),
          new KeyEvidence(keyBias, valueBias),
        ];
  if (ops.length === 0 && keys.length === 0) return null;
  const facts = taskFacts(task);
  const grounding = operationGrounding(catalog, task, facts.strings.length + facts.numbers.length > 0);
  const textOf = tokenTexts(tokenizer);
  return (allowed) => {
    const answer = text();
    for (const p of ops) if (p.apply({ answer, textOf }, allowed)) return;
    if (keys.length === 0) return;
    const op = /^\{"op":"([^"]+)"/.exec(answer)?.[1];
    const sections = op === undefined ? undefined : grounding(op);
    if (!sections || sections.size === 0) return;
    const scan = JsonScan.of(answer);
    const section = sectionOf(scan);
    const sec = section === null ? undefined : sections.get(section);
    if (!sec || !scan.inObject()) return;
    const step: Step = { answer, scan, sec, at: scan.valueAt(), facts, textOf };
    for (const p of keys) if (p.apply(step, allowed)) return;
  };
}

/** A token's text, decoded once per token (cached for the hook's life). */
export function tokenTexts(tokenizer: Tokenizer): (id: number) => string {
  const decoder = new TextDecoder();
  const cache = new Map<number, string>();
  return (id) => {
    let t = cache.get(id);
    if (t === undefined) {
      t = decoder.decode(tokenizer.tokenBytes(id));
      cache.set(id, t);
    }
    return t;
  };
}
