import randexpModule from 'randexp';
import type { Rng } from '../rng.js';
import type { JsonSchema } from '../specs/types.js';

/**
 * Values that fit a schema's own constraints: strings that match its `pattern` within its length limits, numbers
 * inside its range and on its `multipleOf` grid, and the string formats JSON Schema validators check.
 */

// randexp is CommonJS (`module.exports = RandExp`); its typings declare an ES default export.
const RandExp = ((randexpModule as unknown as { default?: unknown }).default ??
  randexpModule) as typeof randexpModule.default;

/** Longest run a `*`, `+` or `{n,}` expands to: values stay short enough to say. */
const REPEAT_MAX = 8;
/**
 * The run length drawn: REPEAT_MAX, or up to `minLength` when the schema asks for longer values (an id such as
 * `^st-[a-zA-Z0-9]+$` with length 16 cannot be met by runs of 8).
 */
const repeatMax = (s: JsonSchema): number => Math.max(REPEAT_MAX, Math.min(s.minLength ?? 0, 128));
const TRIES = 24;

/** The spec's pattern as JavaScript reads it (non-unicode, as the call validator compiles it); null if invalid. */
export function patternRegExp(pattern: string): RegExp | null {
  try {
    // RE2's leading `(?i)` (how ingest keeps a `/…/i` literal) is JavaScript's `i` flag.
    return pattern.startsWith('(?i)') ? new RegExp(pattern.slice(4), 'i') : new RegExp(pattern);
  } catch {
    return null;
  }
}

export const fitsLength = (s: JsonSchema, text: string): boolean =>
  (s.minLength === undefined || [...text].length >= s.minLength) &&
  (s.maxLength === undefined || [...text].length <= s.maxLength);

export function fitsPattern(s: JsonSchema, text: string): boolean {
  if (typeof s.pattern !== 'string') return true;
  return patternRegExp(s.pattern)?.test(text) ?? true;
}

/**
 * A string that matches `s.pattern` and its length limits, drawn with the generator's seeded RNG; null when none
 * is found in a few tries (a pattern randexp cannot invert, e.g. one built on lookaheads).
 */
export function patternString(s: JsonSchema, rng: Rng): string | null {
  const re = typeof s.pattern === 'string' ? patternRegExp(s.pattern) : null;
  if (!re) return null;
  let gen: InstanceType<typeof RandExp>;
  try {
    gen = new RandExp(generatorSource(re.source, s), re.flags);
  } catch {
    return null;
  }
  gen.max = repeatMax(s);
  gen.randInt = (a: number, b: number): number => rng.int(a, b);
  // `.` and negated classes draw from letters, digits and a little punctuation, so values stay sayable.
  gen.defaultRange.subtract(0, 0x10ffff);
  gen.defaultRange.add(48, 57).add(65, 90).add(97, 122).add(45).add(95);
  for (let i = 0; i < TRIES; i++) {
    let text = gen.gen();
    // A prefix pattern (`^ssh-rsa `) is drawn as just its prefix; the rest of the value follows it.
    if (/\s$/.test(text)) text += rng.pick(['AAAAB3NzaC1yc2E', 'key', 'value', 'x1']);
    if (text.length > 0 && re.test(text) && fitsLength(s, text) && !/^\s|\s$/.test(text)) return text;
  }
  return null;
}

/**
 * The pattern randexp draws from: the spec's own, with long bounded repeats (`.{0,1023}`) cut to a sayable length,
 * and a lone repeated class (`^[a-z0-9]+$`) given the schema's length limits, so `minLength: 10` is met at once
 * rather than by chance. Every draw is still tested against the spec's pattern.
 */
