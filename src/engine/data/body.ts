import type { JsonSchema } from '../specs/types.js';
import { fuseMatcher } from './matcher.js';
import { arePair, listMention, scalarMention, type Mention } from './mention.js';
import { sampleScalar, schemaType, type Sampled, type ValueCtx } from './values.js';
import { mapKey, objectMapEntry, withUndeclared } from './shape.js';
import { fuseSaid, labelMap, orderRange } from './together.js';
import { article, humanize, lit, singular, val, type Phrase } from './words.js';

/** Merges `allOf` parts (properties and required lists) into one object schema. */
export function mergeAllOf(s: JsonSchema): JsonSchema {
  if (!s.allOf || s.allOf.length === 0) return s;
  const { allOf, ...rest } = s;
  let out: JsonSchema = { ...rest };
  for (const part0 of allOf) {
    const part = mergeAllOf(part0);
    out = {
      ...part,
      ...out,
      type: out.type ?? part.type,
      properties: { ...(part.properties ?? {}), ...(out.properties ?? {}) },
      required: [...new Set([...(part.required ?? []), ...(out.required ?? [])])],
    };
    if (part.items && !out.items) out.items = part.items;
    if (part.additionalProperties !== undefined && out.additionalProperties === undefined)
      out.additionalProperties = part.additionalProperties;
  }
  if (out.properties && Object.keys(out.properties).length === 0 && !s.properties) delete out.properties;
  if (out.required?.length === 0) delete out.required;
  return out;
}

/** Resolves allOf and picks one oneOf/anyOf branch (merged with the parent's own keywords). */
export function resolveSchema(s: JsonSchema, pickBranch: (n: number) => number): JsonSchema {
  let cur = mergeAllOf(s);
  const branches = cur.oneOf ?? cur.anyOf;
  if (branches && branches.length > 0) {
    const { oneOf: _o, anyOf: _a, ...rest } = cur;
    const branch = mergeAllOf(branches[pickBranch(branches.length)] as JsonSchema);
    cur = mergeAllOf({ ...rest, allOf: [branch] });
  }
  return cur;
}

export interface BodyOptions {
  /** Probability that one optional field is stated. */
  pOptional: number;
  /** Most optional fields stated per object. */
  maxOptional: number;
  /**
   * Top-level array fields that must hold at least two items: the plural twin of another operation's field
   * (batch `urls` beside single `url`), where one item would make the task read as the other operation.
   */
  manyItems?: ReadonlySet<string>;
  /** A top-level optional field that must be stated. */
  include?: string | undefined;
}

export interface SampledBody {
  value: unknown;
  mentions: Mention[];
}

/** True for a value the generator cannot put in words (binary uploads, free-form objects). */
export function isInexpressible(s: JsonSchema): boolean {
  return Boolean(s.contentMediaType) || s.format === 'binary' || s['x-circular'] === true;
}

const isFreeFormObject = (s: JsonSchema): boolean =>
  schemaType(s) === 'object' &&
  !s.properties &&
  (s.additionalProperties === undefined || s.additionalProperties === true);

const isStringMap = (s: JsonSchema): boolean =>
  !s.properties &&
  typeof s.additionalProperties === 'object' &&
  schemaType(s.additionalProperties) === 'string';

/** Draws of one `oneOf` / `anyOf` / `not` node before its value is left to the generator's gate. */
export const CONFORM_TRIES = 6;

/** A node whose value the sampler's own reading of the schema may get wrong, so it is checked as it is drawn. */
export function needsCheck(s: JsonSchema): boolean {
  const m = mergeAllOf(s);
  return (m.oneOf?.length ?? 0) > 1 || (m.anyOf?.length ?? 0) > 1 || m.not !== undefined;
}

const branchCount = (s: JsonSchema): number => {
  const m = mergeAllOf(s);
  return (m.oneOf ?? m.anyOf ?? []).length;
};

/** Nesting past which a body is not followed (reference cycles are already cut at ingest). */
const MAX_DEPTH = 16;
/** Optional fields one body may state below its top level. */
const NESTED_OPTIONAL_BUDGET = 4;

const isPlainObject = (v: unknown): boolean => v !== null && typeof v === 'object' && !Array.isArray(v);

class BodySampler {
  readonly mentions: Mention[] = [];
  private budget = NESTED_OPTIONAL_BUDGET;
  /** Set when a checked node kept a value that does not fit it (see `value`). */
  private misfit = false;
  constructor(
    private readonly ctx: ValueCtx,
    private readonly opts: BodyOptions,
  ) {}

