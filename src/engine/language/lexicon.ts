/**
 * The one lexicon of task language: function words, light stemming, everyday synonyms, typo matching and quoted
 * spans. Data synthesis (what a task states) and decoding (what a task names) read words through it alike, so a
 * word that grounds a parameter at decode time is the word the generator writes for it.
 */
import { identWords } from '../data/words.js';

/** Words of a name that carry no meaning on their own (`has_bicycle` is named by "bicycle"). */
export const NAME_FILLER: ReadonlySet<string> = new Set([
  'has',
  'is',
  'id',
  'ids',
  'the',
  'of',
  'by',
  'to',
  'for',
  'in',
  'on',
  'at',
  'a',
  'an',
]);

/** Function words summaries and descriptions are full of; they name nothing. */
export const FUNCTION_WORDS: ReadonlySet<string> = new Set([
  ...NAME_FILLER,
  'and',
  'or',
  'be',
  'as',
  'it',
  'with',
  'this',
  'that',
  'from',
  'are',
  'will',
  'can',
  'if',
  'not',
  'all',
  'any',
  'its',
  'you',
  'your',
  'which',
  'when',
  'only',
  'one',
  'more',
  'than',
  'into',
  'such',
  'may',
  'must',
  'should',
  'also',
  'other',
  'their',
  'them',
  'these',
  'those',
  'each',
  'per',
  'use',
  'used',
  'where',
  'what',
  'whose',
  'there',
  'here',
]);

/** Enum values too common in plain English to name a parameter ("more" as a formality level). */
export const COMMON_VALUES: ReadonlySet<string> = new Set([
  'more',
  'less',
  'default',
  'true',
  'false',
  'none',
  'auto',
  'all',
  'only',
  'other',
]);

/**
 * Everyday synonyms for common API nouns (general English, not taken from any spec's tasks): users say
 * "reservation" for a booking and "bike" for a bicycle whatever the spec calls them.
 */
export const SYNONYMS: Readonly<Record<string, string[]>> = {
  booking: ['reservation'],
  bookings: ['reservations'],
  bicycle: ['bike'],
  bicycles: ['bikes'],
  document: ['file'],
  usage: ['consumption'],
  photo: ['picture'],
  photos: ['pictures'],
  results: ['result'],
};

/** Lower-case word stems: a light suffix strip so "bicycles"/"bicycle" and "formality"/"formal" meet. */
export function stem(word: string): string {
  const w = word.toLowerCase();
  for (const suffix of ['ities', 'ity', 'ing', 'ed', 'es', 's', 'e']) {
    if (w.endsWith(suffix) && w.length - suffix.length >= 3 && !w.endsWith('ss')) {
      return w.slice(0, -suffix.length);
    }
  }
  return w;
}

/** At most one edit (insert, delete, substitute, swap of neighbours) between a and b. */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length)
    return (
      a.slice(i + 1) === b.slice(i + 1) ||
      (a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2))
    );
  const [long, short] = a.length > b.length ? [a, b] : [b, a];
  return long.slice(i + 1) === short.slice(i);
}

/**
 * A test for stems a text holds: exactly, or (both at least 4 letters, same first letter) within one edit
 * ("glosary", "pneding").
 */
export function stemIn(stems: ReadonlySet<string>): (s: string) => boolean {
  const fuzzy = [...stems].filter((s) => s.length >= 4);
  return (s) => stems.has(s) || (s.length >= 4 && fuzzy.some((t) => t[0] === s[0] && withinOneEdit(s, t)));
}

/** True when `text` has one of `words`, allowing one typing slip in words of four letters or more. */
export function saysWord(text: string, words: readonly string[]): boolean {
  return (text.toLowerCase().match(/[a-z]+/g) ?? []).some((t) =>
    words.some((w) => t === w || (w.length >= 4 && withinOneEdit(t, w))),
  );
}

/** Quoted spans: "…", “…”, and '…' where no letter precedes the opening quote ("it's" is not a quote). */
export const QUOTED = /"([^"]*)"|“([^”]*)”|(?<![A-Za-z])'([^']{2,})'(?![A-Za-z])/g;

/** The task with quoted spans blanked, same length (quoted text is a value, not a parameter's name). */
export function unquoted(task: string): string {
  return task.replace(QUOTED, (m) => ' '.repeat(m.length));
}

/** The task's word stems outside quoted spans. */
export function taskStems(task: string): Set<string> {
  return new Set(identWords(unquoted(task)).map(stem));
}

/** A negation and the (up to three) words it governs: "omitting the glossary entries" names no entries. */
const NEGATED =
  /\b(without|omitting|omit|excluding|exclude|except|but not|not|no|never)\b(?:\s+[\w-]+){1,3}/gi;

/** The task with the words a negation governs blanked (the cue word kept), same length. */
export function unnegated(task: string): string {
  return task.replace(NEGATED, (m, cue: string) => cue + ' '.repeat(m.length - cue.length));
}

/** Content words of an identifier or a phrase: 3+ letters, none of `stop`. */
export function contentWords(words: readonly string[], stop: ReadonlySet<string> = FUNCTION_WORDS): string[] {
  return words.filter((w) => w.length >= 3 && !stop.has(w));
}
