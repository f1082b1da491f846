/**
 * The operations a task can ground.
 *
 * Ids. A required path parameter of format `uuid` names one existing resource; when the task holds no UUID,
 * every call to such an operation would carry an id the user never gave (the copy constraint, grammar/copy.ts,
 * can only offer the spec's example id or leave the value free), so it cannot be the call the user meant. Those
 * operations are left out of the task's grammar (groundedCatalog; the prompt stays the full spec's) and the
 * model picks among the rest: "cancel my booking" without an id gets the listing, not DELETE on an invented id.
 * Likewise, a task with no id-like value at all ("all the suspended SIM cards") leaves out the operations on one
 * item, or of anything under it, whose collection the spec lists (`GET /Sims/{Sid}` beside `GET /Sims`).
 *
 * Siblings. Operations sharing a method and a first path segment (a resource and its sub-resources:
 * `GET /glossaries/{glossary_id}` and `…/entries`) are told apart by the words only one of them has (literal path
 * segments, operationId, summary, minus the words the family shares). When the task holds such words (exactly,
 * light-stemmed, or within one typo: "glosary"; not after a negation: "without the entries") for exactly one
 * member more than for any other, the others are masked while the answer writes its operation (SiblingMask): the
 * model still chooses the method and the first segment, because matching the task against every path breaks as
 * many tasks as it fixes (a station named in a trip search is no reason for /stations).
 */
import { ID_WORDS, identWords } from '../../data/words.js';
import { taskEvidence } from '../../language/evidence.js';
import { contentWords, stem, stemIn, taskStems, unnegated } from '../../language/lexicon.js';
import type { Catalog, Operation } from '../../specs/types.js';
import type { AllowedLogits } from '../decode.js';
import { opName } from '../grammar/target.js';
import type { LogitsProcessor, OpStep } from './step.js';

/** The uuid grammar of grammar/formats.ts (8-4-4-4-12 hex digits, either case) as a search pattern. */
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** One filtered catalog per catalog (its object identity keys the cached grammar, see call-grammar.ts). */
const withoutIdOps = new WeakMap<Catalog, Catalog>();
const withoutItemOps = new WeakMap<Catalog, Catalog>();

export const needsUuid = (op: Catalog['operations'][number]): boolean =>
  op.parameters.some((p) => p.in === 'path' && p.required && p.schema.format === 'uuid');

/**
 * A path parameter that holds an id: an integer, a uuid, or a name ending in an id word; not an enum, whose
 * values a task says by name ("holidays in Ontario" → `provinceId` ON).
 */
function idParam(p: Operation['parameters'][number]): boolean {
  if (p.in !== 'path' || !p.required || Array.isArray(p.schema.enum)) return false;
  if (p.schema.type === 'integer' || p.schema.format === 'uuid') return true;
  return ID_WORDS.has(identWords(p.name).at(-1) ?? '');
}

/**
 * The reads of one item, or of anything under it, of a collection the spec can also list (`GET /Sims/{Sid}` and
 * `GET /Sims/{SimSid}/DataSessions` beside `GET /Sims`): with no id-like value in the task ("all the suspended
 * SIM cards"), the listing is what the task means. Only reads: `POST /pet/{petId}` (an update) beside
 * `POST /pet` (a create) is another action, asked for when the id is.
 */
function itemOps(catalog: Catalog): Set<Operation> {
  const reads = new Set(catalog.operations.filter((op) => op.method === 'GET').map((op) => op.path));
  return new Set(
    catalog.operations.filter((op) => {
      if (op.method !== 'GET') return false;
      return [...op.path.matchAll(/\/\{([^}/]+)\}/g)].some((m) => {
        const param = op.parameters.find((p) => p.in === 'path' && p.name === m[1]);
        return !!param && idParam(param) && reads.has(op.path.slice(0, m.index));
      });
    }),
  );
}

/** A stated value an id can be: anything but a date (digits, ids, codes, quoted names, emails, links). */
const holdsIdValue = (task: string): boolean => taskEvidence(task).values.some((v) => v.kind !== 'date');

/**
 * The catalog the task can ground. Without a UUID in the task, the operations that need a UUID path parameter
 * are left out; without any id-like value, so are the item operations whose collection the spec lists
 * (itemOps). `catalog` itself when nothing is left out, or everything would be (nothing better to choose).
 */
