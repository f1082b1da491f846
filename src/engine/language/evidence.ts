/**
 * TaskEvidence: one reading of a task's text. The values it states, each with a kind (uuid, email, url, date,
 * number, quoted text, identifier-like token such as "olduser77" or "pa55!word") and, where plain English gives
 * one, a role ("3 of item 5521": quantity 3, item 5521; "page 4, 10 per page"; "from A through B": start and
 * end; "10, skipping the first 20": a count and an offset), plus its word stems outside quotes. The roles are
 * cues of the language, never a spec's field names: matching a role to a field is the spec's business.
 */
import { MONTHS } from '../data/values.js';
import { QUOTED, stemIn, taskStems, unquoted } from './lexicon.js';

export type ValueKind = 'quoted' | 'url' | 'email' | 'uuid' | 'date' | 'number' | 'identifier';
export type ValueRole = 'quantity' | 'item' | 'page' | 'pageSize' | 'start' | 'end' | 'offset' | 'count';

export interface StatedValue {
  /** The value as the call would hold it (a quoted span without its quotes). */
  text: string;
  kind: ValueKind;
  /** Where it stands in the task (of the quoted span: its quotes included). */
  start: number;
  end: number;
  role: ValueRole | null;
}

export interface TaskEvidence {
  task: string;
  /** The task with quoted spans blanked (same length). */
  bare: string;
  /** Word stems outside quotes, and a test for them that forgives one typing slip. */
  stems: Set<string>;
  inTask: (stem: string) => boolean;
  /** Stated values in task order, none overlapping another. */
  values: StatedValue[];
}

