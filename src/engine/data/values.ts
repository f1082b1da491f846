import type { Faker } from '@faker-js/faker';
import type { JsonSchema } from '../specs/types.js';
import type { Rng } from '../rng.js';
import { fitNumber, fitsLength, fitsPattern, formatString, numericBounds, patternString } from './fit.js';
import { LABEL_NAMES } from './matcher.js';
import { digits, personName, sentence, titleLike, topic, url } from './texts.js';
import { enumPhrases, enumWordForms, isBooleanLikeEnum, type CodeNames } from './names.js';
import { humanize, identWords, lit, val, type Phrase } from './words.js';

/** What the value sampler knows about the field it fills. */
export interface FieldInfo {
  name: string;
  description?: string;
  schema: JsonSchema;
  /** Noun of the enclosing object or resource, e.g. "glossary" for a body field `name`. */
  parent?: string | undefined;
  /** A path parameter: one URL segment, so never a value with `/` in it. */
  inPath?: boolean;
}

export interface ValueCtx {
  rng: Rng;
  faker: Faker;
  codeNames: CodeNames;
  /** Whether a value fits a schema as the call validator reads it (`schemaChecker`); absent, values are not re-checked. */
  fits?: (schema: JsonSchema, value: unknown) => boolean;
}

/** A sampled scalar: the typed value for the call, and how the task states it. */
export interface Sampled {
  value: string | number | boolean;
  surface: Phrase;
  /** Free text (sentences, prompts): always quoted in tasks so its boundaries are clear. */
  freeText?: boolean;
  /** A phrase that states an enum value without naming it ("for a more formal language"). */
  phrase?: string;
}

export const schemaType = (s: JsonSchema): string | undefined =>
  Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;

function words(f: FieldInfo): string[] {
  return identWords(f.name);
}

const has = (f: FieldInfo, re: RegExp): boolean => re.test(humanize(f.name));
const descHas = (f: FieldInfo, re: RegExp): boolean => re.test(f.description ?? f.schema.description ?? '');

function quoted(ctx: ValueCtx, text: string, pQuote: number): Phrase {
  // A value that carries quotes itself (`job="api"`) is clearer bare; an apostrophe rules out single quotes.
  if (text.includes('"') || !ctx.rng.chance(pQuote)) return val(text);
  const styles = text.includes("'")
    ? ([
        ['"', '"'],
        ['“', '”'],
      ] as const)
    : ([
        ['"', '"'],
        ["'", "'"],
        ['"', '"'],
        ['“', '”'],
      ] as const);
  const [open, close] = ctx.rng.pick<readonly [string, string]>(styles);
  return [...lit(open), ...val(text), ...lit(close)];
}

/** Re-samples an opaque token keeping its shape (hex case, digits, length), e.g. a document key from the spec. */
function reshape(ctx: ValueCtx, example: string): string {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(example))
    return ctx.faker.string.uuid();
  return example.replace(/[0-9A-Fa-f]|[G-Zg-z]/g, (c) => {
    if (/[0-9]/.test(c)) return String(ctx.rng.int(0, 9));
    const hex = /[A-Fa-f]/.test(c) && /^[0-9A-Fa-f-]+$/.test(example);
    const pool = hex ? 'abcdef0123456789' : 'abcdefghijklmnopqrstuvwxyz';
    const ch = pool[ctx.rng.int(0, pool.length - 1)] as string;
    return c === c.toUpperCase() ? ch.toUpperCase() : ch;
  });
}

function specExample(s: JsonSchema): unknown {
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  return s.example;
}

const isOpaqueToken = (v: string): boolean => /^[0-9A-Za-z-]{8,}$/.test(v) && /\d/.test(v);

function isoDate(ctx: ValueCtx): Date {
  const d = ctx.faker.date.between({ from: '2024-01-01T00:00:00Z', to: '2027-12-31T00:00:00Z' });
  d.setUTCMinutes(ctx.rng.pick([0, 0, 15, 30, 45]), 0, 0);
  return d;
}

/** Month names as tasks write them (stated.ts checks dates against the same list). */
export const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const pad = (n: number): string => String(n).padStart(2, '0');

