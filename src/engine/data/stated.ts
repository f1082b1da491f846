import { FUNCTION_WORDS, SYNONYMS, saysWord } from '../language/lexicon.js';
import type { Catalog, JsonSchema, Operation } from '../specs/types.js';
import { mergeAllOf } from './body.js';
import { withUndeclared } from './shape.js';
import {
  collectCodeNames,
  enumPhrases,
  enumWordForms,
  isBooleanLikeEnum,
  saysYes,
  type CodeNames,
} from './names.js';
import type { TaskExample } from './types.js';
import { MONTHS, SMALL, schemaType } from './values.js';
import { humanize, identWords, singular, stateVerbs } from './words.js';

/**
 * The data invariant the mapper depends on: every value in an example's call is stated in its task, so the model
 * learns to copy values and never to invent one. Strings verbatim (dates in any of the surface forms values.ts
 * writes), enum values by value, name or phrase (names.ts), numbers by digits or a small-number word, booleans by a
 * word of their parameter's name or description. Returns one line per value the task does not state.
 */
export function unstatedValues(
  e: TaskExample,
  catalog: Catalog,
  codeNames: CodeNames = collectCodeNames(catalog),
): string[] {
  const op = catalog.operations.find((o) => o.method === e.expected.method && o.path === e.expected.path);
  if (!op) return [`no operation ${e.expected.method} ${e.expected.path}`];
  const leaves: Leaf[] = [];
  for (const [name, v] of Object.entries(e.expected.pathParams))
    leaves.push({ key: `path.${name}`, name, value: v, schema: {} });
  for (const [name, v] of Object.entries(e.expected.query)) {
    const p = op.parameters.find((x) => x.in === 'query' && x.name === name);
    const schema = p && schemaType(p.schema) === 'array' ? (p.schema.items ?? {}) : (p?.schema ?? {});
    // Query values are strings in the call; compare them as the type the schema declares (a nullable one too).
    const type = schemaType(schema);
    const typed = (x: string): unknown =>
      type === 'boolean'
        ? x === 'true'
        : (type === 'integer' || type === 'number') && x !== '' && !Number.isNaN(Number(x))
          ? Number(x)
          : x;
    for (const one of [v].flat())
      leaves.push({
        key: `query.${name}`,
        name,
        value: typed(one),
        schema,
        description: p?.description ?? p?.schema.description,
      });
  }
  collect(e.expected.body, op.requestBody?.schema ?? {}, 'body', '', leaves, 0);
  const task = e.task.toLowerCase();
  return leaves
    .filter((l) => !isStated(l, task, codeNames, op))
    .map((l) => `${l.key}=${JSON.stringify(l.value)}`);
}

/**
 * True when `task` states `value` for the field `name` (the check unstatedValues applies to each value of a
 * call): verbatim, as a date in another surface form, an enum value by name or phrase, a small number as a word,
 * a boolean by a word of its field.
 */
export function valueStated(
  task: string,
  name: string,
  value: unknown,
  schema: JsonSchema,
  codeNames: CodeNames,
  op: Operation,
): boolean {
  const leaf: Leaf = { key: name, name, value, schema, description: schema.description };
  return isStated(leaf, task.toLowerCase(), codeNames, op);
}

interface Leaf {
  key: string;
  name: string;
  value: unknown;
  schema: JsonSchema;
  description?: string | undefined;
  /** Set for a key of a string map (labels, annotations): the key itself is a value. */
  mapKey?: boolean;
}

function branchOf(v: Record<string, unknown>, s: JsonSchema): JsonSchema {
  const branches = s.oneOf ?? s.anyOf;
  if (!branches) return s;
  const keys = Object.keys(v);
  // Each branch is read with the parent's own properties (a `setid` beside an anyOf of typed variants).
  const { oneOf: _o, anyOf: _a, ...rest } = s;
  const fit = branches
    .map((b) => mergeAllOf({ ...rest, allOf: [b] }))
    .find(
      (b) =>
        keys.every((k) => k in (b.properties ?? {})) &&
        Object.entries(b.properties ?? {}).every(
          ([k, p]) => p.const === undefined || v[k] === undefined || v[k] === p.const,
        ),
    );
  return fit ?? s;
}