function generatorSource(source: string, s: JsonSchema): string {
  const single = /^(\^?)((?:[A-Za-z0-9_:-]|\\[./-])*)(\[(?:\\.|[^\]\\])+\]|\\[wdsWDS]|\.)[+*](\$?)$/.exec(
    source,
  );
  if (single && (s.minLength !== undefined || s.maxLength !== undefined)) {
    // A literal prefix (`^st-[a-zA-Z0-9]+$`) takes its share of the length: the run is what is left.
    const prefix = (single[2] ?? '').replace(/\\(.)/g, '$1').length;
    const lo = Math.max(1, (s.minLength ?? 1) - prefix);
    const hi = Math.max(lo, Math.min((s.maxLength ?? Infinity) - prefix, lo + REPEAT_MAX));
    return `${single[1]}${single[2]}${single[3]}{${lo},${hi}}${single[4]}`;
  }
  const cap = repeatMax(s);
  return source.replace(/(?<!\\)\{(\d+),(\d+)\}/g, (m: string, a: string, b: string) =>
    Number(b) > cap && Number(b) > Number(a) ? `{${a},${Math.max(Number(a), cap)}}` : m,
  );
}

/** Inclusive numeric bounds of a schema, OpenAPI 3.0 boolean and 2020-12 numeric exclusive bounds alike. */
export function numericBounds(s: JsonSchema, integer: boolean): { lo?: number; hi?: number } {
  const step = integer ? 1 : 0.01;
  const exMin = s.exclusiveMinimum as unknown;
  const exMax = s.exclusiveMaximum as unknown;
  let lo = s.minimum;
  let hi = s.maximum;
  if (typeof exMin === 'number') lo = Math.max(lo ?? -Infinity, exMin + step);
  else if (exMin === true && lo !== undefined) lo += step;
  if (typeof exMax === 'number') hi = Math.min(hi ?? Infinity, exMax - step);
  else if (exMax === true && hi !== undefined) hi -= step;
  if (integer) {
    if (lo !== undefined) lo = Math.ceil(lo);
    if (hi !== undefined) hi = Math.floor(hi);
  }
  return { ...(lo === undefined ? {} : { lo }), ...(hi === undefined ? {} : { hi }) };
}

/** Moves a number into the schema's range and onto its `multipleOf` grid (keeping it an integer if needed). */
export function fitNumber(s: JsonSchema, n: number, integer: boolean): number {
  const { lo, hi } = numericBounds(s, integer);
  let v = n;
  if (lo !== undefined && v < lo) v = lo;
  if (hi !== undefined && v > hi) v = hi;
  const m = typeof s.multipleOf === 'number' && s.multipleOf > 0 ? s.multipleOf : null;
  if (m !== null) {
    let k = Math.round(v / m);
    if (lo !== undefined && k * m < lo) k = Math.ceil(lo / m);
    if (hi !== undefined && k * m > hi) k = Math.floor(hi / m);
    v = Number((k * m).toPrecision(12));
  }
  if (integer) v = Math.round(v);
  return Number.isInteger(v) ? v : Number(v.toFixed(2)) === v ? v : Number(v.toPrecision(12));
}

/** Values for the string formats ajv-formats checks that the name-based sampler does not produce. */
export function formatString(format: string | undefined, rng: Rng, word: () => string): string | null {
  const n = (lo: number, hi: number): number => rng.int(lo, hi);
  switch (format) {
    case 'time':
      return `${String(n(0, 23)).padStart(2, '0')}:${rng.pick(['00', '15', '30', '45'])}:00Z`;
    case 'duration':
      return rng.pick([`P${n(1, 30)}D`, `PT${n(1, 48)}H`, `PT${n(1, 59)}M`, `P${n(1, 12)}M`]);
    case 'ipv4':
      return `${n(10, 223)}.${n(0, 255)}.${n(0, 255)}.${n(1, 254)}`;
    case 'ipv6':
      return `2001:db8:${n(0, 0xffff).toString(16)}::${n(1, 0xffff).toString(16)}`;
    case 'hostname':
      return `${word()}.${rng.pick(['com', 'org', 'io', 'net'])}`;
    case 'byte':
      return Buffer.from(word()).toString('base64');
    case 'int32':
    case 'int64':
      return String(n(1, 5000));
    case 'float':
    case 'double':
      return `${n(1, 500)}.${n(1, 99)}`;
    default:
      return null;
  }
}
