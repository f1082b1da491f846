/**
 * A lexical prior on optional parameters: when the task names an optional parameter of the chosen operation
 * (its name's words, or one of its enum values, appear in the task outside quoted values) and the call does
 * not carry it yet, the tokens that open that parameter's key get a fixed logit bonus. The model still
 * decides: the bonus only flips close calls between closing the object (`}`) and writing that key.
 *
 * Why: the trained adapters' commonest exact-call error on eval-dev is an optional parameter the task states
 * but the call leaves out ("where bicycles are allowed" → bicycles, "a formal tone" → formality, "with the
 * prompt …" → prompt), because most synthetic tasks state no optional parameter at all and the model learns
 * that closing the object is the safe bet. Parameters the task does not name get nothing, so the prior cannot
 * add the unasked extras that the data generator's realistic optional counts removed.
 *
 * A parameter is also named by a value the task states for it: an enum value by code or by the spec's own name
 * for it ("from French" → `source_lang`, statedEnumValues), or a count the task asks for when the parameter is a
 * result count ("just the first 5 results" → `limit`, countGrounded). Once such an enum key is being written,
 * the tokens of the stated value get DEFAULT_VALUE_BIAS ("English to Dutch" had become `NL` → `DE`).
 *
 * Scope: the top-level `query` and `body` objects of the target (target.ts) and the objects of an array body;
 * nested objects (a payment's `source`) are left to the model.
 */
import { routeSide } from '../data/mention.js';
import { collectCodeNames, enumWordForms, type CodeNames } from '../data/names.js';
import { escapeRegExp, identWords } from '../data/words.js';
import {
  COMMON_VALUES,
  FUNCTION_WORDS,
  NAME_FILLER,
  SYNONYMS,
  stem,
  stemIn,
  taskStems,
  unquoted,
} from '../language/lexicon.js';
import { taskEvidence } from '../language/evidence.js';
import type { Catalog, JsonSchema } from '../specs/types.js';
import type { Tokenizer } from '../model/tokenizer/types.js';
import { opName, targetLayout } from './grammar/target.js';
import type { AllowedLogits } from './decode.js';
import { JsonScan } from './json-scan.js';
import { argmax } from './sample.js';

