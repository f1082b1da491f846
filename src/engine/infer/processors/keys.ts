/**
 * The key choice: which optional key to write next, or whether to close the object. Most generated tasks state
 * no optional value, so a trained model learns that closing is the safe bet and leaves out what the task does
 * state ("ferries that carry bikes" → `bicycles`). A key has evidence when the task names it (sections.ts
 * `grounded`) and when the task states a value of the kind it takes that the answer has not used yet; each is
 * worth `bias`. A key one of whose enum values the task states ("ascending" → `asc`), or whose name labels a
 * value the answer has not used ("serial SN-88213"), has the stronger evidence of a stated value, worth
 * `valueBias` instead of `bias` for the naming. Keys the task does not name get
 * nothing, so no unasked extras are added.
 */
import { argmax } from '../sample.js';
import type { AllowedLogits } from '../decode.js';
import { copyGoesOn } from '../../language/naming.js';
import { roleFits } from './roles.js';
import { claimedElsewhere, midValue, reachable, unusedKinds, type ValueKind } from './sections.js';
import type { LogitsProcessor, Step } from './step.js';

/** Only tokens holding one of these can end a value and begin a key. */
const STRUCTURAL = /[,{]/;

export class KeyEvidence implements LogitsProcessor {
  readonly reason = 'an optional key the task names or has a value for is written, not left out';
  constructor(
    readonly bias: number,
    readonly valueBias: number,
  ) {}

  apply(step: Step, allowed: AllowedLogits): boolean {
    const { sec, scan, at, answer, facts } = step;
    const unused =
      sec.takes.size > 0 && !midValue(at, answer, facts.numbers)
        ? unusedKinds(facts, facts.numberPatterns, answer)
        : new Set<ValueKind>();
    // The roles of the stated numbers the answer has not used ("10 per page" is for a page size, not `page`).
    const roles = unused.has('number')
      ? facts.numberRoles.filter((_, i) => !facts.numberPatterns[i]!.test(answer))
      : [];
    const valueFor = (k: string, kind: ValueKind | undefined): boolean =>
      kind !== undefined && unused.has(kind) && (kind !== 'number' || roles.some((r) => roleFits(r, k)));
    // A stated date the answer has not used, whose role fits a date key ("from A to B": A for a start key).
    const dates = facts.dates.filter((d) => !answer.includes(d.text));
    const dateFor = (k: string): boolean =>
      sec.dated.has(k) && dates.some((d) => roleFits(d.role, k) && !claimedElsewhere(sec, k).has(d.text));
    const named = (k: string): boolean => sec.grounded.has(k) || dateFor(k) || sec.labelled.has(k);
    const evidence = (k: string): number => {
      if (sec.required.has(k)) return 0;
      const labelled = sec.labelled.get(k)?.some((v) => !answer.includes(v)) === true;
      const said = sec.stated.has(k) || labelled ? this.valueBias : named(k) ? this.bias : 0;
      return said + (valueFor(k, sec.takes.get(k)) ? this.bias : 0);
    };
    const ahead = reachable(sec, scan.keys());
    const open = ahead.filter((k) => evidence(k) > 0);
    if (open.length === 0 && (sec.unmentioned.size === 0 || !scan.atKeyName())) return false;
    if (scan.atKeyName()) this.naming(step, allowed, ahead, unused, evidence, named);
    else this.closing(step, allowed, open, evidence);
    return true;
  }

  /** The key a token begins (its typed part), or null when it begins none. */
  private started({ scan, textOf }: Step): (id: number) => string | null {
    const depth = scan.depth();
    const before = scan.keys().length;
    return (id) => {
      const after = scan.clone();
      after.feed(textOf(id));
      return after.keyStarted(depth, before);
    };
  }

  /**
   * Naming a key. Keys come in schema order, so writing one gives up every key before it, and a value kind once
   * no key after it takes that kind. A key that gives up evidence this way is lowered by `bias` (a later key
   * with evidence stays reachable after an earlier one: "about 'returns', up to 150 links" writes `search`
   * before `limit`); the others are raised by their evidence. Unless the model is heading for an optional key
   * without evidence that may carry a value the evidence does not see (a passenger's name, unquoted): that
   * value is its own evidence, and a
   * later close-or-continue choice raises the others again. A flag the task does not mention is lowered by
   * `bias` too: "dog frendly ferries" is no `bicycles`.
   */
  private naming(
    step: Step,
    { ids, logits }: AllowedLogits,
    ahead: string[],
    unused: Set<ValueKind>,
    evidence: (k: string) => number,
    named: (k: string) => boolean,
  ): void {
    const { sec } = step;
    const started = this.started(step);
    const kindAfter = (i: number, kind: ValueKind): boolean =>
      ahead.slice(i + 1).some((x) => sec.takes.get(x) === kind);
    // The unused kinds some reachable key can still take (only those can be stranded).
    const takeable = [...unused].filter((kind) => kindAfter(-1, kind));
    // Giving up a key costs at least `bias`, and a stated value's key (worth `valueBias`) costs that much.
    const score = new Map(
      ahead.map((k, i) => {
        const skipped = ahead.slice(0, i).filter(named);
        const strands = takeable.some((kind) => sec.takes.get(k) !== kind && !kindAfter(i, kind));
        if (skipped.length > 0) return [k, -Math.max(this.bias, ...skipped.map(evidence))] as const;
        return [k, strands || sec.unmentioned.has(k) ? -this.bias : evidence(k)] as const;
      }),
    );
    const pick = started(ids[argmax(logits)]!);
    const heading = pick === null ? [] : ahead.filter((k) => `${k}"`.startsWith(pick));
    // Only when every key the token may begin is such a key and may carry a value the evidence does not see
    // (a free string: names are not quoted; every stated number is seen): "Page" may begin `PageToken` as
    // well as `PageSize`, and must not silence the others.
    const kind = (k: string): ValueKind | undefined => sec.takes.get(k);
    const unbacked = (k: string): boolean =>
      !sec.required.has(k) &&
      evidence(k) === 0 &&
      sec.valued.has(k) &&
      (kind(k) === 'string' || unused.has(kind(k)!));
    if (heading.length > 0 && heading.every(unbacked)) return;
    for (let k = 0; k < ids.length; k++) {
      const p = started(ids[k]!);
      if (p === null) continue;
      // A token several keys begin with ("asset": assetId, assetStatus, assetTypeId) gets the best of their
      // scores: the steps that finish the key tell them apart, each by its own score.
      const scores = ahead.filter((key) => `${key}"`.startsWith(p)).map((key) => score.get(key)!);
      if (scores.length > 0) logits[k] = logits[k]! + Math.max(...scores);
    }
  }

  /** Inside or after a value: the tokens that close it and begin a key (`,` `","` …) against `}`. */
  private closing(
    step: Step,
    { ids, logits }: AllowedLogits,
    open: string[],
    evidence: (k: string) => number,
  ): void {
    // A copy the task carries on without a break ("https://hooks" of "https://hooks.example.com") is no place
    // to end a string for the next key.
    if (step.at?.typed.startsWith('"') && copyGoesOn(step.facts.task, step.at.typed.slice(1))) return;
    const started = this.started(step);
    /** The most evidence among the keys a token may open (0: none). */
    const bonus = (id: number): number => {
      const p = started(id);
      if (p === null) return 0;
      let best = 0;
      for (const k of open) if (`${k}"`.startsWith(p)) best = Math.max(best, evidence(k));
      return best;
    };
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!;
      if (STRUCTURAL.test(step.textOf(id))) logits[k] = logits[k]! + bonus(id);
    }
  }
}