function collect(v: unknown, s0: JsonSchema, key: string, name: string, out: Leaf[], depth: number): void {
  const s = mergeAllOf(s0);
  if (depth > 6) return;
  if (Array.isArray(v))
    return v.forEach((x, i) => collect(x, s.items ?? {}, `${key}[${i}]`, name, out, depth + 1));
  if (v !== null && typeof v === 'object') {
    const obj = v as Record<string, unknown>;
    const b = branchOf(obj, s);
    for (const [k, x] of Object.entries(obj)) {
      const known = withUndeclared(b)[k];
      if (!known) out.push({ key: `${key}.${k}`, name: k, value: k, schema: {}, mapKey: true });
      collect(
        x,
        known ?? (typeof b.additionalProperties === 'object' ? b.additionalProperties : {}),
        `${key}.${k}`,
        k,
        out,
        depth + 1,
      );
    }
    return;
  }
  if (v !== null && v !== undefined) out.push({ key, name, value: v, schema: s, description: s.description });
}

/** Words that say nothing about a value: the lexicon's function words and the vocabulary of parameter docs. */
const STOP: ReadonlySet<string> = new Set([
  ...FUNCTION_WORDS,
  'less',
  'language',
  'tone',
  'style',
  'available',
  'have',
  'set',
  'true',
  'false',
  'include',
  'results',
  'returned',
  'return',
  'whether',
]);

/** "2027-04-19…" stated as the ISO date, "April 19, 2027", "19 April 2027" or "Apr 19 2027". */
function dateStated(v: string, task: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(v);
  if (!m) return false;
  if (task.includes(m[0])) return true;
  const month = (MONTHS[Number(m[2]) - 1] as string).toLowerCase();
  return (
    task.includes(m[1] as string) &&
    task.includes(month.slice(0, 3)) &&
    new RegExp(`\\b${Number(m[3])}(?:st|nd|rd|th)?\\b`).test(task)
  );
}

/** Words (4+ letters, stemmed to 4) that say a boolean or an enum phrase. */
const stems = (text: string): string[] =>
  (text.toLowerCase().match(/[a-z]{3,}/g) ?? [])
    .filter((w) => !STOP.has(w))
    .map((w) => singular(w).slice(0, 4));

function isStated(l: Leaf, task: string, codeNames: CodeNames, op: Operation): boolean {
  const v = l.value;
  if (isBooleanLikeEnum(l.schema.enum)) return booleanStated(l, saysYes(v), task, op);
  if (typeof v === 'number')
    return numberSaid(task, v) || (v >= 0 && v <= 10 && SMALL[v] !== undefined && task.includes(SMALL[v]));
  if (typeof v === 'boolean') return booleanStated(l, v, task, op);
  const s = String(v);
  if (task.includes(s.toLowerCase()) || task.includes(humanize(s))) return true;
  if (dateStated(s, task)) return true;
  // A state said as the verb that brings it about ("deactivate store 7" for status `inactive`).
  if (stateVerbs(s).some((verb) => saysWord(task, [verb]))) return true;
  // Prometheus alerts are named by their `alertname` label: "HighCPU alerts" states {alertname: HighCPU}.
  if (l.mapKey && s === 'alertname') return true;
  if (l.name === 'name' && s === 'alertname' && saysWord(task, ['alert', 'alerts'])) return true;
  const values = (l.schema.enum ?? (l.schema.const !== undefined ? [l.schema.const] : [])).map(String);
  if (values.length === 0) return false;
  const forms = enumWordForms(values, l.name, l.description ?? '', codeNames).get(s) ?? [];
  if (forms.some((f) => task.includes(f.toLowerCase()))) return true;
  const phrase = enumPhrases(values, l.description ?? '').get(s);
  const taskStems = new Set(stems(task));
  if (phrase && (stems(phrase).some((w) => taskStems.has(w)) || saysWord(task, phraseWords(phrase))))
    return true;
  // Tone/style comparatives ("friendlier") and humanized codes share the value's stem.
  return op.method !== undefined && stems(s).some((w) => taskStems.has(w));
}

