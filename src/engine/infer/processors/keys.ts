/**
 * The key choice: which optional key to write next, or whether to close the object. Most generated tasks state
 * no optional value, so a trained model learns that closing is the safe bet and leaves out what the task does
 * state ("ferries that carry bikes" → `bicycles`). A key has evidence when the task names it (sections.ts
 * `grounded`) and when the task states a value of the kind it takes that the answer has not used yet; each is
 * worth `bias`. Keys the task does not name get nothing, so no unasked extras are added.
 */
import { argmax } from '../sample.js';
import type { AllowedLogits } from '../decode.js';
import { roleFits } from './roles.js';
import { midValue, reachable, unusedKinds, type ValueKind } from './sections.js';
import type { LogitsProcessor, Step } from './step.js';

/** Only tokens holding one of these can end a value and begin a key. */
const STRUCTURAL = /[,{]/;

export class KeyEvidence implements LogitsProcessor {
  readonly reason = 'an optional key the task names or has a value for is written, not left out';
  constructor(readonly bias: number) {}

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
    const evidence = (k: string): number => {
      if (sec.required.has(k)) return 0;
      return (sec.grounded.has(k) ? this.bias : 0) + (valueFor(k, sec.takes.get(k)) ? this.bias : 0);
    };
    const ahead = reachable(sec, scan.keys());
    const open = ahead.filter((k) => evidence(k) > 0);
    if (open.length === 0 && (sec.unmentioned.size === 0 || !scan.atKeyName())) return false;
    if (scan.atKeyName()) this.naming(step, allowed, ahead, unused, evidence);
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
   * without evidence that carries a stated value (a passenger's name): that key has its own evidence, and a
   * later close-or-continue choice raises the others again. A flag the task does not mention is lowered by
   * `bias` too: "dog frendly ferries" is no `bicycles`.
   */
  private naming(
    step: Step,
    { ids, logits }: AllowedLogits,
    ahead: string[],
    unused: Set<ValueKind>,
    evidence: (k: string) => number,
  ): void {
    const { sec } = step;
    const started = this.started(step);
    const kindAfter = (i: number, kind: ValueKind): boolean =>
      ahead.slice(i + 1).some((x) => sec.takes.get(x) === kind);
    // The unused kinds some reachable key can still take (only those can be stranded).
    const takeable = [...unused].filter((kind) => kindAfter(-1, kind));
    const score = new Map(
      ahead.map((k, i) => {
        const skips = ahead.slice(0, i).some((x) => sec.grounded.has(x));
        const strands = takeable.some((kind) => sec.takes.get(k) !== kind && !kindAfter(i, kind));
        return [k, skips || strands || sec.unmentioned.has(k) ? -this.bias : evidence(k)] as const;
      }),
    );
    const pick = started(ids[argmax(logits)]!);
    const heading = pick === null ? [] : ahead.filter((k) => `${k}"`.startsWith(pick));
    if (heading.some((k) => !sec.required.has(k) && evidence(k) === 0 && sec.valued.has(k))) return;
    for (let k = 0; k < ids.length; k++) {
      const p = started(ids[k]!);
      if (p === null) continue;
      // A token several keys begin with ("s": search, sitemapOnly) gets the least of their scores, so a
      // prefix cannot carry one key's bonus into another key.
      let least = Infinity;
      for (const key of ahead) if (`${key}"`.startsWith(p)) least = Math.min(least, score.get(key)!);
      if (least !== Infinity) logits[k] = logits[k]! + least;
    }
  }

  /** Inside or after a value: the tokens that close it and begin a key (`,` `","` …) against `}`. */
  private closing(
    step: Step,
    { ids, logits }: AllowedLogits,
    open: string[],
    evidence: (k: string) => number,
  ): void {
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
