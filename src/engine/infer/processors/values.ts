/**
 * Processors acting while a value is written: a stated enum value, the first word of a free string, a copy about
 * to stop mid-word, and the digits of a stated number.
 */
import { cutShort, startsAtLabel } from '../../language/naming.js';
import type { AllowedLogits } from '../decode.js';
import { roleFits } from './roles.js';
import { numberAt } from './sections.js';
import type { LogitsProcessor, Step } from './step.js';

/** Raises the tokens of an enum value the task states ("into British English" → `EN-GB`) by `bias`. */
export class StatedEnumValue implements LogitsProcessor {
  readonly reason = 'a value the task names by code or by name beats the enum values it does not name';
  constructor(readonly bias: number) {}

  apply({ at, sec, textOf }: Step, { ids, logits }: AllowedLogits): boolean {
    const stated = at === null ? undefined : sec.stated.get(at.key);
    if (at === null || stated === undefined) return false;
    const quoted = stated.map((v) => `"${v}"`);
    for (let k = 0; k < ids.length; k++) {
      const next = at.typed + textOf(ids[k]!);
      if (quoted.some((q) => q.startsWith(next) || next.startsWith(q))) logits[k] = logits[k]! + this.bias;
    }
    return true;
  }
}

/** Lowers, by `penalty`, a free string's first tokens that copy the word labelling the value. */
export class LabelStart implements LogitsProcessor {
  readonly reason = 'in "cardholder Maren Olsen" the value follows its label word, it does not start with it';
  constructor(readonly penalty: number) {}

  apply({ at, sec, facts, textOf }: Step, { ids, logits }: AllowedLogits): boolean {
    const labels = at === null ? undefined : sec.labels.get(at.key);
    if (at === null || at.typed !== '"' || labels === undefined) return false;
    for (let k = 0; k < ids.length; k++)
      if (startsAtLabel(facts.task, textOf(ids[k]!), labels, facts.bare))
        logits[k] = logits[k]! - this.penalty;
    return true;
  }
}

/**
 * Lowers, by `penalty`, the tokens that would close a copied free string ending mid-word ("Franc" of
 * "Francis") or before a comma that joins on without a space ("cart" of "cart,Warenkorb").
 */
export class CutShort implements LogitsProcessor {
  readonly reason = 'a value copied from the task ends where the task ends it, not inside a word or a list';
  constructor(readonly penalty: number) {}

  apply({ at, sec, scan, facts, textOf }: Step, { ids, logits }: AllowedLogits): boolean {
    if (at === null || at.typed.length <= 1 || sec.takes.get(at.key) !== 'string') return false;
    if (!cutShort(facts.task, at.typed.slice(1))) return false;
    for (let k = 0; k < ids.length; k++) {
      const after = scan.clone();
      after.feed(textOf(ids[k]!));
      if (after.valueAt()?.typed.startsWith('"') !== true) logits[k] = logits[k]! - this.penalty;
    }
    return true;
  }
}

/**
 * Raises, by `bias`, the digits of a number the task states and the answer has not used yet, at a number key:
 * the number is copied as a string value is ("the first 5 results" had become `"limit":1`).
 */
export class StatedNumber implements LogitsProcessor {
  readonly reason = 'a number key takes a number the task states, digit for digit';
  constructor(readonly bias: number) {}

  apply({ at, sec, scan, answer, facts, textOf }: Step, { ids, logits }: AllowedLogits): boolean {
    // Digits inside a string value (`"page":"5`) are held to the same roles; only a number key's are raised.
    const inString = at !== null && /^"\d*$/.test(at.typed) && sec.takes.get(at.key) === 'string';
    const number = inString ? { key: at.key, typed: at.typed.slice(1) } : numberAt(scan, at, answer);
    if (number === null || (!inString && sec.takes.get(number.key) !== 'number')) return false;
    const before = answer.slice(0, answer.length - number.typed.length);
    const unused = facts.numbers.filter(
      (n, i) =>
        n.length > number.typed.length &&
        n.startsWith(number.typed) &&
        !facts.numberPatterns[i]!.test(before),
    );
    // A number whose role the key's name rules out ("50 a page" at `page`) is lowered, the others raised.
    const fits = (n: string): boolean =>
      facts.numbers.some((m, i) => m === n && roleFits(facts.numberRoles[i] ?? null, number.key));
    const open = unused.filter(fits);
    const wrong = unused.filter((n) => !fits(n));
    // Once the digits typed are a whole stated number (or none can follow), the key choice decides.
    if ((inString || open.length === 0) && wrong.length === 0) return false;
    for (let k = 0; k < ids.length; k++) {
      const next = number.typed + textOf(ids[k]!);
      if (!inString && open.some((n) => n.startsWith(next))) logits[k] = logits[k]! + this.bias;
      else if (wrong.some((n) => n.startsWith(next))) logits[k] = logits[k]! - this.bias;
    }
    return true;
  }
}