/**
 * True when the task holds `v` as a number of its own: not a piece of a date ("2024" of 2024-03-01), a time,
 * a version, a word ("olduser77") or a longer number.
 */
function numberSaid(task: string, v: number): boolean {
  const digits = String(v).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // "12.50" says 12.5, "3.0" says 3.
  const zeros = Number.isInteger(v) ? '(?:\\.0+)?' : '0*';
  return new RegExp(`(?<![\\w.:-]|\\d[-/])${digits}${zeros}(?![\\w:]|[-/.]\\d)`).test(task);
}

const phraseWords = (text: string): string[] =>
  (text.toLowerCase().match(/[a-z]{4,}/g) ?? []).filter((w) => !STOP.has(w));

function booleanStated(l: Leaf, v: boolean, task: string, op: Operation): boolean {
  // Matchers: `isRegex: false` is the unsaid default; true and `isEqual: false` show in the operator or words.
  if (l.name === 'isRegex')
    return !v || /=~|!~/.test(task) || saysWord(task, ['regex', 'match', 'matches', 'matching']);
  if (l.name === 'isEqual') return v || /!=|!~/.test(task) || saysWord(task, ['not', 'other', 'except']);
  // A flag named by short or function words only (`id_only`) is stated by its whole name ("id only").
  if (task.includes(humanize(l.name).toLowerCase())) return true;
  const said = identWords(l.name).flatMap((w) => [w, ...(SYNONYMS[w] ?? [])]);
  // Description words that also name the operation ("trips" in "only trips where dogs are allowed") say nothing
  // about this flag.
  const opWords = new Set(stems(`${identWords(op.operationId).join(' ')} ${identWords(op.path).join(' ')}`));
  const described = stems(l.description ?? '').filter((w) => !opWords.has(w));
  const words = new Set([...stems(said.join(' ')), ...described]);
  // A typo may hit the word that carries a boolean ("shpw soueces"): three letters still name it.
  if (stems(task).some((w) => words.has(w))) return true;
  return saysWord(
    task,
    said.filter((w) => w.length >= 4 && !STOP.has(w)),
  );
}

/**
 * How many optional values an example's call states: optional query parameters plus optional body fields at any
 * depth (a oneOf discriminator such as `object: "card"` names the variant and is not counted). People state 0–2.
 */
export function optionalCount(e: TaskExample, catalog: Catalog): number {
  const op = catalog.operations.find((o) => o.method === e.expected.method && o.path === e.expected.path);
  if (!op) return 0;
  const query = Object.keys(e.expected.query).filter(
    (k) => !op.parameters.some((p) => p.in === 'query' && p.name === k && p.required),
  ).length;
  return query + optionalIn(e.expected.body, op.requestBody?.schema ?? {}, 0);
}

function optionalIn(v: unknown, s0: JsonSchema, depth: number): number {
  const s = mergeAllOf(s0);
  if (depth > 6) return 0;
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + optionalIn(x, s.items ?? {}, depth + 1), 0);
  if (v === null || typeof v !== 'object') return 0;
  const b = branchOf(v as Record<string, unknown>, s);
  // A string map (labels, annotations) is one value, not a set of optional fields.
  if (!b.properties) return 0;
  const required = new Set(b.required ?? []);
  let n = 0;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const p = b.properties[k];
    if (!required.has(k) && p?.const === undefined) n++;
    if (p) n += optionalIn(x, p, depth + 1);
  }
  return n;
}