  private scalar(
    key: string,
    name: string,
    s: JsonSchema,
    parent: string | undefined,
    primary: boolean,
  ): unknown {
    const field = { name, schema: s, description: s.description, parent };
    const sampled = sampleScalar(field, this.ctx);
    if (!sampled) return undefined;
    if (s.const !== undefined) {
      // A const discriminator (e.g. `object: "card"`) is stated as the variant's name: "by card", "from the bank account".
      const w = humanize(String(s.const));
      const a = article(w);
      const clause = this.ctx.rng.pick([
        w,
        `by ${w}`,
        `with ${a} ${w}`,
        `from the ${w}`,
        `using ${a} ${w}`,
        `via ${w}`,
        `paying by ${w}`.replace(/^paying /, (x) => (parent ? x : '')),
      ]);
      this.mentions.push({ key, clause: lit(clause), bare: lit(String(s.const)), primary: false });
      return s.const;
    }
    // Nested generic names ("name", "url") are said with their parent ("matcher name", "webhook url").
    const generic = /^(name|url|id|type|value|number|country|headers|events|key)$/.test(name);
    // "bank account bank name" repeats itself: a field sharing a word with its parent is said on its own.
    const overlaps =
      parent !== undefined &&
      humanize(name)
        .split(' ')
        .some((w) => parent.split(' ').includes(w));
    const prefix = generic || (!overlaps && this.ctx.rng.chance(0.3));
    const said =
      parent && key.includes('.') && typeof sampled.value !== 'boolean' && prefix
        ? { ...field, name: `${singular(parent)} ${name}` }
        : field;
    this.mentions.push(scalarMention(key, said, sampled, this.ctx.rng, primary));
    return sampled.value;
  }

