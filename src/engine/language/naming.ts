/**
 * How a task names a parameter or a value of the spec: the words of a field's name or of its enum values
 * (grounded), an enum value said by code or by the spec's own name for it (statedEnumValues: "from French" →
 * `source_lang` FR), a result count the task asks for (countGrounded), a flag said by a word or a synonym
 * (flagMentioned), a label word that precedes a value (startsAtLabel), and a copy that would stop mid-word
 * (cutShort). Names come from the spec; the words that say them come from the lexicon.
 */
import { routeSide } from '../data/mention.js';
import { enumWordForms, type CodeNames } from '../data/names.js';
import { escapeRegExp, identWords } from '../data/words.js';
import { taskEvidence, type StatedValue } from './evidence.js';
import { COMMON_VALUES, FUNCTION_WORDS, NAME_FILLER, SYNONYMS, stem, unquoted } from './lexicon.js';
import type { JsonSchema } from '../specs/types.js';

const content = (ws: string[], stop: ReadonlySet<string>): string[] =>
  ws.filter((w) => w.length >= 3 && !stop.has(w));

/** The values a task states outside any parameter name: its quoted strings and its bare numbers. */
export interface TaskValues {
  strings: string[];
  numbers: string[];
}

/**
 * A task's quoted strings (two characters or more) and the numbers written as words of their own outside quotes
 * ("only the first 4 results", "Pay 12.50 GBP"; not the digits of an id, a date-time, a URL or "12/2027", nor
 * the day and year of a date written with its month name, which calls hold in another form).
 */
export function taskValues(task: string): TaskValues {
  const { values } = taskEvidence(task);
  return {
    strings: values.filter((v) => v.kind === 'quoted').map((v) => v.text),
    numbers: values.filter((v) => v.kind === 'number').map((v) => v.text),
  };
}

/**
 * True when every place the task holds `copied` ends inside a word (a letter or digit on both sides) or right
 * before a comma or semicolon with no space after it: a value stopped there would be cut short.
 */
export function cutShort(task: string, copied: string): boolean {
  if (copied.length === 0) return false;
  const dates = [...task.matchAll(DATE_SPAN)].map((m) => [m.index, m.index + m[0].length] as const);
  let found = false;
  for (let i = task.indexOf(copied); i >= 0; i = task.indexOf(copied, i + 1)) {
    found = true;
    const end = i + copied.length;
    const next = task[end] ?? '';
    const inWord = /[A-Za-z0-9]/.test(next) && /[A-Za-z0-9]$/.test(copied);
    const joined = /[,;]/.test(next) && /\S/.test(task[end + 1] ?? ' ');
    // A piece of a date ("2024" of 2024-03-02T00:00:00Z) is no value of its own; its day part is.
    const dayOfDate = dates.some(([a]) => i === a && end - i === 10);
    const inDate = dates.some(([a, b]) => i >= a && end <= b && end - i < b - a);
    if (dayOfDate || (!inWord && !joined && !inDate)) return false;
  }
  return found;
}

/**
 * True when every place the task holds `copied` (beginning with a letter or digit)
 * begins inside a word: after a letter or digit, or after a hyphen or underscore joined to one ("user77" of
 * "olduser77", "88213" of "SN-88213"). A value starting there would be cut short at its front.
 */
export function cutAtStart(task: string, copied: string): boolean {
  if (!/^[A-Za-z0-9]/.test(copied)) return false;
  let found = false;
  for (let i = task.indexOf(copied); i >= 0; i = task.indexOf(copied, i + 1)) {
    found = true;
    const before = task.slice(Math.max(0, i - 2), i);
    if (!/[A-Za-z0-9]$|[A-Za-z0-9][-_]$/.test(before)) return false;
  }
  return found;
}

/**
 * True when every place the task holds `copied` goes on with more of the same token: a character that is no
 * space and no sentence punctuation before a space or the end ("." in "hooks.example", "-" in "closure-2024").
 */
