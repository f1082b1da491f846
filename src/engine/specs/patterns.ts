/**
 * Regular expressions from specs run in RE2JS, a port of RE2: matching takes time linear in the input, so a
 * pattern such as `^(a+)+$` cannot stall the process on a long value the way a backtracking engine does.
 * Patterns RE2 cannot express (lookarounds, backreferences) are left out of the catalog at ingest, with a
 * warning (budget.ts). ECMA-262 writes code
 * units as `\uXXXX`, which RE2 spells `\x{XXXX}`; that one spelling is translated.
 */
import { RE2JS } from 're2js';

/** Engines compiled per pattern text, for the validators of every catalog. */
const compiled = new Map<string, RE2JS>();
const MAX_CACHED = 10_000;

function toRe2Syntax(pattern: string): string {
  return pattern.replace(/(^|[^\\])((?:\\\\)*)\\u([0-9a-fA-F]{4})/g, '$1$2\\x{$3}');
}

/** The compiled pattern; throws RE2's syntax error when the pattern is outside what RE2 runs. */
export function compileSpecPattern(pattern: string): RE2JS {
  let re = compiled.get(pattern);
  if (!re) {
    re = RE2JS.compile(toRe2Syntax(pattern));
    if (compiled.size >= MAX_CACHED) compiled.clear();
    compiled.set(pattern, re);
  }
  return re;
}

/** Whether `value` contains a match, as JSON Schema's `pattern` asks (unanchored, like `RegExp.test`). */
export function patternMatches(pattern: string, value: string): boolean {
  return compileSpecPattern(pattern).matcher(value).find();
}

/** ajv's `code.regExp` engine: every `pattern` and `patternProperties` key goes through RE2JS. */
export function re2RegExp(pattern: string): { test(s: string): boolean; toString(): string } {
  const re = compileSpecPattern(pattern);
  return { test: (s) => re.matcher(s).find(), toString: () => `re2:${pattern}` };
}
re2RegExp.code = 're2js';

/**
 * A pattern written as a Perl / JavaScript literal (`/^.*[a-z]+.*$/i`) means its body: read literally, the slashes
 * are characters and the `$` before `/i` can never match. The body is kept, with `i` as RE2's `(?i)`.
 */
export function unwrapDelimited(pattern: string): string {
  const m = /^\/(.+)\/([gimsuy]*)$/s.exec(pattern);
  if (!m || (m[1] as string).endsWith('\\')) return pattern;
  return `${(m[2] ?? '').includes('i') ? '(?i)' : ''}${m[1]}`;
}

/**
 * RE2 refuses repeats over 1000 (`[A-Za-z0-9]{0,2048}`). Such a bound is a length limit, not a shape: a pattern
 * RE2 cannot compile for that reason keeps its shape with the large upper bounds opened (`{0,}`), and the
 * schema's `maxLength` (where the spec gives one) still bounds the length.
 */
export function openLargeRepeats(pattern: string): string {
  try {
    compileSpecPattern(pattern);
    return pattern;
  } catch (e) {
    if (!/repeat count/.test((e as Error).message)) return pattern;
    return pattern.replace(/(?<!\\)\{(\d+),(\d+)\}/g, (m: string, a: string, b: string) =>
      Number(b) > 1000 && Number(a) <= 1000 ? `{${a},}` : m,
    );
  }
}
