import type { Program } from './program.js';

/** Digits of the largest integer the grammar writes when a schema gives no bound (stays a safe integer). */
export const MAX_INTEGER_DIGITS = 15;
const UNBOUNDED = 10 ** MAX_INTEGER_DIGITS - 1;
/** Fraction digits the grammar allows for `number`. */
export const MAX_FRACTION_DIGITS = 8;

export interface NumericBounds {
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
}

/**
 * Integers in [lo, hi] written the JSON way (no leading zeros, no `-0`), as alternatives of digit-range
 * sequences: the classic numeric-range-to-regex construction, split by length then by leading digit.
 */
export function integerRange(p: Program, lo: number, hi: number, next: number): number {
  const alts: number[] = [];
  if (lo < 0) {
    const negHi = -lo;
    const negLo = hi < 0 ? -hi : 1;
    if (negLo <= negHi) alts.push(p.lit('-', naturalRange(p, negLo, negHi, next)));
  }
  if (hi >= 0) alts.push(naturalRange(p, Math.max(lo, 0), hi, next));
  return alts.length === 0 ? p.fail() : p.alt(alts);
}

function naturalRange(p: Program, lo: number, hi: number, next: number): number {
  // 0..99..9 and 1..99..9 (the unbounded cases) as [1-9][0-9]{0,k-1}: a few nodes instead of one per length.
  const digits = String(hi).length;
  if ((lo === 0 || lo === 1) && hi === 10 ** digits - 1) {
    const positive = p.cls(
      '1-9',
      p.repeat(0, digits - 1, (n) => p.cls('0-9', n), next),
    );
    return lo === 0 ? p.alt([p.lit('0', next), positive]) : positive;
  }
  return p.alt(digitPatterns(String(lo), String(hi)).map((pattern) => digitSeq(p, pattern, next)));
}

/** Each pattern is a list of [low, high] digit pairs for one position. */
type DigitPattern = [number, number][];

function digitSeq(p: Program, pattern: DigitPattern, next: number): number {
  let at = next;
  for (let i = pattern.length - 1; i >= 0; i--) {
    const [a, b] = pattern[i] ?? [0, 9];
    at = p.cls(a === b ? String(a) : `${a}-${b}`, at);
  }
  return at;
}

function digitPatterns(lo: string, hi: string): DigitPattern[] {
  if (lo.length < hi.length) {
    const out = sameLength(lo, '9'.repeat(lo.length));
    for (let len = lo.length + 1; len < hi.length; len++)
      out.push([[1, 9], ...Array.from({ length: len - 1 }, (): [number, number] => [0, 9])]);
    out.push(...sameLength(`1${'0'.repeat(hi.length - 1)}`, hi));
    return out;
  }
  return sameLength(lo, hi);
}

/** Patterns for equal-length decimal strings lo <= hi. */
function sameLength(lo: string, hi: string): DigitPattern[] {
  // A full block (000..999) is one pattern; without this shortcut the split below recurses on both halves.
  if (/^0*$/.test(lo) && /^9*$/.test(hi))
    return [Array.from({ length: lo.length }, (): [number, number] => [0, 9])];
  const a = Number(lo[0]);
  const b = Number(hi[0]);
  if (lo.length === 1) return [[[a, b]]];
  const restLo = lo.slice(1);
  const restHi = hi.slice(1);
  if (a === b) return sameLength(restLo, restHi).map((pat) => [[a, a], ...pat]);
  const out: DigitPattern[] = sameLength(restLo, '9'.repeat(restLo.length)).map((pat) => [[a, a], ...pat]);
  if (b - a > 1)
    out.push([[a + 1, b - 1], ...Array.from({ length: restLo.length }, (): [number, number] => [0, 9])]);
  out.push(...sameLength('0'.repeat(restHi.length), restHi).map((pat): DigitPattern => [[b, b], ...pat]));
  return out;
}

/** Integer bounds of a schema, tightened by exclusive bounds and by int32 / int64 formats. */
export function integerBounds(s: NumericBounds, format: string | undefined): [number, number] {
  let lo = -UNBOUNDED;
  let hi = UNBOUNDED;
  if (format === 'int32') [lo, hi] = [-(2 ** 31), 2 ** 31 - 1];
  if (typeof s.minimum === 'number') lo = Math.max(lo, Math.ceil(s.minimum));
  if (typeof s.exclusiveMinimum === 'number') lo = Math.max(lo, Math.floor(s.exclusiveMinimum) + 1);
  if (typeof s.maximum === 'number') hi = Math.min(hi, Math.floor(s.maximum));
  if (typeof s.exclusiveMaximum === 'number') hi = Math.min(hi, Math.ceil(s.exclusiveMaximum) - 1);
  return [lo, hi];
}

/**
 * JSON numbers within the schema's bounds: every integer in range, plus decimals with 1..8 fraction digits
 * whose last digit is non-zero (so the value is strictly above its integer part). Decimals are kept to integer
 * parts where `int + fraction` cannot cross a bound: below an upper bound, and at or above a lower bound.
 */
export function numberGrammar(p: Program, s: NumericBounds, next: number): number {
  const [ilo, ihi] = integerBounds(s, undefined);
  const alts = [integerRange(p, ilo, ihi, next)];
  const fraction = p.lit(
    '.',
    p.repeat(0, MAX_FRACTION_DIGITS - 1, (n) => p.cls('0-9', n), p.cls('1-9', next)),
  );
  const lower = s.exclusiveMinimum ?? s.minimum;
  const upper = s.exclusiveMaximum ?? s.maximum;
  const fracLo = lower === undefined ? -UNBOUNDED : Number.isInteger(lower) ? lower : Math.ceil(lower);
  const fracHi = upper === undefined ? UNBOUNDED : (Number.isInteger(upper) ? upper : Math.floor(upper)) - 1;
  // Non-negative integer part: value = int + f with 0 < f < 1.
  if (Math.max(fracLo, 0) <= fracHi) alts.push(naturalRange(p, Math.max(fracLo, 0), fracHi, fraction));
  // Negative decimals only without a lower bound, and only when the upper bound allows negatives.
  if (lower === undefined && fracHi >= -1) {
    alts.push(p.lit('-', naturalRange(p, 0, UNBOUNDED, fraction)));
  }
  return p.alt(alts);
}