function dateValue(ctx: ValueCtx): Sampled {
  const d = isoDate(ctx);
  const [y, m, day] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()];
  const iso = `${y}-${pad(m + 1)}-${pad(day)}`;
  const month = MONTHS[m] as string;
  const surface = ctx.rng.pick([
    iso,
    iso,
    `${month} ${day}, ${y}`,
    `${day} ${month} ${y}`,
    `${month.slice(0, 3)} ${day} ${y}`,
  ]);
  return { value: iso, surface: val(surface) };
}

function dateTimeValue(ctx: ValueCtx): Sampled {
  const d = isoDate(ctx);
  const [y, m, day, h, min] = [
    d.getUTCFullYear(),
    d.getUTCMonth(),
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
  ];
  const date = `${y}-${pad(m + 1)}-${pad(day)}`;
  const time = `${pad(h)}:${pad(min)}`;
  const form = ctx.rng.weighted([
    ['z', 5],
    ['offset', 2],
    ['utc', 2],
    ['words', 1],
  ] as const);
  if (form === 'offset') {
    const off = ctx.rng.pick(['+01:00', '+02:00', '-05:00', '+05:30', '-08:00']);
    const v = `${date}T${time}:00${off}`;
    return { value: v, surface: val(v) };
  }
  const value = `${date}T${time}:00Z`;
  if (form === 'z') return { value, surface: val(value) };
  if (form === 'utc') return { value, surface: val(`${date} ${time} UTC`) };
  return { value, surface: val(`${MONTHS[m]} ${day}, ${y} ${time} UTC`) };
}

function intRange(f: FieldInfo): [number, number] {
  const bounds = numericBounds(f.schema, true);
  let lo = bounds.lo;
  let hi = bounds.hi;
  const w = humanize(f.name);
  const ms = /\bms\b|milli/.test(`${w} ${f.description ?? ''}`);
  let [dlo, dhi] = [1, 500];
  if (/\bpage\b/.test(w)) [dlo, dhi] = [1, 20];
  else if (/limit|max|count|size|per page|top|num/.test(w)) [dlo, dhi] = [1, 100];
  else if (/month/.test(w)) [dlo, dhi] = [1, 12];
  else if (/year/.test(w)) [dlo, dhi] = [2025, 2031];
  else if (/depth|level/.test(w)) [dlo, dhi] = [1, 10];
  else if (ms || /timeout|delay|wait|age/.test(w)) [dlo, dhi] = ms ? [1, 120] : [1, 600];
  lo ??= Math.max(dlo, hi !== undefined ? Math.min(dlo, hi) : dlo);
  hi ??= Math.max(lo, dhi);
  if (hi < lo) hi = lo;
  return [lo, hi];
}

/** Number words for 0–10, the integers a task may spell out. */
export const SMALL = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];

function integerValue(f: FieldInfo, ctx: ValueCtx): Sampled {
  const [lo, hi] = intRange(f);
  const ms = /\bms\b|milli/.test(`${humanize(f.name)} ${f.description ?? ''}`);
  // A wide range (a limit up to 30000) is mostly asked in hundreds, and big numbers are said round ("200 links").
  const top = hi > 1000 && ctx.rng.chance(0.8) ? Math.max(lo, 1000) : hi;
  let n = ctx.rng.chance(0.6) ? ctx.rng.int(lo, Math.min(top, lo + 49)) : ctx.rng.int(lo, top);
  if (ms) n = Math.min(hi, Math.max(lo, n * 1000));
  else if (n > 100 && ctx.rng.chance(0.8)) n = Math.max(lo, Math.min(hi, Math.round(n / 50) * 50));
  else if (n > 20 && ctx.rng.chance(0.5)) n = Math.max(lo, Math.min(hi, Math.round(n / 10) * 10));
  const idLike = /\bid\b/.test(humanize(f.name));
  const word = n <= 10 && n >= 0 && !idLike && ctx.rng.chance(0.2) ? SMALL[n] : undefined;
  return { value: n, surface: val(word ?? String(n)) };
}

function numberValue(f: FieldInfo, ctx: ValueCtx): Sampled {
  const [lo, hi] = intRange(f);
  const whole = ctx.rng.int(lo, Math.max(lo, Math.min(hi, 300)));
  const n = ctx.rng.chance(0.5) ? whole : Number((whole + ctx.rng.int(1, 99) / 100).toFixed(2));
  const v = hi !== undefined && n > hi ? hi : n;
  return { value: v, surface: val(String(v)) };
}

