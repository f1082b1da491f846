/**
 * Word-level helpers: identifiers to words, singular/plural, and the phrase type whose value segments are
 * protected from casing changes and typos (a value must reach the call exactly as the task states it).
 */

/** A piece of task text; `value` segments are copied into the call and must never be altered. */
export interface Seg {
  text: string;
  value?: boolean;
}
export type Phrase = Seg[];

/** Words that make a parameter name an id and name no resource (`petId`, `Sid`, `order_uuid`, `key`). */
export const ID_WORDS: ReadonlySet<string> = new Set(['id', 'ids', 'sid', 'uuid', 'guid', 'key']);

export const lit = (text: string): Phrase => [{ text }];
export const val = (text: string): Phrase => [{ text, value: true }];

/**
 * A phrase from literal strings and phrases, in order. A missing part (an id phrase the operation does not
 * have) is left out rather than kept as a hole: the example check then rejects a task that lost a value.
 */
export const T = (...parts: (string | Phrase | undefined)[]): Phrase =>
  parts.flatMap((p) => (p === undefined ? [] : typeof p === 'string' ? lit(p) : p));

/** Joins phrases with a separator literal, skipping empty ones. */
export function joinPhrases(parts: Phrase[], sep = ' '): Phrase {
  const out: Phrase = [];
  for (const p of parts) {
    if (p.length === 0 || p.every((s) => s.text === '')) continue;
    if (out.length > 0) out.push({ text: sep });
    out.push(...p);
  }
  return out;
}

/** "a, b and c" style lists. */
export function listPhrases(parts: Phrase[], conj = 'and'): Phrase {
  if (parts.length <= 1) return parts[0] ?? [];
  const out: Phrase = [];
  parts.forEach((p, i) => {
    if (i > 0) out.push({ text: i === parts.length - 1 ? ` ${conj} ` : ', ' });
    out.push(...p);
  });
  return out;
}

export function phraseText(p: Phrase): string {
  return p.map((s) => s.text).join('');
}

/**
 * Splits an identifier into lower-case words: `getBatchScrapeStatus` → get batch scrape status,
 * `passenger_name` → passenger name, `LLMsTxt` → llms txt, `silenceID` → silence id.
 */
export function identWords(ident: string): string[] {
  const spaced = ident
    // An acronym plural ("LLMs") stays one word.
    .replace(/([A-Z]{2,})s(?![a-z])/g, ' $1S ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/[^A-Za-z0-9]+/g, ' ');
  return spaced
    .trim()
    .split(/\s+/)
    .filter((w) => w.length > 0)
    .map((w) => w.toLowerCase());
}

export const humanize = (ident: string): string => identWords(ident).join(' ');

/** `s` as a literal inside a regular expression. */
export const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const IRREGULAR_PLURALS: Record<string, string> = {
  person: 'people',
  child: 'children',
  status: 'statuses',
  data: 'data',
  info: 'info',
  usage: 'usage',
  metadata: 'metadata',
  series: 'series',
};

export function singular(word: string): string {
  for (const [s, p] of Object.entries(IRREGULAR_PLURALS)) if (word === p) return s;
  if (/(ss|us|is)$/.test(word)) return word;
  if (/ies$/.test(word) && word.length > 4) return word.slice(0, -3) + 'y';
  if (/(ches|shes|xes|zes|sses)$/.test(word)) return word.slice(0, -2);
  if (/s$/.test(word) && word.length > 3) return word.slice(0, -1);
  return word;
}

export function plural(word: string): string {
  const irregular = IRREGULAR_PLURALS[word];
  if (irregular) return irregular;
  if (/[^aeiou]y$/.test(word)) return word.slice(0, -1) + 'ies';
  if (/(s|x|z|ch|sh)$/.test(word)) return word + 'es';
  return word + 's';
}

/** Applies `f` to the last word of a multi-word noun ("batch scrape" → "batch scrapes"). */
export function mapLastWord(noun: string, f: (w: string) => string): string {
  const words = noun.split(' ');
  const last = words.pop() ?? '';
  return [...words, f(last)].join(' ');
}

export const isPluralWord = (w: string): boolean => singular(w) !== w && !/(ss|us|is)$/.test(w);

export function article(noun: string): string {
  return /^[aeiou]/i.test(noun) && !/^(uni|use|one|eu)/i.test(noun) ? 'an' : 'a';
}

export function capitalize(s: string): string {
  return s.length === 0 ? s : s[0]!.toUpperCase() + s.slice(1);
}

/**
 * The verb of a state said as a past participle: "suspended" → "suspend", "activated" → "activate",
 * "cancelled" → "cancel", "verified" → "verify" (regular English inflection); null when the word is not one.
 */
export function verbOfParticiple(word: string): string | null {
  if (!/^[a-z]{3,}ed$/.test(word)) return null;
  if (word.endsWith('ied')) return `${word.slice(0, -3)}y`;
  const stem = word.slice(0, -2);
  if (/([bdglmnprt])\1$/.test(stem)) return stem.slice(0, -1);
  if (/(at|et|it|ut|iv|ov|av|os|as|us|is|bl|pl|gl|dl|tl|ul|ur|ir|rg|dg|ang|u|c|z|v)$/.test(stem))
    return `${stem}e`;
  return stem;
}

/** States that are adjectives, and the verbs that bring them about (general English). */
const STATE_VERBS: Record<string, string[]> = {
  active: ['activate', 'reactivate'],
  inactive: ['deactivate'],
  open: ['open', 'reopen'],
  paid: ['pay'],
  sold: ['sell'],
  public: ['publish'],
  live: ['go live with'],
  done: ['finish'],
};

/** The verbs that put a thing into a state: "suspended" → suspend, "active" → activate / reactivate. */
export function stateVerbs(state: string): string[] {
  const word = state.toLowerCase();
  const verb = verbOfParticiple(word);
  return [...(STATE_VERBS[word] ?? []), ...(verb ? [verb] : [])];
}
