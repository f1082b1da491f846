/**
 * The evidence of a task against one operation's target sections (`query`, `body`, the items of an array body;
 * grammar/target.ts): per key, whether the task names it, the enum values it states for it, the kind of bare
 * value it takes, its label words, and the flags the task never mentions. Made once per task and operation,
 * when the answer first reaches that operation; the decode-time processors read it at every step.
 */
import { collectCodeNames, type CodeNames } from '../../data/names.js';
import { taskStems, stemIn } from '../../language/lexicon.js';
import { taskEvidence, type StatedValue } from '../../language/evidence.js';
import {
  countGrounded,
  flagMentioned,
  grounded,
  labelStems,
  labelledValues,
  statedEnumValues,
  type TaskValues,
} from '../../language/naming.js';
import type { Catalog, JsonSchema } from '../../specs/types.js';
import { opName, targetLayout } from '../grammar/target.js';
import type { JsonScan } from '../json-scan.js';

/** The digits (sign, point) a compact JSON prefix ends with: a number being written. */
const TRAILING_SCALAR = /[-+.0-9]+$/;

/** At a scalar value of the innermost object: its key and the digits typed so far ('' before the first). */
export function numberAt(
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
export function unusedKinds(values: TaskValues, patterns: RegExp[], answer: string): Set<ValueKind> {
  const out = new Set<ValueKind>();
  if (values.strings.some((v) => !answer.includes(JSON.stringify(v).slice(1, -1)))) out.add('string');
  if (patterns.some((re) => !re.test(answer))) out.add('number');
  return out;
}

export type ValueKind = 'number' | 'string';

/**
 * True while a value may still be being written: inside a string, or after digits that begin a longer stated
 * number ("49" of 49.99). Unused values then say nothing: raising the tokens that close the value and begin a
 * key would cut it short.
 */
export function midValue(at: { typed: string } | null, answer: string, numbers: readonly string[]): boolean {
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

const codeNamesOf = new WeakMap<Catalog, CodeNames>();

/** Properties of an object schema, through allOf (merged) — the forms target.ts's bodies take. */
function properties(schema: JsonSchema | undefined): Record<string, JsonSchema> {
  if (!schema) return {};
  const own = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const merged = (schema.allOf ?? []).map((s) => properties(s as JsonSchema));
  return Object.assign({}, ...merged, own) as Record<string, JsonSchema>;
}

/** A section's properties in schema order (the grammar's order) and the grounded ones among them. */
export interface Section {
  order: string[];
  grounded: Set<string>;
  /** Keys whose value the task would spell out (free strings, numbers), so writing them is evidence itself. */
  valued: Set<string>;
  /** Enum keys (required ones too) → the values the task states for them (statedEnumValues). */
  stated: Map<string, string[]>;
  /** Keys → the stated values the task labels with the key's name (labelledValues). */
  labelled: Map<string, string[]>;
  /** Keys of format date or date-time. */
  dated: Set<string>;
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
export function operationGrounding(
  catalog: Catalog,
  task: string,
  hasValues: boolean,
): (name: string) => Map<string, Section> | undefined {
  const ops = new Map(catalog.operations.map((op) => [opName(op), op]));
  const done = new Map<string, Map<string, Section>>();
  let stems: Set<string> | undefined;
  let values: StatedValue[] | undefined;
  return (name) => {
    const op = ops.get(name);
    if (!op) return undefined;
    let sections = done.get(name);
    if (sections) return sections;
    stems ??= taskStems(task);
    values ??= taskEvidence(task).values;
    let codeNames = codeNamesOf.get(catalog);
    if (!codeNames) codeNamesOf.set(catalog, (codeNames = collectCodeNames(catalog)));
    const names = codeNames;
    const words = stems;
    const said = values;
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
          labelled: labelledValues(task, said, [...takes.keys()]),
          dated: new Set(
            Object.keys(props).filter((n) => ['date', 'date-time'].includes(props[n]?.format ?? '')),
          ),
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

/** The stated values the task labels for other keys of the section and not for `key` (labelledValues). */
export function claimedElsewhere(sec: Section, key: string): Set<string> {
  const own = new Set(sec.labelled.get(key) ?? []);
  return new Set([...sec.labelled].flatMap(([k, vs]) => (k === key ? [] : vs.filter((v) => !own.has(v)))));
}

/**
 * The keys the grammar still allows: properties come in schema order (schema-grammar.ts), so those after the
 * last key written (a key being typed is not in `written` yet).
 */
export function reachable(sec: Section, written: readonly string[]): string[] {
  const last = written.length === 0 ? -1 : sec.order.indexOf(written[written.length - 1]!);
  return sec.order.slice(last + 1);
}

/** The section the scanner's innermost object is, or null outside `query`, `body` and an array body's items. */
export function sectionOf(scan: JsonScan): string | null {
  const path = scan.path();
  if (path.length === 1 && (path[0] === 'query' || path[0] === 'body')) return path[0];
  if (path.length === 2 && path[0] === 'body' && path[1] === '[]') return 'body[]';
  return null;
}