function enumValue(f: FieldInfo, ctx: ValueCtx): Sampled {
  const values = (f.schema.enum ?? []).filter((v) => v !== null);
  // `1|0|true|false` means yes or no; the call carries the words, as people mean them.
  const words = values.filter((v) => v === 'true' || v === 'false');
  const pool = isBooleanLikeEnum(values) && words.length === 2 ? words : values;
  const v = ctx.rng.pick(pool) as string | number | boolean;
  if (typeof v !== 'string') return { value: v, surface: val(String(v)) };
  const forms = enumWordForms(values.map(String), f.name, f.description ?? '', ctx.codeNames).get(v) ?? [];
  const surface = forms.length > 0 && ctx.rng.chance(0.6) ? ctx.rng.pick(forms) : v;
  const phrase = enumPhrases(values.map(String), f.description ?? '').get(v);
  return phrase && ctx.rng.chance(0.5)
    ? { value: v, surface: val(surface), phrase: rephrase(phrase, ctx) }
    : { value: v, surface: val(surface) };
}

/** "for a more formal language" is also said "using a formal tone", "more formal", "formally". */
function rephrase(phrase: string, ctx: ValueCtx): string {
  const m = /^for a more (\w+) (language|tone|style)$/.exec(phrase);
  if (!m) return phrase;
  const adj = m[1] as string;
  return ctx.rng.pick([
    phrase,
    `using a ${adj} tone`,
    `in a ${adj} tone`,
    `more ${adj}`,
    `${adj}ly`,
    `keep it ${adj}`,
    `${adj} language`,
  ]);
}

/** Label keys of a filter expression: the matcher's label names (alertname aside: it has its own phrasing). */
const LABEL_KEYS = [...LABEL_NAMES.filter((n) => n !== 'alertname'), 'component'];

function labelValue(ctx: ValueCtx): string {
  return ctx.rng.pick([
    () => ctx.faker.word.noun(),
    () => `${ctx.faker.word.noun()}-${ctx.rng.int(1, 40)}`,
    () => ctx.rng.pick(['critical', 'warning', 'info', 'prod', 'staging', 'dev']),
    () => ctx.faker.hacker.noun().replace(/\s+/g, '-'),
  ])();
}

/** `key="value"` matcher strings, following the example a description gives (e.g. Alertmanager filters). */
function matcherValue(f: FieldInfo, ctx: ValueCtx): string | null {
  const m = /`?(\w+)(=~|!=|=)"([^"]*)"`?/.exec(f.description ?? '');
  if (!m) return null;
  const op = ctx.rng.weighted([
    ['=', 6],
    ['!=', 1],
    ['=~', 1],
  ] as const);
  const value = op === '=~' ? `${labelValue(ctx)}.*` : labelValue(ctx);
  return `${ctx.rng.pick(LABEL_KEYS)}${op}"${value}"`;
}