  private array(
    key: string,
    name: string,
    s: JsonSchema,
    depth: number,
    primary: boolean,
  ): unknown[] | undefined {
    const rng = this.ctx.rng;
    const items = resolveSchema(s.items ?? { type: 'string' }, (n) => rng.int(0, n - 1));
    const min = Math.min(Math.max(this.opts.manyItems?.has(key) ? 2 : 1, s.minItems ?? 1), s.maxItems ?? 3);
    const max = Math.max(min, Math.min(s.maxItems ?? 3, 3));
    const t = schemaType(items);
    // One object per array keeps "which value belongs to which item" unambiguous in the task text.
    const n = t === 'object' || items.properties ? min : rng.chance(0.6) ? min : rng.int(min, max);
    if (t === 'object' || items.properties) {
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) {
        const v = this.value(`${key}[${i}]`, name, s.items ?? items, depth + 1, false);
        if (v !== undefined) out.push(v);
      }
      return out.length >= min ? out : undefined;
    }
    const fieldName = name.replace(/s$/, '');
    const sampled: Sampled[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < n * 3 && sampled.length < n; i++) {
      const one = sampleScalar(
        { name: fieldName, schema: items, description: items.description ?? s.description },
        this.ctx,
      );
      if (!one) return undefined;
      if (seen.has(String(one.value))) continue;
      if (this.ctx.fits && s.items && needsCheck(s.items) && !this.ctx.fits(s.items, one.value)) continue;
      seen.add(String(one.value));
      sampled.push(one);
    }
    this.mentions.push(
      listMention(key, { name, schema: s, description: s.description }, sampled, rng, primary),
    );
    return sampled.map((x) => x.value);
  }

  private object(
    key: string,
    s: JsonSchema,
    depth: number,
    parent: string | undefined,
    variant = false,
  ): Record<string, unknown> {
    const props = withUndeclared(s);
    const required = new Set(s.required ?? []);
    // A const discriminator of a oneOf branch (`object: "card"`) is how people name the variant ("by card"), so
    // it is always stated and does not count as an optional field.
    // In a oneOf variant, a one-value enum plays the same part (`type: ["InstallAndroidApp"]`): without it the
    // object may fit several branches, which oneOf forbids.
    const isTag = (k: string): boolean => {
      const p = props[k] as JsonSchema;
      return !required.has(k) && (p.const !== undefined || (variant && p.enum?.length === 1));
    };
    const optional = Object.keys(props).filter((k) => {
      const p = props[k] as JsonSchema;
      return (
        !required.has(k) &&
        !isTag(k) &&
        !p.readOnly &&
        !p.deprecated &&
        !isFreeFormObject(mergeAllOf(p)) &&
        !isInexpressible(p)
      );
    });
    // An item of a top-level array body (Alertmanager's `[alert]`) is the request's real top level.
    const top = depth === 0 || /^\[\d+\]$/.test(key);
    const chosen = this.chooseOptional(optional, props, required, top);
    chosen.push(...Object.keys(props).filter(isTag));
    if (
      depth === 0 &&
      this.opts.include &&
      optional.includes(this.opts.include) &&
      !chosen.includes(this.opts.include)
    )
      chosen.push(this.opts.include);
    const out: Record<string, unknown> = {};
    const soleRequired = required.size === 1;
    for (const name of Object.keys(props)) {
      if (!required.has(name) && !chosen.includes(name)) continue;
      const primary =
        depth === 0 && required.has(name) && (soleRequired || /^(url|urls|text|query|q|prompt)$/.test(name));
      const [mark, budget] = [this.mentions.length, this.budget];
      this.misfit = false;
      const v = this.value(
        key ? `${key}.${name}` : name,
        name,
        props[name] as JsonSchema,
        depth + 1,
        primary,
        parent,
      );
      // An optional field no draw could make fit (a spec's contradiction) is left out rather than sent wrong.
      if (this.misfit && !required.has(name)) {
        this.mentions.length = mark;
        this.budget = budget;
        continue;
      }
      if (v !== undefined) out[name] = v;
    }
    if (!fuseMatcher(key ? `${key}.` : '', out, this.mentions, this.ctx))
      fuseSaid(key ? `${key}.` : '', out, this.mentions, this.ctx.rng);
    orderRange(key ? `${key}.` : '', out, this.mentions);
    return out;
  }

  /** Which optional fields of one object the task states (see OPTIONAL_COUNT in generate.ts for the top level). */
  private chooseOptional(
    optional: string[],
    props: Record<string, JsonSchema>,
    required: Set<string>,
    top: boolean,
  ): string[] {
    const rng = this.ctx.rng;
    // The optional other end of a required pair (`source_lang` beside a required `target_lang`) is what people add
    // most often ("from French into German"), so it comes first half of the time.
    const shuffled = rng.shuffle(optional);
    const partners = shuffled.filter((k) => [...required].some((r) => arePair(k, r)));
    let ordered =
      partners.length > 0 && rng.chance(0.5)
        ? [...partners, ...shuffled.filter((k) => !partners.includes(k))]
        : shuffled;
    // Below the top, optional fields draw on one budget per body, so deep schemas stay sayable; required fields
    // are filled at any depth.
    if (!top) {
      const picked = ordered
        .filter(() => rng.chance(this.opts.pOptional))
        .slice(0, Math.min(this.budget, rng.chance(0.75) ? 1 : 2));
      this.budget -= picked.length;
      return picked;
    }
    // A body that requires nothing (train-travel's booking: trip_id, passenger_name, has_bicycle, has_dog) is still
    // never sent empty: people state its core values, the ids and names, and add a flag now and then.
    if (required.size === 0 && optional.length > 0) {
      const isFlag = (k: string): boolean => schemaType(mergeAllOf(props[k] as JsonSchema)) === 'boolean';
      if (rng.chance(0.8)) ordered = [...ordered.filter((k) => !isFlag(k)), ...ordered.filter(isFlag)];
      return ordered.slice(0, this.opts.maxOptional + rng.pick([1, 2]));
    }
    return ordered.filter(() => rng.chance(this.opts.pOptional)).slice(0, this.opts.maxOptional);
  }

  /**
   * A map whose values are objects or numbers and that must hold a key (`minProperties`), e.g. Lex's
   * `botVersionLocaleSpecification: { en_US: { sourceBotVersion } }`: one entry, its key stated like a value.
   */
  private objectMap(
    key: string,
    name: string,
    s: JsonSchema,
    entry: JsonSchema,
    depth: number,
    parent: string | undefined,
  ): Record<string, unknown> | undefined {
    const k = mapKey(s, name, this.ctx);
    if (k === null) return undefined;
    const label = `${singular(humanize(name))} key`;
    const field = { name: label, schema: { type: 'string' }, parent };
    this.mentions.push(scalarMention(`${key}.${k}`, field, { value: k, surface: val(k) }, this.ctx.rng));
    const v = this.value(`${key}.${k}`, k, entry, depth + 1, false, parent);
    return v === undefined ? undefined : { [k]: v };
  }

  /**
   * A value for one schema node. A node with `oneOf`, `anyOf` or `not` is drawn again (another branch first,
   * then fresh values) until the value fits the node as the validator reads it: a body that fits two `oneOf`
   * branches, or a value a `not` forbids, is not a valid call. The last draw stands if none fits in a few tries;
   * the generator's gate then counts it.
   */
  value(
    key: string,
    name: string,
    s0: JsonSchema,
    depth: number,
    primary: boolean,
    parent?: string,
  ): unknown {
    const rng = this.ctx.rng;
    const fits = this.ctx.fits;
    if (!fits || !needsCheck(s0))
      return this.draw(key, name, s0, depth, primary, parent, (n) => rng.int(0, n - 1));
    const order = rng.shuffle(Array.from({ length: branchCount(s0) }, (_, i) => i));
    const mark0 = this.mentions.length;
    let v: unknown;
    for (let i = 0; i < CONFORM_TRIES; i++) {
      const mark = this.mentions.length;
      const budget = this.budget;
      v = this.draw(
        key,
        name,
        s0,
        depth,
        primary,
        parent,
        (n) => order[i % order.length] ?? rng.int(0, n - 1),
      );
      if (v === undefined || fits(s0, v)) return v;
      if (i === CONFORM_TRIES - 1) break;
      this.mentions.length = mark;
      this.budget = budget;
    }
    // An empty object may be what the schema admits (`additionalProperties: false` beside an `anyOf`).
    if (isPlainObject(v) && fits(s0, {})) {
      this.mentions.length = mark0;
      return {};
    }
    this.misfit = true;
    return v;
  }

  private draw(
    key: string,
    name: string,
    s0: JsonSchema,
    depth: number,
    primary: boolean,
    parent: string | undefined,
    pickBranch: (n: number) => number,
  ): unknown {
    const s = resolveSchema(s0, pickBranch);
    const t = schemaType(s);
    if (depth > MAX_DEPTH || isInexpressible(s)) return undefined;
    if (t === 'array') return this.array(key, name, s, depth, primary);
    if (isStringMap(s)) return labelMap(key, name, s, this.ctx, this.mentions);
    const entry = objectMapEntry(s);
    if (entry) return this.objectMap(key, name, s, entry, depth, parent);
    // A free-form object (or a body described only by an example object) is sent empty: `{}` fits its schema
    // and carries no value the task would have to state.
    const exampleObject = t === undefined && isPlainObject(s.example ?? s.examples?.[0]);
    // (`minProperties` asks for keys the spec does not name: such an object cannot be filled honestly.)
    const named = Boolean(s.properties ?? s.required?.length);
    if ((t === 'object' || exampleObject) && !named)
      return typeof s['minProperties'] === 'number' && s['minProperties'] > 0 ? undefined : {};
    if (t === 'object' || named) {
      // A oneOf branch's title names the variant better than the field ("card number", not "source number").
      const branchTitle =
        (s0.oneOf ?? s0.anyOf) && s.title && /^[A-Za-z ]{2,30}$/.test(s.title) ? s.title.toLowerCase() : null;
      const variant = Boolean((s0.oneOf ?? s0.anyOf)?.length);
      return this.object(key, s, depth, branchTitle ?? (name ? humanize(name) : parent), variant);
    }
    return this.scalar(key, name, s, parent, primary);
  }
}

/** Samples a request body: required fields always, a sampled share of optional ones; every value gets a mention. */
export function sampleBody(schema: JsonSchema, ctx: ValueCtx, opts: BodyOptions, noun?: string): SampledBody {
  const sampler = new BodySampler(ctx, opts);
  const value = sampler.value('', '', schema, 0, false, noun);
  const mentions = sampler.mentions.map((m) => ({ ...m, key: `body.${m.key}` }));
  return { value: value ?? null, mentions };
}

/** Fields required somewhere in the body that cannot be expressed: the operation is then skipped. */
export function inexpressibleRequired(schema: JsonSchema): string[] {
  const s = mergeAllOf(schema);
  const props = s.properties ?? {};
  return (s.required ?? []).filter((k) => props[k] && isInexpressible(mergeAllOf(props[k] as JsonSchema)));
}

export type { Phrase };