export function groundedCatalog(catalog: Catalog, task: string): Catalog {
  if (UUID.test(task)) return catalog;
  const idless = !holdsIdValue(task);
  const cache = idless ? withoutItemOps : withoutIdOps;
  let filtered = cache.get(catalog);
  if (!filtered) {
    const items = idless ? itemOps(catalog) : new Set<Operation>();
    const keep = catalog.operations.filter((op) => !needsUuid(op) && !items.has(op));
    filtered =
      keep.length === 0 || keep.length === catalog.operations.length
        ? catalog
        : { ...catalog, operations: keep };
    cache.set(catalog, filtered);
  }
  return filtered;
}

const OPEN = '{"op":"';

/**
 * Masks, while the answer writes its `op`, every token leading only to a ruled-out operation (ruledOutSiblings
 * of the task). A mask rather than a smaller catalog: the spec's one grammar stays cached and warm (a grammar
 * per filtered catalog costs 30-130 ms of cold mask building per new combination).
 */
export class SiblingMask implements LogitsProcessor<OpStep> {
  readonly reason = 'the task names words only one member of a resource family has, so the others are out';
  private readonly kept: string[];
  constructor(catalog: Catalog, ruledOut: readonly Operation[]) {
    const out = new Set(ruledOut);
    this.kept = catalog.operations.filter((op) => !out.has(op)).map((op) => `${opName(op)}"`);
  }

  apply({ answer, textOf }: OpStep, { ids, logits }: AllowedLogits): boolean {
    if (!answer.startsWith(OPEN)) return false;
    const written = answer.slice(OPEN.length);
    if (written.includes('"')) return false;
    const masked: number[] = [];
    for (let k = 0; k < ids.length; k++) {
      if (logits[k] === -Infinity) continue;
      const next = written + textOf(ids[k]!);
      if (!this.kept.some((n) => n.startsWith(next) || next.startsWith(n))) masked.push(k);
    }
    // Never mask every allowed token (the grammar only reaches here through kept prefixes, but stay safe).
    if (masked.length < ids.length) for (const k of masked) logits[k] = -Infinity;
    return true;
  }
}

/** An operation's word stems: literal path segments, operationId and summary. */
function opStems(op: Operation): Set<string> {
  const literal = op.path
    .split('/')
    .filter((s) => s !== '' && !s.startsWith('{'))
    .join(' ');
  const words = identWords(`${literal} ${op.operationId ?? ''} ${op.summary ?? ''}`);
  return new Set(contentWords(words).map(stem));
}

/** `METHOD /first-segment`: the members of one family differ only after it. */
const family = (op: Operation): string => `${op.method.toUpperCase()} /${op.path.split('/')[1] ?? ''}`;

/** A family of two or more operations and, per member, the word stems no other member has. */
interface Family {
  members: Operation[];
  distinct: string[][];
}

const familyCache = new WeakMap<Catalog, Family[]>();

/** The catalog's families of two or more members (task-independent, made once per catalog). */
function familiesOf(catalog: Catalog): Family[] {
  let out = familyCache.get(catalog);
  if (out) return out;
  const byKey = new Map<string, Operation[]>();
  for (const op of catalog.operations) byKey.set(family(op), [...(byKey.get(family(op)) ?? []), op]);
  out = [...byKey.values()]
    .filter((members) => members.length > 1)
    .map((members) => {
      const words = members.map(opStems);
      const shared = words.reduce((acc, ws) => new Set([...acc].filter((w) => ws.has(w))));
      return { members, distinct: words.map((ws) => [...ws].filter((w) => !shared.has(w))) };
    });
  familyCache.set(catalog, out);
  return out;
}

/** The family members that another member's distinguishing words, found in the task, rule out. */
export function ruledOutSiblings(catalog: Catalog, task: string): Operation[] {
  const families = familiesOf(catalog);
  if (families.length === 0) return [];
  const stems = taskStems(unnegated(task));
  const inTask = stemIn(stems);
  const out: Operation[] = [];
  for (const { members, distinct } of families) {
    const scores = distinct.map((ws) => ws.filter(inTask).length);
    const top = Math.max(...scores);
    if (top === 0 || scores.filter((s) => s === top).length > 1) continue;
    out.push(...members.filter((_, i) => scores[i] !== top));
  }
  return out;
}
