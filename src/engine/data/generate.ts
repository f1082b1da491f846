import { Faker, base, en } from '@faker-js/faker';
import type { Catalog, Operation, Parameter } from '../specs/types.js';
import { schemaChecker } from '../calls/validate.js';
import {
  CONFORM_TRIES,
  inexpressibleRequired,
  isInexpressible,
  mergeAllOf,
  needsCheck,
  sampleBody,
} from './body.js';
import { RejectionLog, exampleDefects, uncheckableReason, unsatisfiableReason } from './check.js';
import { fitsLength, fitsPattern } from './fit.js';
import { FRAMES, applyFrame, type Frame } from './frames.js';
import { buildIntent, type UpdateSays } from './intent.js';
import { fusePairs, listMention, scalarMention, type Mention } from './mention.js';
import { collectCodeNames } from './names.js';
import { contrastPairs, markPluralTwins, optionalNames, sharedIds } from './plan.js';
import { profileOperation, type OpProfile } from './profile.js';
import { Rng, hash32 } from '../rng.js';
import type {
  ExpectedCall,
  GenerateOptions,
  GeneratedDataset,
  SkippedOperation,
  TaskExample,
} from './types.js';
import { addTypos, lowerLiterals, swapSynonyms } from './typos.js';
import { sampleScalar, schemaType, type Sampled, type ValueCtx } from './values.js';
import { val, type Phrase } from './words.js';

/** Default size: a few hundred per spec, scaled with the number of operations. */
export const defaultCount = (operations: number): number => Math.min(4000, Math.max(300, 40 * operations));

/** Why an operation cannot become a task, or null when it can. */
export function inexpressibleReason(op: Operation): string | null {
  const pathObject = op.parameters.find((p) => p.in === 'path' && !queryExpressible(p.schema));
  if (pathObject)
    return `path parameter ${pathObject.name} is an object; one URL segment carries a plain value`;
  const query = op.parameters.find((p) => p.in === 'query' && p.required && !queryExpressible(p.schema));
  if (query)
    return `requires query parameter ${query.name} whose values are objects; a URL query carries plain values`;
  const file = op.parameters.find((p) => p.required && p.in !== 'header' && isInexpressible(p.schema));
  if (file) return `requires parameter ${file.name} whose value is file contents; a task cannot carry them`;
  const rb = op.requestBody;
  if (!rb) return null;
  if (rb.schema === null) return rb.required ? `request body ${rb.contentType} has no schema to fill` : null;
  const binary = inexpressibleRequired(rb.schema);
  if (binary.length > 0)
    return `requires binary upload field(s) ${binary.join(', ')} (${rb.contentType}); a task cannot carry file contents`;
  return null;
}

/** Extra drafts for an operation none of whose drafts passed the checks. */
const RETRIES = 20;

const fitsSchema = (s: Parameter['schema'], v: string): boolean =>
  fitsPattern(s, v) && fitsLength(s, v) && (!s.enum || s.enum.map(String).includes(v));

/** A parameter whose value is a scalar or a list of scalars (what a URL can carry). */
function queryExpressible(s: Parameter['schema']): boolean {
  const one = (x0: Parameter['schema']): boolean => {
    const x = mergeAllOf(x0);
    const t = schemaType(x);
    return t !== 'object' && t !== 'array' && !x.properties;
  };
  return schemaType(s) === 'array' ? one(s.items ?? {}) : one(s);
}

interface Draft {
  expected: ExpectedCall;
  phrase: Phrase;
  family: string;
}

function sampleParam(
  p: Parameter,
  ctx: ValueCtx,
  parent: string,
): { value: string | string[]; mention: Mention } | null {
  const field = {
    name: p.name,
    schema: p.schema,
    description: p.description ?? p.schema.description,
    parent,
  };
  if (schemaType(p.schema) === 'array') {
    const items = p.schema.items ?? { type: 'string' };
    const min = Math.max(1, p.schema.minItems ?? 1);
    const n = Math.min(p.schema.maxItems ?? 2, ctx.rng.chance(0.8) ? min : min + 1);
    const sampled: Sampled[] = [];
    for (let i = 0; i < n; i++) {
      const s = sampleScalar({ ...field, schema: items }, ctx);
      if (s && !sampled.some((x) => x.value === s.value)) sampled.push(s);
    }
    if (sampled.length === 0) return null;
    const values = sampled.map((s) => String(s.value));
    // Task-file convention: an array query parameter given one value is a plain string.
    return {
      value: values.length === 1 ? (values[0] as string) : values,
      mention: listMention(`query.${p.name}`, field, sampled, ctx.rng),
    };
  }
  // A value the schema's `not` or `oneOf` rules out is drawn again, a few times at most.
  const tries = ctx.fits && needsCheck(p.schema) ? CONFORM_TRIES : 1;
  let s: Sampled | null = null;
  for (let i = 0; i < tries; i++) {
    s = sampleScalar(field, ctx);
    if (!s || !ctx.fits || ctx.fits(p.schema, s.value)) break;
  }
  if (!s) return null;
  return { value: String(s.value), mention: scalarMention(`query.${p.name}`, field, s, ctx.rng) };
}