export function copyGoesOn(task: string, copied: string): boolean {
  if (copied.length === 0) return false;
  let found = false;
  for (let i = task.indexOf(copied); i >= 0; i = task.indexOf(copied, i + 1)) {
    found = true;
    const rest = task.slice(i + copied.length);
    if (rest === '' || /^\s|^["'”’]|^[.,;:!?)]+(\s|$)/.test(rest)) return false;
  }
  return found;
}

/** A date or date-time as written in a task. */
const DATE_SPAN = /\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?/g;

/** Stems of the content words of a key's name and description ("A regex matching receivers" → match, …). */
export function labelStems(name: string, description: string): Set<string> {
  return new Set(
    [...identWords(name), ...identWords(description)]
      .filter((w) => w.length >= 3 && !FUNCTION_WORDS.has(w))
      .map(stem),
  );
}

/**
 * Per key, the stated values the task labels with the key's name: the two words before the value hold a word of
 * the name ("serial SN-88213" → `serialNumber`, "price 450" → `purchasePrice`). Where several keys' names are
 * there, the keys with the most such words take the value.
 */
export function labelledValues(
  task: string,
  values: readonly StatedValue[],
  keys: readonly string[],
): Map<string, string[]> {
  const names = new Map(
    keys.map((k) => [
      k,
      new Set(
        identWords(k)
          .filter((w) => !FUNCTION_WORDS.has(w))
          .map(stem),
      ),
    ]),
  );
  const out = new Map<string, string[]>();
  for (const v of values) {
    const before = (task.slice(Math.max(0, v.start - 40), v.start).match(/[A-Za-z]+/g) ?? []).slice(-2);
    const words = before.map((w) => stem(w.toLowerCase()));
    const hits = keys.map((k) => words.filter((w) => names.get(k)!.has(w)).length);
    const top = Math.max(0, ...hits);
    if (top === 0) continue;
    keys.forEach((k, i) => {
      if (hits[i] === top) out.set(k, [...(out.get(k) ?? []), v.text]);
    });
  }
  return out;
}

/**
 * True when a free string copied from the task would begin with `text` only at label words: a word, outside
 * quotes, that names the key (one of `labels`) and is followed by a value-like word ("cardholder Francis",
 * "matching slack-.*": capitalised, or holding a digit or a symbol). The value is what follows the label.
 */
export function startsAtLabel(
  task: string,
  text: string,
  labels: ReadonlySet<string>,
  bare = unquoted(task),
): boolean {
  if (!/^[A-Za-z]/.test(text) || labels.size === 0) return false;
  let found = false;
  for (let i = task.indexOf(text); i >= 0; i = task.indexOf(text, i + 1)) {
    if (i > 0 && /[A-Za-z0-9]/.test(task[i - 1]!)) continue; // not a word start: no copy begins there
    found = true;
    if (bare[i] !== task[i]) return false; // inside a quoted value
    const m = /^([A-Za-z]+)\s+(\S+)/.exec(task.slice(i));
    if (!m || !labels.has(stem(m[1]!))) return false;
    if (!/^[A-Z]/.test(m[2]!) && !/[^A-Za-z]/.test(m[2]!)) return false;
  }
  return found;
}

/**
 * True when a word of a flag's name, or a synonym of one (data/typos.ts: "bike" for `bicycles`), is in the
 * task. The generator states every flag it writes by a word of its name or description; on its data the
 * name alone, so tested, misses none of 155 flags.
 */
export function flagMentioned(name: string, inTask: (s: string) => boolean): boolean {
  const words = content(identWords(name), NAME_FILLER);
  return [...words, ...words.flatMap((w) => SYNONYMS[w] ?? [])]
    .flatMap((w) => identWords(w))
    .some((w) => inTask(stem(w)));
}

/** A count the task asks for: "the first 5", "at most 200", "up to 10 URLs", "50 pages", "10 results". */
const COUNT_PHRASE =
  /\b(?:first|top|last|latest|at most|up to|max(?:imum)?|only|just|limit(?:ed)? to)\s+\d+\b|\b\d+\s+(?:results?|items?|entries|records?|rows?|links?|pages?|urls?|hits?)\b/i;
/** Name words that make an integer a result count (`limit`, `maxUrls`, `page_size`). */
const COUNT_WORDS = new Set(['limit', 'max', 'maximum', 'count', 'size', 'top', 'num', 'number']);
const COUNT_FILLER = new Set(['page', 'per', 'results', 'result', 'items', 'item']);

/**
 * True when an integer parameter is a result count (a count word in its name, every other content word of the
 * name in the task: `maxUrls` needs "URLs") and the task asks for a count ("only the first 4 results").
 */
export function countGrounded(
  name: string,
  schema: JsonSchema | undefined,
  task: string,
  stems: Set<string>,
): boolean {
  if (schema?.type !== 'integer' && schema?.type !== 'number') return false;
  const words = identWords(name);
  if (!words.some((w) => COUNT_WORDS.has(w))) return false;
  const rest = words.filter((w) => !COUNT_WORDS.has(w) && !COUNT_FILLER.has(w) && !NAME_FILLER.has(w));
  return rest.every((w) => stems.has(stem(w))) && COUNT_PHRASE.test(unquoted(task));
}

/** Per enum schema and field name: a whole-word pattern per way of saying each value (task-independent). */
const patternCache = new WeakMap<JsonSchema, Map<string, { value: string; re: RegExp }[]>>();

function enumPatterns(
  name: string,
  schema: JsonSchema,
  codeNames: CodeNames,
): { value: string; re: RegExp }[] {
  let byName = patternCache.get(schema);
  if (!byName) patternCache.set(schema, (byName = new Map()));
  let out = byName.get(name);
  if (out) return out;
  const values = (schema.enum as unknown[]).filter(
    (v): v is string => typeof v === 'string' && v.length >= 2,
  );
  const forms = enumWordForms(values, name, schema.description ?? '', codeNames);
  out = values.flatMap((value) =>
    [...(COMMON_VALUES.has(value.toLowerCase()) ? [] : [value]), ...(forms.get(value) ?? [])].map((form) => ({
      value,
      // Two-letter codes only in their own case ("IT", not "it"); names in any case.
      re: new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(form)}(?![A-Za-z0-9])`, form.length <= 2 ? 'g' : 'gi'),
    })),
  );
  byName.set(name, out);
  return out;
}

/**
 * The values of a string enum that the task states, outside quotes: the value as written ("CSV"; two-letter
 * codes only in the value's own case) or a human form of it (data/names.ts: "Dutch" → `NL`, "British English" →
 * `EN-GB`), the longer match winning where two overlap ("British English", not its "English"). The end of a
 * route (`source_lang`, `target_lang`, data/mention.ts) takes only names said as one: the source right after
 * "from" or right before "to" / "into" ("English to Dutch"), the target right after "to" / "into" / "in".
 */
export function statedEnumValues(
  name: string,
  schema: JsonSchema | undefined,
  task: string,
  codeNames: CodeNames,
): string[] {
  if (!schema || !Array.isArray(schema.enum)) return [];
  const text = unquoted(task);
  const hits: { start: number; end: number; value: string }[] = [];
  for (const { value, re } of enumPatterns(name, schema, codeNames))
    for (const m of text.matchAll(re)) hits.push({ start: m.index, end: m.index + m[0].length, value });
  const side = routeSide(name);
  const said = (h: { start: number; end: number }): boolean => {
    if (side === null) return true;
    if (side === 'to') return /\b(?:to|into|in)\s+(?:the\s+)?$/i.test(text.slice(0, h.start));
    return (
      /\bfrom\s+(?:the\s+)?$/i.test(text.slice(0, h.start)) || /^\s+(?:to|into)\s/i.test(text.slice(h.end))
    );
  };
  const kept = hits.filter(
    (h) =>
      !hits.some(
        (o) => o !== h && o.start <= h.start && o.end >= h.end && o.end - o.start > h.end - h.start,
      ) && said(h),
  );
  return [...new Set(kept.map((h) => h.value))];
}

/** True when every content word of the name, or of one of its enum values, is in the task. */
export function grounded(name: string, schema: JsonSchema | undefined, stems: Set<string>): boolean {
  const all = (ws: string[]): boolean => ws.length > 0 && ws.every((w) => stems.has(stem(w)));
  if (all(content(identWords(name), NAME_FILLER))) return true;
  const values = enumValues(schema);
  return values.some(
    (v) => all(content(identWords(v), COMMON_VALUES)) && !COMMON_VALUES.has(v.toLowerCase()),
  );
}

function enumValues(schema: JsonSchema | undefined): string[] {
  if (!schema) return [];
  const own = Array.isArray(schema.enum) ? schema.enum : [];
  const items = schema.items && !Array.isArray(schema.items) ? enumValues(schema.items as JsonSchema) : [];
  return [...own.filter((v): v is string => typeof v === 'string' && v.length >= 4), ...items];
}