/** Strings by format, then by what the field's name and description say it holds. */
function stringValue(f: FieldInfo, ctx: ValueCtx): Sampled {
  const fmt = f.schema.format;
  if (fmt === 'date') return dateValue(ctx);
  if (fmt === 'date-time') return dateTimeValue(ctx);
  if (fmt === 'uuid') return { value: ctx.faker.string.uuid(), surface: val('') };
  const formatted = formatString(fmt, ctx.rng, () => ctx.faker.word.noun().toLowerCase());
  if (formatted !== null) return { value: formatted, surface: val('') };
  if (fmt === 'email' || has(f, /e ?mail/))
    return { value: ctx.faker.internet.email().toLowerCase(), surface: val('') };
  if (fmt === 'uri' || fmt === 'url' || has(f, /\b(url|uri|link|website|webhook)\b/))
    return { value: url(ctx), surface: val('') };
  // A field named a date holds one, whatever its (often missing) format or example says.
  if (words(f).at(-1) === 'date' && !f.inPath) return dateValue(ctx);
  const ex = specExample(f.schema);
  if (typeof ex === 'string' && isOpaqueToken(ex)) return { value: reshape(ctx, ex), surface: val('') };
  const w = words(f);
  const last = w[w.length - 1] ?? '';
  if (last === 'id' || last === 'key' || descHas(f, /\b(ID|identifier)\b/))
    return { value: ctx.faker.string.uuid(), surface: val('') };
  const matcher = has(f, /filter|matcher/) ? matcherValue(f, ctx) : null;
  if (matcher) return { value: matcher, surface: val('') };
  if (has(f, /coordinates|lat ?lng|location/) && descHas(f, /latitude/i))
    return {
      value: `${ctx.faker.location.latitude({ precision: 4 })},${ctx.faker.location.longitude({ precision: 4 })}`,
      surface: val(''),
    };
  if (has(f, /country/)) return { value: ctx.faker.location.countryCode(), surface: val('') };
  if (has(f, /currency/)) return { value: ctx.faker.finance.currencyCode(), surface: val('') };
  if (has(f, /city/)) return { value: ctx.faker.location.city(), surface: val('') };
  if (has(f, /post ?code|zip/)) return { value: ctx.faker.location.zipCode(), surface: val('') };
  if (has(f, /address|street/)) return { value: ctx.faker.location.streetAddress(), surface: val('') };
  if (has(f, /\b(user ?name|login|handle)\b/))
    return { value: ctx.faker.internet.username(), surface: val('') };
  if (has(f, /password|secret/))
    return { value: ctx.faker.internet.password({ length: 12 }), surface: val('') };
  if (
    has(f, /phone|mobile number/) ||
    descHas(f, /\b(phone|mobile|recipient|sender|caller|telephone)('s)? number\b/i)
  )
    return { value: ctx.faker.phone.number({ style: 'international' }), surface: val('') };
  if (has(f, /first name|given name/)) return { value: ctx.faker.person.firstName(), surface: val('') };
  if (has(f, /last name|surname|family name/))
    return { value: ctx.faker.person.lastName(), surface: val('') };
  if (has(f, /cvc|cvv/)) return { value: digits(ctx, 3), surface: val('') };
  if (has(f, /sort code/)) return { value: digits(ctx, 6), surface: val('') };
  if (has(f, /\bnumber\b/)) return { value: digits(ctx, ctx.rng.pick([8, 10, 16])), surface: val('') };
  if (has(f, /regex|pattern|path/)) return { value: `${ctx.faker.word.noun()}/.*`, surface: val('') };
  if (has(f, /file ?name/)) return { value: ctx.faker.system.commonFileName(), surface: val('') };
  if (has(f, /format|extension/))
    return { value: ctx.rng.pick(['pdf', 'docx', 'txt', 'html', 'pptx']), surface: val('') };
  if (
    has(f, /created by|author|owner|user|holder|passenger|person|customer|contact|first name|last name/) ||
    (last === 'name' && descHas(f, /holder|person|passenger|full name/))
  )
    return { value: personName(ctx), surface: val('') };
  if (last === 'name' && /matcher|label|filter|selector/.test(f.parent ?? ''))
    return { value: ctx.rng.pick(LABEL_KEYS), surface: val('') };
  if (last === 'name' || last === 'title')
    return { value: titleLike(f, ctx), surface: val(''), freeText: false };
  if (has(f, /query|search|term|keyword|topic/))
    return { value: topic(ctx), surface: val(''), freeText: true };
  if (has(f, /text|prompt|comment|message|context|note|summary|description|instruction|content|entries|body/))
    return { value: sentence(ctx), surface: val(''), freeText: true };
  if (has(f, /receiver|label|tag|group|category|type|kind|mode/))
    return { value: labelValue(ctx), surface: val('') };
  if (typeof ex === 'string' && ctx.rng.chance(0.3)) return { value: ex, surface: val('') };
  // A path segment names one resource: people paste its identifier, not a few loose words.
  if (f.inPath) return { value: identifier(ctx), surface: val('') };
  return { value: ctx.faker.word.words({ count: { min: 1, max: 3 } }), surface: val(''), freeText: true };
}

/**
 * An identifier in one of the shapes APIs hand out: a number, a UUID, a type prefix with hex (`DE3f…`,
 * `cus_…`), a slug or a short code. Used where the schema says nothing about the shape.
 */
function identifier(ctx: ValueCtx): string {
  const hex = (n: number): string => ctx.faker.string.hexadecimal({ length: n, casing: 'lower', prefix: '' });
  const letters = (): string => ctx.faker.string.alpha({ length: 2, casing: 'upper' });
  return ctx.rng.weighted<() => string>([
    [() => String(ctx.rng.int(1, 99999)), 3],
    [() => ctx.faker.string.uuid(), 2],
    [() => `${letters()}${hex(32)}`, 2],
    [
      () =>
        `${ctx.faker.word
          .noun()
          .toLowerCase()
          .replace(/[^a-z]/g, '')}_${ctx.faker.string.alphanumeric(14)}`,
      1,
    ],
    [
      () =>
        `${ctx.faker.word.adjective().toLowerCase()}-${ctx.faker.word.noun().toLowerCase()}-${ctx.rng.int(1, 99)}`.replace(
          /[^a-z0-9-]/g,
          '',
        ),
      2,
    ],
    [() => ctx.faker.string.alphanumeric({ length: ctx.rng.int(6, 10), casing: 'lower' }), 1],
  ])();
}

/** Samples one scalar for a field. Returns null when the schema is not a scalar the generator can state. */
export function sampleScalar(f: FieldInfo, ctx: ValueCtx): Sampled | null {
  const s = f.schema;
  if (s.const !== undefined && ['string', 'number', 'boolean'].includes(typeof s.const))
    return { value: s.const as string, surface: val(String(s.const)) };
  if (Array.isArray(s.enum) && s.enum.length > 0) return enumValue(f, ctx);
  const t = schemaType(s);
  if (t === 'boolean') {
    const v = ctx.rng.chance(0.5);
    return { value: v, surface: val(String(v)) };
  }
  if (t === 'integer' || t === 'number') {
    // A number with format int32/int64 is checked as a whole number.
    const whole = t === 'integer' || s.format === 'int32' || s.format === 'int64';
    const out = whole ? integerValue(f, ctx) : numberValue(f, ctx);
    const v = fitNumber(s, Number(out.value), whole);
    return v === out.value ? out : { value: v, surface: val(String(v)) };
  }
  if (t !== 'string' && t !== undefined) return null;
  if (s.contentMediaType || s.format === 'binary') return null;
  const out = stringValue(f, ctx);
  const text = fitString(f, String(out.value), ctx);
  if (text === null) return null;
  if (text !== out.value) return { value: text, surface: quoted(ctx, text, /\s/.test(text) ? 0.35 : 0.08) };
  if (out.surface.some((seg) => seg.text !== '')) return out;
  const pQuote = out.freeText ? (/[,.!?;:]/.test(text) ? 1 : 0.95) : /\s/.test(text) ? 0.35 : 0.08;
  return { ...out, value: text, surface: quoted(ctx, text, pQuote) };
}

/**
 * Makes a sampled string fit the field: one URL segment for a path parameter, then the length limits, then the
 * pattern (a new string drawn from the pattern when the sampled one does not match). Null when nothing fits.
 */
function fitString(f: FieldInfo, sampled: string, ctx: ValueCtx): string | null {
  const s = f.schema;
  let text = sampled;
  if (f.inPath && /[/?#]/.test(text)) text = `${ctx.faker.word.noun().toLowerCase()}-${ctx.rng.int(2, 999)}`;
  if (s.maxLength !== undefined && text.length > s.maxLength) text = text.slice(0, s.maxLength).trim();
  if (s.minLength !== undefined && text.length < s.minLength) text = text.padEnd(s.minLength, '0');
  if (fitsPattern(s, text) && fitsLength(s, text) && text.length > 0) return text;
  // The spec's own example or default, when it fits, reads better than a string drawn from the pattern.
  const given = [specExample(s), s.default].find(
    (x): x is string => typeof x === 'string' && x !== '' && fitsPattern(s, x) && fitsLength(s, x),
  );
  if (given !== undefined && !(f.inPath && /[/?#]/.test(given))) return given;
  // A pattern that itself asks for '/' (an ARN with `key/…`) is followed even in a path segment.
  const drawn = patternString(s, ctx.rng);
  // A string drawn from the pattern may still break the format (a pattern that asks for a backslash in an email):
  // then nothing fits.
  if (drawn === null || s.format === undefined || !ctx.fits) return drawn;
  return ctx.fits(s, drawn) ? drawn : null;
}