/**
 * How many optional query parameters / optional body fields one task states (each drawn separately). Tuned so
 * about half the tasks of an operation with optional fields state none and about one in twenty states three or
 * more: trained on param-dump tasks, the model fills optional keys from any word of a plain request.
 */
const OPTIONAL_COUNT = [
  [0, 6],
  [1, 4],
  [2, 1],
  [3, 0.25],
] as const;
const OPTIONAL_WITH_FORCED = [
  [0, 5],
  [1, 1],
] as const;

interface Forced {
  ids?: Record<string, Sampled>;
  frame?: Frame;
  /** An optional query parameter or top-level body field this example must state (coverage pass). */
  include?: string;
}

function draftFor(
  prof: OpProfile,
  ctx: ValueCtx,
  forced: Forced = {},
): Draft & { ids: Record<string, Sampled>; frame: Frame } {
  const { op } = prof;
  const rng = ctx.rng;
  const noun = prof.nouns[0] ?? 'item';
  const pathParams: Record<string, string> = {};
  const ids: Record<string, Sampled> = {};
  const idPhrases: Record<string, Phrase> = {};
  for (const p of op.parameters.filter((x) => x.in === 'path')) {
    // An array path parameter (`/Road/{ids}`) is given one item: a comma list is the same call in more words.
    const schema = schemaType(p.schema) === 'array' ? (p.schema.items ?? { type: 'string' }) : p.schema;
    // An id shared from the other operation of a near-miss pair is kept only if it fits this one's schema too.
    const shared = forced.ids?.[p.name];
    const fits = shared !== undefined && fitsSchema(schema, String(shared.value));
    const s = fits
      ? shared
      : sampleScalar({ name: p.name, schema, description: p.description, inPath: true }, ctx);
    if (!s) continue;
    ids[p.name] = s;
    pathParams[p.name] = String(s.value);
    // A path value is said as it is sent: it names one resource, not a quantity or a language.
    idPhrases[p.name] = val(String(s.value));
  }
  const query: Record<string, string | string[]> = {};
  const mentions: Mention[] = [];
  const optional = op.parameters.filter((p) => p.in === 'query' && !p.required && !p.deprecated);
  // People state few optional parameters: mostly none or one, sometimes two, rarely more. A coverage example
  // (forced.include) states its forced field and seldom another, so it does not teach param-dump phrasing.
  const weights = forced.include ? OPTIONAL_WITH_FORCED : OPTIONAL_COUNT;
  const nOpt = rng.weighted(weights);
  const chosen = new Set(rng.shuffle(optional).slice(0, nOpt));
  const must = optional.find((p) => p.name === forced.include);
  if (must) chosen.add(must);
  for (const p of op.parameters.filter((x) => x.in === 'query' && (x.required || chosen.has(x)))) {
    const s = sampleParam(p, ctx, noun);
    if (!s) continue;
    query[p.name] = s.value;
    mentions.push(s.mention);
  }
  let body: unknown = null;
  const rb = op.requestBody;
  if (rb?.schema) {
    const maxOptional = rng.weighted(weights);
    const sampled = sampleBody(
      rb.schema,
      ctx,
      { pOptional: 0.5, maxOptional, manyItems: prof.pluralTwins, include: forced.include },
      noun,
    );
    const empty =
      sampled.value !== null && typeof sampled.value === 'object' && Object.keys(sampled.value).length === 0;
    if (!(empty && !rb.required)) {
      body = sampled.value;
      mentions.push(...sampled.mentions);
    }
  }
  const primary = mentions.find((m) => m.primary) ?? null;
  const { says, said } = intentSays(prof, mentions, rng);
  const intent = buildIntent(prof, idPhrases, primary, rng, says);
  const rest = fusePairs(
    mentions.filter((m) => !(intent.usedPrimary && m === primary) && !said.has(m)),
    rng,
  );
  const ordered = rng.chance(0.6) ? rest : rng.shuffle(rest);
  const frame = forced.frame ?? rng.weighted(FRAMES);
  let phrase = applyFrame(
    frame,
    intent,
    ordered.map((m) => m.clause),
    rng,
  );
  if (frame === 'terse' || frame === 'casual' ? rng.chance(0.7) : rng.chance(0.06))
    phrase = lowerLiterals(phrase);
  if (rng.chance(0.3)) phrase = swapSynonyms(phrase, 0.6, rng);
  if (rng.chance(0.12)) phrase = addTypos(phrase, frame === 'terse' && rng.chance(0.4) ? 2 : 1, rng);
  const expected: ExpectedCall = {
    method: op.method,
    path: op.path,
    operationId: op.operationIdDerived ? null : op.operationId,
    pathParams,
    query,
    body,
  };
  return { expected, phrase, family: `${frame}|${intent.id}`, ids, frame };
}

