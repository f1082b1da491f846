/**
 * Processors acting while a value is written: a stated enum value, the first word of a free string, a copy about
 * to stop mid-word, and the digits of a stated number.
 */
import { cutAtStart, cutShort, startsAtLabel } from '../../language/naming.js';
import type { ValueRole } from '../../language/evidence.js';
import type { AllowedLogits } from '../decode.js';
import { roleFits } from './roles.js';
import { claimedElsewhere, numberAt } from './sections.js';
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

/**
 * Raises, by `bias`, the tokens that write a value the task labels with the key's name and the answer has not
 * used ("serial SN-88213" at `serialNumber`), against other copies and the spec's suggested values; lowers the
 * tokens of a value labelled for other keys only.
 */
export class LabelledValue implements LogitsProcessor {
  readonly reason = "the value right after a key's name in the task is that key's value";
  constructor(readonly bias: number) {}

  apply({ at, sec, answer, textOf }: Step, { ids, logits }: AllowedLogits): boolean {
    if (at === null || !at.typed.startsWith('"') || sec.takes.get(at.key) !== 'string') return false;
    const before = answer.slice(0, answer.length - at.typed.length);
    const unused = (v: string): boolean => !before.includes(JSON.stringify(v).slice(1, -1));
    const own = (sec.labelled.get(at.key) ?? []).filter(unused);
    // Values labelled for other keys only ("asset type 7a0b…" at `assetId`) are lowered here.
    const others = [...sec.labelled]
      .filter(([k]) => k !== at.key)
      .flatMap(([, vs]) => vs)
      .filter((v) => unused(v) && !own.includes(v));
    const writing = (vs: string[]): string[] =>
      vs.map((v) => JSON.stringify(v)).filter((q) => q.startsWith(at.typed) && q.length > at.typed.length);
    const [mine, theirs] = [writing(own), writing(others)];
    if (mine.length === 0 && theirs.length === 0) return false;
    for (let k = 0; k < ids.length; k++) {
      const next = at.typed + textOf(ids[k]!);
      const fits = (q: string): boolean => q.startsWith(next) || next.startsWith(q);
      if (mine.some(fits)) logits[k] = logits[k]! + this.bias;
      else if (theirs.some(fits)) logits[k] = logits[k]! - this.bias;
    }
    return false;
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

/** Lowers, by `penalty`, a free string's first tokens that begin inside a word of the task. */
export class CutAtStart implements LogitsProcessor {
  readonly reason = 'a value copied from the task starts where its word starts ("olduser77", not "user77")';
  constructor(readonly penalty: number) {}

  apply({ at, sec, facts, textOf }: Step, { ids, logits }: AllowedLogits): boolean {
    if (at === null || at.typed !== '"' || sec.takes.get(at.key) !== 'string') return false;
    for (let k = 0; k < ids.length; k++)
      if (cutAtStart(facts.task, textOf(ids[k]!))) logits[k] = logits[k]! - this.penalty;
    // Never decides the step: the label penalty (LabelStart) applies at the same first token.
    return false;
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

/**
 * At a date key, raises by `bias` the characters of a stated date whose role fits the key and lowers those of a
 * date whose role does not ("from A to B": A for `Start`, B for `End`); dates share their first digits, so the
 * choice falls where they differ. A date said with its month's name ("1 June 2023") is no copy of the task: its
 * ISO digits are written free, and raised here.
 */
export class StatedDate implements LogitsProcessor {
  readonly reason = "a range's first date goes to the start key and its last to the end key";
  constructor(readonly bias: number) {}

  apply({ at, sec, answer, facts, textOf }: Step, { ids, logits }: AllowedLogits): boolean {
    if (at === null || !sec.dated.has(at.key) || !at.typed.startsWith('"')) return false;
    const typed = at.typed.slice(1);
    const before = answer.slice(0, answer.length - typed.length);
    // Only while a date is being written: once it is whole, the key choice decides what follows.
    const unused = facts.dates.filter(
      (d) => d.text.length > typed.length && d.text.startsWith(typed) && !before.includes(d.text),
    );
    const claimed = claimedElsewhere(sec, at.key);
    const fit = (d: { text: string; role: ValueRole | null }): boolean =>
      roleFits(d.role, at.key) && !claimed.has(d.text);
    const open = unused.filter(fit).map((d) => d.text);
    const wrong = unused.filter((d) => !fit(d)).map((d) => d.text);
    if (open.length === 0) return false;
    for (let k = 0; k < ids.length; k++) {
      const next = typed + textOf(ids[k]!);
      const fits = (d: string): boolean => d.startsWith(next) || next.startsWith(d);
      if (open.some(fits) && !wrong.some(fits)) logits[k] = logits[k]! + this.bias;
      else if (wrong.some(fits) && !open.some(fits)) logits[k] = logits[k]! - this.bias;
    }
    return true;
  }
}