/** Only tokens holding one of these can end a value and begin a key. */
const STRUCTURAL = /[,{]/;

/** Logit bonus for a token that opens a grounded key; measured on eval-dev (see README "Inference"). */
export const DEFAULT_KEY_BIAS = 3;
/**
 * Logit bonus for the tokens of an enum value the task states ("into British English" → `EN-GB`). Larger than
 * the key's: a stated name is stronger evidence than a named parameter. On the session-4 deepl adapter, 3 left
 * "from French into British English" at `BG`; 6 and a hard mask scored the same (exact 80 → 85 %).
 */
export const DEFAULT_VALUE_BIAS = 6;

/** The values a task states outside any parameter name: its quoted strings and its bare numbers. */
export interface TaskValues {
  strings: string[];
  numbers: string[];
}

/**
 * A task's quoted strings (two characters or more) and the numbers written as words of their own outside quotes
 * ("just the first 5 results", "Pay 49.99 EUR"; not the digits of an id, a date-time, a URL or "12/2027", nor
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
  let found = false;
  for (let i = task.indexOf(copied); i >= 0; i = task.indexOf(copied, i + 1)) {
    found = true;
    const end = i + copied.length;
    const next = task[end] ?? '';
    const inWord = /[A-Za-z0-9]/.test(next) && /[A-Za-z0-9]$/.test(copied);
    const joined = /[,;]/.test(next) && /\S/.test(task[end + 1] ?? ' ');
    if (!inWord && !joined) return false;
  }
  return found;
}

/** Stems of the content words of a key's name and description ("A regex matching receivers" → match, …). */
export function labelStems(name: string, description: string): Set<string> {
  return new Set(
    [...identWords(name), ...identWords(description)]
      .filter((w) => w.length >= 3 && !FUNCTION_WORDS.has(w))
      .map(stem),
  );
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

/** The digits (sign, point) a compact JSON prefix ends with: a number being written. */
const TRAILING_SCALAR = /[-+.0-9]+$/;

/** At a scalar value of the innermost object: its key and the digits typed so far ('' before the first). */
function numberAt(
  scan: JsonScan,
  at: { key: string; typed: string } | null,
  answer: string,
): { key: string; typed: string } | null {
  if (at !== null) return at.typed === '' ? at : null;
  const key = scan.keys().at(-1);
  const typed = TRAILING_SCALAR.exec(answer)?.[0];
  return key !== undefined && typed !== undefined && !scan.atKeyName() ? { key, typed } : null;
}

/** The kinds of value (`number`, `string`) the task states that the answer so far does not hold. */
function unusedKinds(values: TaskValues, patterns: RegExp[], answer: string): Set<ValueKind> {
  const out = new Set<ValueKind>();
  if (values.strings.some((v) => !answer.includes(JSON.stringify(v).slice(1, -1)))) out.add('string');
  if (patterns.some((re) => !re.test(answer))) out.add('number');
  return out;
}

type ValueKind = 'number' | 'string';

/**
 * True while a value may still be being written: inside a string, or after digits that begin a longer stated
 * number ("49" of 49.99). Unused values then say nothing: raising the tokens that close the value and begin a
 * key would cut it short.
 */
function midValue(at: { typed: string } | null, answer: string, numbers: readonly string[]): boolean {
  if (at?.typed.startsWith('"')) return true;
  const scalar = TRAILING_SCALAR.exec(answer)?.[0];
  return scalar !== undefined && numbers.some((n) => n.length > scalar.length && n.startsWith(scalar));
}

/** The kind of value a key takes that a task could state bare: a free string (or strings), or a number. */
function valueKind(schema: JsonSchema | undefined): ValueKind | null {
  if (!schema || Array.isArray(schema.enum)) return null;
  if (schema.type === 'integer' || schema.type === 'number') return 'number';
  if (schema.type === 'string') return 'string';
  if (schema.type === 'array' && schema.items && !Array.isArray(schema.items))
    return valueKind(schema.items as JsonSchema) === 'string' ? 'string' : null;
  return null;
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
 * name in the task: `maxUrls` needs "URLs") and the task asks for a count ("just the first 5 results").
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

const codeNamesOf = new WeakMap<Catalog, CodeNames>();

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

const content = (ws: string[], stop: ReadonlySet<string>): string[] =>
  ws.filter((w) => w.length >= 3 && !stop.has(w));

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

/** Properties of an object schema, through allOf (merged) — the forms target.ts's bodies take. */
function properties(schema: JsonSchema | undefined): Record<string, JsonSchema> {
  if (!schema) return {};
  const own = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const merged = (schema.allOf ?? []).map((s) => properties(s as JsonSchema));
  return Object.assign({}, ...merged, own) as Record<string, JsonSchema>;
}

/** A section's properties in schema order (the grammar's order) and the grounded ones among them. */
interface Section {
  order: string[];
  grounded: Set<string>;
  /** Keys whose value the task would spell out (free strings, numbers), so writing them is evidence itself. */
  valued: Set<string>;
  /** Enum keys (required ones too) → the values the task states for them (statedEnumValues). */
  stated: Map<string, string[]>;
  /** Keys that take a bare value (valueKind): optional ones have evidence while the task has an unused value of the kind. */
  takes: Map<string, ValueKind>;
  required: Set<string>;
  /** Free-string keys → the stems of their name's and description's content words (labelStems). */
  labels: Map<string, Set<string>>;
  /** Optional flags no word of whose name the task holds (flagMentioned): the data never writes such a flag. */
  unmentioned: Set<string>;
}

/** A scalar the task states verbatim (a copied string, digits), unlike a flag, an enum code or a structure. */
function carriesValue(schema: JsonSchema | undefined): boolean {
  return valueKind(schema) !== null && schema?.type !== 'array';
}

/** Required property names, through allOf. */
function requiredOf(schema: JsonSchema | undefined): string[] {
  if (!schema) return [];
  const own = Array.isArray(schema.required) ? schema.required : [];
  return [...own, ...(schema.allOf ?? []).flatMap((s) => requiredOf(s as JsonSchema))];
}

/**
 * The grounding of one operation's sections for a task, made when the answer first reaches that operation
 * (a task is answered with one operation; grounding all of a large spec's cost ~10 ms per task).
 */
function operationGrounding(
  catalog: Catalog,
  task: string,
  hasValues: boolean,
): (name: string) => Map<string, Section> | undefined {
  const ops = new Map(catalog.operations.map((op) => [opName(op), op]));
  const done = new Map<string, Map<string, Section>>();
  let stems: Set<string> | undefined;
  return (name) => {
    const op = ops.get(name);
    if (!op) return undefined;
    let sections = done.get(name);
    if (sections) return sections;
    stems ??= taskStems(task);
    let codeNames = codeNamesOf.get(catalog);
    if (!codeNames) codeNamesOf.set(catalog, (codeNames = collectCodeNames(catalog)));
    const names = codeNames;
    const words = stems;
    const inTask = stemIn(words);
    sections = new Map<string, Section>();
    const add = (
      section: string,
      schema: JsonSchema | undefined,
      describe: (name: string) => string,
    ): void => {
      const props = properties(schema);
      const required = new Set(requiredOf(schema));
      const stated = new Map(
        Object.entries(props)
          .map(([n, s]) => [n, statedEnumValues(n, s, task, names)] as const)
          .filter(([, vs]) => vs.length > 0),
      );
      const keys = Object.keys(props).filter(
        (n) =>
          !required.has(n) &&
          (grounded(n, props[n], words) || stated.has(n) || countGrounded(n, props[n], task, words)),
      );
      const unmentioned = new Set(
        Object.keys(props).filter(
          (n) => !required.has(n) && props[n]?.type === 'boolean' && !flagMentioned(n, inTask),
        ),
      );
      const takes = new Map(
        Object.keys(props).flatMap((n) => {
          const kind = valueKind(props[n]);
          return kind === null ? [] : [[n, kind] as const];
        }),
      );
      if (
        keys.length > 0 ||
        stated.size > 0 ||
        unmentioned.size > 0 ||
        [...takes.values()].includes('string') ||
        ([...takes.keys()].some((n) => !required.has(n)) && hasValues)
      )
        sections!.set(section, {
          order: Object.keys(props),
          grounded: new Set(keys),
          valued: new Set(Object.keys(props).filter((n) => carriesValue(props[n]))),
          stated,
          takes,
          required,
          unmentioned,
          labels: new Map(
            [...takes].filter(([, kind]) => kind === 'string').map(([n]) => [n, labelStems(n, describe(n))]),
          ),
        });
    };
    const layout = targetLayout(op);
    const param = (n: string): string =>
      op.parameters.find((p) => p.in === 'query' && p.name === n)?.description ?? '';
    add('query', layout.query ?? undefined, param);
    const body = layout.body?.schema;
    const items =
      body?.type === 'array' && body.items && !Array.isArray(body.items) ? (body.items as JsonSchema) : null;
    const own = (schema: JsonSchema | undefined) => (n: string) => properties(schema)[n]?.description ?? '';
    if (items) add('body[]', items, own(items));
    else add('body', body, own(body));
    done.set(name, sections);
    return sections;
  };
}

/**
 * The keys the grammar still allows: properties come in schema order (schema-grammar.ts), so those after the
 * last key written (a key being typed is not in `written` yet).
 */
function reachable(sec: Section, written: readonly string[]): string[] {
  const last = written.length === 0 ? -1 : sec.order.indexOf(written[written.length - 1]!);
  return sec.order.slice(last + 1);
}

/** The section the scanner's innermost object is, or null outside `query`, `body` and an array body's items. */
function sectionOf(scan: JsonScan): string | null {
  const path = scan.path();
  if (path.length === 1 && (path[0] === 'query' || path[0] === 'body')) return path[0];
  if (path.length === 2 && path[0] === 'body' && path[1] === '[]') return 'body[]';
  return null;
}

/**
 * A `biasAllowed` hook (decode.ts) adding `bias` to the tokens that open a grounded, not yet written key of
 * the current section, and `valueBias` to a stated enum value's tokens. `text()` is the answer so far
 * (GrammarMatcher.text()). The operation's grounding is made when the answer reaches it. Null when `bias` is 0.
 */
export function keyPrior(
  catalog: Catalog,
  tokenizer: Tokenizer,
  task: string,
  text: () => string,
  bias = DEFAULT_KEY_BIAS,
  valueBias = DEFAULT_VALUE_BIAS,
): ((allowed: AllowedLogits) => void) | null {
  if (bias === 0) return null;
  const values = taskValues(task);
  const bare = unquoted(task);
  const numberPatterns = values.numbers.map((n) => new RegExp(`(?<![\\w.])${escapeRegExp(n)}(?![\\w.])`));
  const grounding = operationGrounding(catalog, task, values.strings.length + values.numbers.length > 0);
  const textOf = tokenTexts(tokenizer);
  return ({ ids, logits }) => {
    const answer = text();
    const op = /^\{"op":"([^"]+)"/.exec(answer)?.[1];
    const sections = op === undefined ? undefined : grounding(op);
    if (!sections || sections.size === 0) return;
    const scan = JsonScan.of(answer);
    const section = sectionOf(scan);
    const sec = section === null ? undefined : sections.get(section);
    if (!sec || !scan.inObject()) return;
    const at = scan.valueAt();
    const stated = at === null ? undefined : sec.stated.get(at.key);
    if (at !== null && stated !== undefined) {
      // An enum value the task states: its tokens are raised against the enum's other values.
      const quoted = stated.map((v) => `"${v}"`);
      for (let k = 0; k < ids.length; k++) {
        const next = at.typed + textOf(ids[k]!);
        if (quoted.some((q) => q.startsWith(next) || next.startsWith(q))) logits[k] = logits[k]! + valueBias;
      }
      return;
    }
    if (at !== null && at.typed === '"' && sec.labels.has(at.key)) {
      // A free string's first token: a copy that would begin at the word labelling the value is lowered.
      const labels = sec.labels.get(at.key)!;
      for (let k = 0; k < ids.length; k++)
        if (startsAtLabel(task, textOf(ids[k]!), labels, bare)) logits[k] = logits[k]! - bias;
      return;
    }
    if (
      at !== null &&
      at.typed.length > 1 &&
      sec.takes.get(at.key) === 'string' &&
      cutShort(task, at.typed.slice(1))
    ) {
      // A free string copied from the task that would end mid-word ("Franc" of "Francis") or before a comma
      // that joins on without a space ("cart" of "cart,Warenkorb"): the tokens that close it are lowered.
      for (let k = 0; k < ids.length; k++) {
        const after = scan.clone();
        after.feed(textOf(ids[k]!));
        if (after.valueAt()?.typed.startsWith('"') !== true) logits[k] = logits[k]! - valueBias;
      }
      return;
    }
    const number = numberAt(scan, at, answer);
    if (number !== null && sec.takes.get(number.key) === 'number') {
      // A number key's value: the digits of a number the task states and the answer has not used yet are
      // raised, as a string value is copied from the task ("the first 5 results" had become `"limit":1`).
      // Once the digits typed are a whole stated number (or none can follow), the close-or-continue choice below.
      const before = answer.slice(0, answer.length - number.typed.length);
      const open = values.numbers.filter(
        (n, i) =>
          n.length > number.typed.length && n.startsWith(number.typed) && !numberPatterns[i]!.test(before),
      );
      if (open.length > 0) {
        for (let k = 0; k < ids.length; k++) {
          const next = number.typed + textOf(ids[k]!);
          if (open.some((n) => n.startsWith(next))) logits[k] = logits[k]! + valueBias;
        }
        return;
      }
    }
    // Evidence for an optional key: the task names it (grounded), and the task states a value of the kind it
    // takes that the answer has not used yet (each worth `bias`).
    const unused =
      sec.takes.size > 0 && !midValue(at, answer, values.numbers)
        ? unusedKinds(values, numberPatterns, answer)
        : new Set<ValueKind>();
    const evidence = (k: string): number => {
      if (sec.required.has(k)) return 0;
      const kind = sec.takes.get(k);
      return (sec.grounded.has(k) ? bias : 0) + (kind !== undefined && unused.has(kind) ? bias : 0);
    };
    const ahead = reachable(sec, scan.keys());
    const open = ahead.filter((k) => evidence(k) > 0);
    if (open.length === 0 && (sec.unmentioned.size === 0 || !scan.atKeyName())) return;
    const depth = scan.depth();
    const before = scan.keys().length;
    const started = (id: number): string | null => {
      const after = scan.clone();
      after.feed(textOf(id));
      return after.keyStarted(depth, before);
    };
    if (scan.atKeyName()) {
      // Naming a key. Keys come in schema order, so writing one gives up every key before it, and a value
      // kind once no key after it takes that kind. A key that gives up evidence this way is lowered by `bias`
      // (a later key with evidence stays reachable after an earlier one: "related to 'billing', at most 200
      // links" writes `search` before `limit`); the others are raised by their evidence. Unless the model is
      // heading for an optional key without evidence that carries a stated value (a passenger's name): that
      // key has its own evidence, and a later close-or-continue choice raises the others again. A flag the
      // task does not mention (flagMentioned) is lowered by `bias` too: "dog frendly trains" is no `bicycles`.
      const kindAfter = (i: number, kind: ValueKind): boolean =>
        ahead.slice(i + 1).some((x) => sec.takes.get(x) === kind);
      // The unused kinds some reachable key can still take (only those can be stranded).
      const takeable = [...unused].filter((kind) => kindAfter(-1, kind));
      const score = new Map(
        ahead.map((k, i) => {
          const skips = ahead.slice(0, i).some((x) => sec.grounded.has(x));
          const strands = takeable.some((kind) => sec.takes.get(k) !== kind && !kindAfter(i, kind));
          return [k, skips || strands || sec.unmentioned.has(k) ? -bias : evidence(k)] as const;
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
      return;
    }
    /** The most evidence among the keys a token may open (0: none). */
    const bonus = (id: number): number => {
      const p = started(id);
      if (p === null) return 0;
      let best = 0;
      for (const k of open) if (`${k}"`.startsWith(p)) best = Math.max(best, evidence(k));
      return best;
    };
    // Inside or after a value: the tokens that close it and begin a new key (`,` `","` `",\"`…) versus `}`.
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!;
      if (STRUCTURAL.test(textOf(id))) logits[k] = logits[k]! + bonus(id);
    }
  };
}

/** A token's text, decoded once per token (cached for the hook's life). */
export function tokenTexts(tokenizer: Tokenizer): (id: number) => string {
  const decoder = new TextDecoder();
  const cache = new Map<number, string>();
  return (id) => {
    let t = cache.get(id);
    if (t === undefined) {
      t = decoder.decode(tokenizer.tokenBytes(id));
      cache.set(id, t);
    }
    return t;
  };
}