/**
 * What a task may say in its intent instead of a clause (intent.ts UpdateSays), chosen at random: a list's
 * state filter before the noun half of the time ("list registered assets"), an update's or a creation's state as
 * the action ("suspend sim 42", "a draft asset"), an update of a name as renaming ("rename sim 42 to Truck 12"),
 * and an enum that picks the action as the verb most of the time ("hang up call 42"). `said` are the mentions
 * the intent then carries.
 */
function intentSays(
  prof: OpProfile,
  mentions: Mention[],
  rng: Rng,
): { says: UpdateSays; said: Set<Mention | undefined> } {
  const topBody = (m: Mention): boolean => m.key.startsWith('body.') && !m.key.slice(5).includes('.');
  const modified = mentions.filter(
    (m) =>
      m.modifier &&
      ((prof.kind === 'list' && m.key.startsWith('query.')) ||
        ((prof.kind === 'update' || prof.kind === 'create') && topBody(m))),
  );
  const before = modified.length > 0 && rng.chance(0.5) ? rng.pick(modified) : undefined;
  const named =
    prof.kind === 'update' && !before
      ? mentions.filter((m) => /^body\.\w*(name|title)$/i.test(m.key) && !/unique/i.test(m.key))
      : [];
  const renamed = named.length > 0 && rng.chance(0.4) ? rng.pick(named) : undefined;
  const actions = before || renamed ? [] : mentions.filter((m) => m.verb);
  const acted = actions.length > 0 && rng.chance(0.7) ? rng.pick(actions) : undefined;
  const says: UpdateSays = {
    ...(before?.modifier ? { state: before.modifier } : {}),
    ...(renamed ? { newName: renamed.bare } : {}),
    ...(acted?.verb ? { verb: acted.verb } : {}),
  };
  return { says, said: new Set([before, renamed, acted]) };
}

/**
 * The task text of a phrase, with the spacing and punctuation of its literal parts tidied. Values are kept byte
 * for byte (an ARN's `::` or a text's double space is part of the value the call carries).
 */
export function renderTask(p: Phrase): string {
  const values: string[] = [];
  const text = p
    .map((seg) => (seg.value && seg.text !== '' ? `\uE000${values.push(seg.text) - 1}\uE001` : seg.text))
    .join('')
    .replace(/\s+/g, ' ')
    .replace(/\s+([,.;:?!])(?=\s|$)/g, '$1')
    .replace(/([,;:])\1+/g, '$1')
    .replace(/[.]([?!])$/, '$1')
    .trim();
  return text.replace(/\uE000(\d+)\uE001/g, (_m, i: string) => values[Number(i)] ?? '');
}

/**
 * Synthesises task → call pairs for every expressible operation of a catalog. Deterministic for a seed;
 * de-duplicated by task text; split into train/validation by template family.
 */