const PATTERNS: [ValueKind, RegExp][] = [
  ['url', /\bhttps?:\/\/[^\s"'<>]+/g],
  ['email', /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g],
  ['uuid', /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi],
  ['date', /\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?/g],
  ['number', /(?<![\w.\-/:])-?\d+(?:\.\d+)?(?![\w\-/:]|\.\d)/g],
];

/** A token mixing letters with digits or symbols: a username, a password, a host name, a code. */
const IDENTIFIER = /^(?=.*[A-Za-z])(?=.*[0-9_!#$%&*+=@~])[^\s"]+$/;

/** Words of a month (full or "Sept."-style short) that make the digits beside it part of a date. */
const MONTH = new RegExp(`\\b(?:${MONTHS.map((m) => m.slice(0, 3)).join('|')})[a-z]*\\.?`, 'i');

/** The last task read: one task is read by grounding, the processors and clarify in turn. */
let lastRead: TaskEvidence | undefined;

/** The evidence of one task (the same frozen reading for the same text, read once). */
export function taskEvidence(task: string): TaskEvidence {
  if (lastRead?.task !== task) lastRead = readTask(task);
  return lastRead;
}

function readTask(task: string): TaskEvidence {
  const bare = unquoted(task);
  const values: StatedValue[] = [];
  const taken: [number, number][] = [];
  const free = (s: number, e: number): boolean => taken.every(([a, b]) => e <= a || s >= b);
  for (const m of task.matchAll(QUOTED)) {
    const text = m[1] ?? m[2] ?? m[3] ?? '';
    if (text.trim().length < 2) continue;
    values.push({ text, kind: 'quoted', start: m.index, end: m.index + m[0].length, role: null });
    taken.push([m.index, m.index + m[0].length]);
  }
  const add = (text: string, kind: ValueKind, start: number): void => {
    const end = start + text.length;
    if (text.length === 0 || !free(start, end)) return;
    if (kind === 'number' && nextToMonth(bare, start, end)) return;
    values.push({ text, kind, start, end, role: null });
    taken.push([start, end]);
  };
  // Before the digit patterns: the day and year of a date said with its month's name are the date's.
  for (const m of bare.matchAll(MONTH_DATE)) {
    const iso = isoOfMonthDate(m);
    if (iso !== null && free(m.index, m.index + m[0].length)) {
      values.push({ text: iso, kind: 'date', start: m.index, end: m.index + m[0].length, role: null });
      taken.push([m.index, m.index + m[0].length]);
    }
  }
  for (const [kind, re] of PATTERNS)
    for (const m of bare.matchAll(re)) add(m[0].replace(/[.,;:!?)]+$/, ''), kind, m.index);
  for (const m of bare.matchAll(NUMBER_WORD))
    addWord(values, taken, m, NUMBER_WORDS.indexOf(m[1]!.toLowerCase()));
  for (const m of bare.matchAll(ORDINAL_PAGE))
    addWord(values, taken, m, ORDINALS.indexOf(m[1]!.toLowerCase()));
  for (const m of bare.matchAll(/[^\s,;()]+/g)) {
    const text = m[0].replace(/[.,;:!?)]+$/, '').replace(/^[(]+/, '');
    if (IDENTIFIER.test(text) && /[A-Za-z0-9]$/.test(text))
      add(text, 'identifier', bare.indexOf(text, m.index));
  }
  values.sort((a, b) => a.start - b.start);
  assignRoles(bare, values);
  // A number word counts only where a role cue makes it one ("ten per page", "first five"): "the two exports"
  // states no value.
  const kept = values.filter(
    (v) => v.role !== null || !/^[a-z]/i.test(task.slice(v.start, v.end)) || v.kind !== 'number',
  );
  const stems = taskStems(task);
  return Object.freeze({
    task,
    bare,
    stems,
    inTask: stemIn(stems),
    values: Object.freeze(kept) as StatedValue[],
  });
}

const MONTH_NAME = `(${MONTHS.map((m) => m.slice(0, 3)).join('|')})[a-z]*\\.?`;
const DAY = '(\\d{1,2})(?:st|nd|rd|th)?';
/** A date said with its month's name and a year: "1 June 2023", "March 3rd, 2024" (no year: no date). */
const MONTH_DATE = new RegExp(
  `\\b(?:${DAY}\\s+${MONTH_NAME},?\\s+(\\d{4})|${MONTH_NAME}\\s+${DAY},?\\s+(\\d{4}))\\b`,
  'gi',
);

/** The ISO date (YYYY-MM-DD) of a MONTH_DATE match, or null for a day the month does not have. */
function isoOfMonthDate(m: RegExpMatchArray): string | null {
  const [day, name, year] = m[1] !== undefined ? [m[1], m[2]!, m[3]!] : [m[5]!, m[4]!, m[6]!];
  const month = MONTHS.findIndex((x) => x.slice(0, 3).toLowerCase() === name.slice(0, 3).toLowerCase());
  const d = Number(day);
  if (month < 0 || d < 1 || d > new Date(Date.UTC(Number(year), month + 1, 0)).getUTCDate()) return null;
  return `${year}-${String(month + 1).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/**
 * Numbers said as words: two to ten ("one" and "zero" are too often no number: "the one with"), kept where a
 * role cue makes them a value, and an ordinal before "page" ("the second page" is page 2). Their text is the
 * digits a call holds.
 */
const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
const SAID_WORDS = 'two|three|four|five|six|seven|eight|nine|ten';
const NUMBER_WORD = new RegExp(`\\b(${SAID_WORDS})\\b`, 'gi');
const ORDINALS = [
  'zeroth',
  'first',
  'second',
  'third',
  'fourth',
  'fifth',
  'sixth',
  'seventh',
  'eighth',
  'ninth',
  'tenth',
];
const ORDINAL_PAGE = new RegExp(`\\b(${ORDINALS.slice(1).join('|')})\\s+page\\b`, 'gi');

/** A number word (match group 1) as a stated number, unless another value holds its span. */
function addWord(values: StatedValue[], taken: [number, number][], m: RegExpMatchArray, n: number): void {
  const start = m.index!;
  const end = start + m[1]!.length;
  if (n < 0 || !taken.every(([a, b]) => end <= a || start >= b)) return;
  values.push({
    text: String(n),
    kind: 'number',
    start,
    end,
    role: m[0].length > m[1]!.length ? 'page' : null,
  });
  taken.push([start, end]);
}

/** True when a number is the day or year of a date written with its month's name ("March 9", "9 March 2026"). */
function nextToMonth(text: string, start: number, end: number): boolean {
  const before = text.slice(Math.max(0, start - 16), start);
  const after = text.slice(end, end + 12);
  return (
    new RegExp(`${MONTH.source}\\s*(?:\\d{1,2},?\\s*)?$`, 'i').test(before) ||
    new RegExp(`^(?:st|nd|rd|th)?\\s+${MONTH.source}`, 'i').test(after)
  );
}

/** Role cues: a regular expression over the unquoted task, and the roles of its numbered groups. */
const ROLE_CUES: [RegExp, ValueRole[]][] = [
  // "3 of item 5521", "2 x pet #40", "buy 4 of the 812"
  [
    /\b(\d+)\s*(?:x|×|of)\s+(?:(?:the|item|items|product|number|no\.?|#)\s*){0,3}#?(\d+)\b/gi,
    ['quantity', 'item'],
  ],
  [/\bpage\s+(?:number\s+|no\.?\s*|#)?(\d+)\b/gi, ['page']],
  [/\b(\d+)\s+(?:\w+\s+)?(?:per|a|each)\s+page\b/gi, ['pageSize']],
  [/\bpage\s+size\s+(?:of\s+)?(\d+)\b/gi, ['pageSize']],
  [/\b(?:skip(?:ping)?|offset|after|past)\s+(?:the\s+first\s+)?(\d+)\b/gi, ['offset']],
  [
    /\b(?:first|top|latest|last|newest|at most|up to|max(?:imum)?|only|just|limit(?:ed)? to)\s+(\d+)\b/gi,
    ['count'],
  ],
  [/\b(\d+)\s+(?:latest|newest|most recent|results?|items?|entries|records?|rows?|hits?)\b/gi, ['count']],
];

/** Range cues between two stated values: "from A through B", "between A and B", "A to B". */
const RANGE = /^\s*(?:-|–|to|through|thru|until|till|and)\s*$/i;

/** The cues with their digit groups also taking number words ("ten per page"). */
const WORD_CUES: [RegExp, ValueRole[]][] = ROLE_CUES.map(([re, roles]) => [
  new RegExp(re.source.replaceAll('(\\d+)', `(\\d+|${SAID_WORDS})`), re.flags),
  roles,
]);

function assignRoles(bare: string, values: StatedValue[]): void {
  const at = new Map(values.map((v) => [v.start, v]));
  for (const [re, roles] of WORD_CUES)
    for (const m of bare.matchAll(re)) {
      let from = m.index;
      roles.forEach((role, g) => {
        const digits = m[g + 1]!;
        const start = bare.indexOf(digits, from);
        from = start + digits.length;
        const v = at.get(start);
        if (v && v.role === null && v.kind === 'number') v.role = role;
      });
    }
  for (let i = 0; i + 1 < values.length; i++) {
    const [a, b] = [values[i]!, values[i + 1]!];
    if (a.kind !== b.kind || (a.kind !== 'date' && a.kind !== 'number') || a.role || b.role) continue;
    const lead = bare.slice(Math.max(0, a.start - 10), a.start);
    if (RANGE.test(bare.slice(a.end, b.start)) && /\b(?:from|between|since)\s+$/i.test(lead)) {
      a.role = 'start';
      b.role = 'end';
    }
  }
}

/** The stated values of one kind (any role), in task order. */
export const valuesOf = (e: TaskEvidence, ...kinds: ValueKind[]): StatedValue[] =>
  e.values.filter((v) => kinds.includes(v.kind));

/**
 * True when the task states `value` for a field: verbatim (case aside), or as a number the task states in
 * another notation ("7.50" for 7.5). Values said as words (enum names, dates by month name) are the
 * data module's stated-value check's business (data/stated.ts), which covers those forms.
 */
export function statesValue(e: TaskEvidence, value: unknown): boolean {
  if (value === null || value === undefined) return false;
  const text = String(value);
  if (text.length === 0) return false;
  // A number is no piece of a longer value: "2024" of a date, "77" of "olduser77", digits of an id.
  const task = typeof value === 'number' ? withoutLongValues(e) : e.task;
  if (task.toLowerCase().includes(text.toLowerCase())) return true;
  return typeof value === 'number' && e.values.some((v) => v.kind === 'number' && Number(v.text) === value);
}

/** The task with its dates, ids, URLs, emails and identifier-like tokens blanked (same length). */
function withoutLongValues(e: TaskEvidence): string {
  let out = e.task;
  for (const v of e.values)
    if (v.kind !== 'number' && v.kind !== 'quoted')
      out = out.slice(0, v.start) + ' '.repeat(v.end - v.start) + out.slice(v.end);
  return out;
}

/**
 * True when the task states `text` as a whole token (case aside): not inside a longer word, so "d" is not
 * stated by "delete", nor "user77" by "olduser77".
 */
export function statesToken(e: TaskEvidence, text: string): boolean {
  if (text.length === 0) return false;
  const esc = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![A-Za-z0-9])${esc}(?![A-Za-z0-9])`, 'i').test(e.task);
}
