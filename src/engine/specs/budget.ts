/**
 * Budgets for one spec, across all its operations: the catalog a spec expands to (schema nodes and bytes, after
 * `$ref`s and YAML aliases are inlined), and the regular expressions in its `pattern`s (each must compile in a
 * linear-time engine, and the states the decoding grammar spends on them are capped one by one and in total).
 * A small document can describe a huge catalog (many operations sharing one deep `$ref` tree, an alias fanned
 * out everywhere) or a pattern whose grammar has billions of states (`((a{64}){64}){64}`); past a budget the
 * spec is refused with a coded error naming the limit, before anything is stored.
 */
import { SmolmapError } from '../errors.js';
import { MAX_PATTERN_STATES, patternStates } from '../infer/grammar/pattern.js';
import { compileSpecPattern } from './patterns.js';

export interface SpecLimits {
  /** Schema nodes in the whole catalog (every operation's parameters and bodies, inlined). */
  catalogNodes: number;
  /** Bytes of text and values the catalog carries (an estimate of its JSON size). */
  catalogBytes: number;
  /** Decoding-grammar states one `pattern` may expand to. */
  patternStates: number;
  /** Decoding-grammar states all of a spec's `pattern`s may expand to together. */
  specPatternStates: number;
}

/** Generous for real APIs (thousands of operations with rich bodies), far below what exhausts memory. */
export const SPEC_LIMITS: Readonly<SpecLimits> = {
  catalogNodes: 250_000,
  catalogBytes: 24 * 1024 * 1024,
  patternStates: MAX_PATTERN_STATES,
  specPatternStates: 131_072,
};

const LIMIT_TEXT: Record<keyof SpecLimits, string> = {
  catalogNodes: 'schema nodes once its $refs and YAML aliases are inlined',
  catalogBytes: 'bytes of catalog once its $refs and YAML aliases are inlined',
  patternStates: 'grammar states for one pattern',
  specPatternStates: 'grammar states for all its patterns together',
};

/** Approximate JSON size of a value; stops counting once past `cap` (the caller fails then anyway). */
function jsonSize(value: unknown, cap: number): number {
  if (typeof value === 'string') return value.length + 2;
  if (value === null || typeof value !== 'object') return 8;
  let n = 2;
  const entries = Array.isArray(value) ? value.map((v) => ['', v] as const) : Object.entries(value);
  for (const [k, v] of entries) {
    n += k.length + 4 + jsonSize(v, cap - n);
    if (n > cap) return n;
  }
  return n;
}

/** What one spec has spent so far; shared by every schema of the spec while its catalog is built. */
export class SpecBudget {
  private nodes = 0;
  private bytes = 0;
  private states = 0;
  /** Patterns left out of the catalog, as `spec show` warnings. */
  readonly warnings = new Set<string>();

  constructor(
    private readonly source: string,
    private readonly limits: SpecLimits = SPEC_LIMITS,
  ) {}

  /** One schema object inlined at `at`. */
  node(at: string): void {
    if (++this.nodes > this.limits.catalogNodes) this.exceeded('catalogNodes', at);
  }

  /** A value the catalog keeps (a keyword's value, a description, a name). */
  value(value: unknown, at: string): void {
    this.bytes += jsonSize(value, this.limits.catalogBytes - this.bytes + 1);
    if (this.bytes > this.limits.catalogBytes) this.exceeded('catalogBytes', at);
  }

  /**
   * A `pattern` (or `patternProperties` key). One whose repeats multiply past RE2's bounds is refused like any
   * other blow-up; one written with syntax RE2 does not run (lookarounds, backreferences) is not enforced:
   * false, with a warning, and the caller leaves it out of the catalog. Real specs use lookarounds for details
   * such as "not starting with aws."; refusing the whole spec over one would refuse a usable API.
   */
  pattern(pattern: string, at: string): boolean {
    try {
      compileSpecPattern(pattern);
    } catch (e) {
      const message = (e as Error).message;
      if (/repeat count/.test(message))
        throw new SmolmapError(
          'spec_pattern_unsupported',
          `${this.source}: the pattern ${JSON.stringify(pattern)} at ${at} repeats more than a linear-time ` +
            `regular expression engine allows (${message}); write it with repeat counts under 1000 in all, ` +
            'and add the spec again',
          { cause: e, details: { pattern, at } },
        );
      this.warnings.add(
        `${at}: pattern ${JSON.stringify(pattern)} is not enforced (${message.replace(/^error parsing regexp: /, '')}; smolmap runs spec patterns in a linear-time engine, without lookarounds or backreferences)`,
      );
      return false;
    }
    const states = patternStates(pattern);
    if (states === null) return true; // outside the grammar's subset: decoding writes a free string for it
    if (states > this.limits.patternStates) this.exceeded('patternStates', at, states);
    this.states += states;
    if (this.states > this.limits.specPatternStates) this.exceeded('specPatternStates', at, this.states);
    return true;
  }

  private exceeded(limit: keyof SpecLimits, at: string, value?: number): never {
    const max = this.limits[limit];
    throw new SmolmapError(
      'spec_too_large',
      `${this.source} needs over ${max} ${LIMIT_TEXT[limit]} (limit ${limit}, reached at ${at}); ` +
        'split the spec, or share fewer deep schemas between operations, and add it again',
      { details: { limit, max, ...(value === undefined ? {} : { value }), at } },
    );
  }
}