export function generateDataset(catalog: Catalog, options: GenerateOptions = {}): GeneratedDataset {
  const seed = options.seed ?? 1;
  const rng = new Rng(seed);
  const faker = new Faker({ locale: [en, base] });
  const ctx: ValueCtx = { rng, faker, codeNames: collectCodeNames(catalog), fits: schemaChecker() };
  const skipped: SkippedOperation[] = [];
  const profiles: OpProfile[] = [];
  for (const op of catalog.operations) {
    const reason = inexpressibleReason(op) ?? uncheckableReason(op, catalog) ?? unsatisfiableReason(op, ctx);
    if (reason) skipped.push({ operationId: op.operationId, method: op.method, path: op.path, reason });
    else profiles.push(profileOperation(op, catalog.title));
  }
  const total = options.count ?? defaultCount(catalog.operations.length);
  const drafts: (Draft & { contrastWith?: string })[] = [];
  const rejected = new RejectionLog();
  if (profiles.length === 0) return { examples: [], skipped, rejected: rejected.report() };
  markPluralTwins(profiles);
  const pairs = contrastPairs(profiles);
  const nContrast = pairs.length > 0 ? Math.floor(total * 0.15) : 0;
  const seen = new Set<string>();
  const kept = new Map<OpProfile, number>();
  const add = (d: Draft & { contrastWith?: string }, prof: OpProfile): void => {
    const task = renderTask(d.phrase);
    const key = task.toLowerCase();
    if (key.length === 0 || seen.has(key)) return;
    seen.add(key);
    const defects = exampleDefects({ task, expected: d.expected }, catalog, ctx.codeNames);
    if (defects.length > 0) return rejected.add(task, d.expected, defects);
    drafts.push(d);
    kept.set(prof, (kept.get(prof) ?? 0) + 1);
  };
  // Coverage first: every optional parameter and body field is stated by a few examples. Sampled uniformly among
  // the 15–20 optional fields of a large body, the ones users actually state (a glossary, a source language)
  // would otherwise appear once or never in a few hundred examples.
  // At most 20 % of the set; past that (very wide bodies) a shuffled share of the fields gets one example each.
  const covered = rng.shuffle(
    profiles.flatMap((prof) => optionalNames(prof).map((name) => [prof, name] as const)),
  );
  // Two examples per field at most: with three, DeepL's 15 optional translate fields made ~45 of its ~80 translate
  // tasks state one exotic option each (model_type, splitting_tags), and the adapter learned to add them unasked.
  const budget = Math.floor(total * 0.2);
  const perField = covered.length === 0 ? 0 : Math.max(1, Math.min(2, Math.floor(budget / covered.length)));
  for (const [prof, name] of covered.slice(0, Math.floor(budget / perField)))
    for (let i = 0; i < perField; i++) {
      faker.seed(rng.seed());
      add(draftFor(prof, ctx, { include: name }), prof);
    }
  const perOp = Math.max(1, Math.floor((total - nContrast - drafts.length) / profiles.length));
  for (const prof of profiles)
    for (let i = 0; i < perOp; i++) {
      faker.seed(rng.seed());
      add(draftFor(prof, ctx), prof);
    }
  // An operation whose drafts were all rejected gets a few more tries, so one bad draw does not lose it.
  for (const prof of profiles)
    for (let i = 0; i < RETRIES && !kept.has(prof); i++) {
      faker.seed(rng.seed());
      add(draftFor(prof, ctx), prof);
    }
  // Near-miss pairs first, then top up with random operations until `total` distinct tasks (bounded attempts).
  for (let i = 0; drafts.length < total && i < total * 3; i++) {
    faker.seed(rng.seed());
    if (i < nContrast / 2 && pairs.length > 0) {
      const [a, b] = rng.pick(pairs);
      const first = draftFor(a, ctx);
      const second = draftFor(b, ctx, { ids: sharedIds(a, b, first.ids), frame: first.frame });
      add({ ...first, family: `contrast|${first.family}`, contrastWith: b.op.operationId }, a);
      add({ ...second, family: `contrast|${second.family}`, contrastWith: a.op.operationId }, b);
    } else {
      const prof = rng.pick(profiles);
      add(draftFor(prof, ctx), prof);
    }
  }
  const examples = finalize(drafts.slice(0, total), options.validationShare ?? 0.15);
  return { examples, skipped, rejected: rejected.report() };
}

function finalize(drafts: (Draft & { contrastWith?: string })[], validationShare: number): TaskExample[] {
  const seen = new Set<string>();
  const out: TaskExample[] = [];
  for (const d of drafts) {
    const task = renderTask(d.phrase);
    const key = task.toLowerCase();
    if (seen.has(key) || task.length === 0) continue;
    seen.add(key);
    const split = (hash32(d.family) % 1000) / 1000 < validationShare ? 'validation' : 'train';
    const meta = {
      family: d.family,
      operationId: d.expected.operationId,
      source: 'synthetic' as const,
      split: split as 'train' | 'validation',
    };
    out.push({
      task,
      expected: d.expected,
      meta: d.contrastWith ? { ...meta, contrastWith: d.contrastWith } : meta,
    });
  }
  // Every operation must keep training examples even when all its families fell into validation.
  const trained = new Set(
    out.filter((e) => e.meta.split === 'train').map((e) => `${e.expected.method} ${e.expected.path}`),
  );
  for (const e of out) if (!trained.has(`${e.expected.method} ${e.expected.path}`)) e.meta.split = 'train';
  return out;
}
