import { describe, expect, it } from 'vitest';
import { validateCall } from '../../../src/engine/calls.js';
import { callGrammar } from '../../../src/engine/infer/grammar/call-grammar.js';
import type { GrammarMatcher, TokenGrammar } from '../../../src/engine/infer/grammar/matcher.js';
import type { GrammarLimits } from '../../../src/engine/infer/grammar/schema-grammar.js';
import { callToTarget, parseTarget } from '../../../src/engine/infer/prompt.js';
import type { Tokenizer } from '../../../src/engine/model/tokenizer/types.js';
import { maskIds, rng, smolTokenizer } from './grammar-helpers.js';
import { OWN_SPECS, ownCatalog, ownTasks } from './own-specs.js';

/** Small limits keep random walks short; the grammar's logic is the same at any limits. */
const WALK_LIMITS: GrammarLimits = {
  maxStringLength: 16,
  maxArrayItems: 3,
  maxMapEntries: 2,
  maxMapKeyLength: 8,
  anyJsonDepth: 1,
};
const WALKS = 120;
const MAX_STEPS = 4000;

/** Every token the mask allows must spell the forced text or a prefix of it or extend it. */
function checkForcedIsForced(m: GrammarMatcher, forced: number[], tok: Tokenizer): void {
  const forcedBytes = Buffer.from(forced.flatMap((id) => [...tok.tokenBytes(id)]));
  for (const id of maskIds(m.allowed())) {
    const b = Buffer.from(tok.tokenBytes(id));
    const n = Math.min(b.length, forcedBytes.length);
    expect(b.subarray(0, n).equals(forcedBytes.subarray(0, n))).toBe(true);
  }
}

const closingCache = new WeakMap<Tokenizer, Uint8Array>();
/** 1 for tokens that close something (`"`, `}`, `]`) or stop. */
function closingTokens(tok: Tokenizer): Uint8Array {
  let flags = closingCache.get(tok);
  if (!flags) {
    flags = new Uint8Array(tok.vocabSize);
    for (let id = 0; id < tok.vocabSize; id++) {
      const b = tok.tokenBytes(id);
      flags[id] =
        tok.stopTokenIds.includes(id) || b.some((x) => x === 0x22 || x === 0x7d || x === 0x5d) ? 1 : 0;
    }
    closingCache.set(tok, flags);
  }
  return flags;
}

function walk(grammar: TokenGrammar, tok: Tokenizer, seed: number, stopEarly: boolean): string {
  const closing = closingTokens(tok);
  const random = rng(seed);
  const m = grammar.matcher();
  for (let step = 0; step < MAX_STEPS && !m.done(); step++) {
    const forced = m.forced();
    if (forced.length > 0 && random() < 0.5) {
      if (step % 7 === 0) checkForcedIsForced(m, forced, tok);
      for (const id of forced) m.accept(id);
      continue;
    }
    const ids = maskIds(m.allowed());
    expect(ids.length).toBeGreaterThan(0);
    let pool = ids;
    if (stopEarly && random() < 0.9) {
      // Prefer tokens that close something (or stop), so walks also cover short outputs.
      const closers = ids.filter((id) => closing[id] === 1);
      if (closers.length > 0) pool = closers;
    }
    m.accept(pool[Math.floor(random() * pool.length)] ?? -1);
  }
  expect(m.done()).toBe(true);
  return m.text();
}

describe.each(OWN_SPECS)('spec grammar on %s', (spec) => {
  it('accepts the canonical target tokens of every expected call, and forced tokens equal them', async () => {
    const [catalog, tok] = await Promise.all([ownCatalog(spec), smolTokenizer()]);
    const grammar = callGrammar(catalog, tok);
    for (const { expected } of ownTasks(catalog, 40)) {
      const ids = tok.encode(callToTarget(expected, catalog));
      const m = grammar.matcher();
      for (let i = 0; i < ids.length; i++) {
        const forced = m.forced();
        expect(forced).toEqual(ids.slice(i, i + forced.length));
        const id = ids[i] ?? -1;
        expect(maskIds(m.allowed())).toContain(id);
        m.accept(id);
      }
      expect(m.done()).toBe(true);
      expect(() => m.accept(tok.stopTokenIds[0] ?? -1)).not.toThrow();
    }
  });

  it(`ends ${WALKS * 2} random walks (uniform and biased to stop early) in valid calls`, async () => {
    const [catalog, tok] = await Promise.all([ownCatalog(spec), smolTokenizer()]);
    const grammar = callGrammar(catalog, tok, WALK_LIMITS);
    const ops = new Set<string>();
    for (let seed = 1; seed <= WALKS * 2; seed++) {
      const text = walk(grammar, tok, seed, seed % 2 === 0);
      const call = parseTarget(text, catalog);
      ops.add(`${call.method} ${call.path}`);
      expect({ text, issues: validateCall(call, catalog) }).toEqual({ text, issues: [] });
    }
    // Uniform choice among tokens reaches many operations, not just the first one.
    expect(ops.size).toBeGreaterThan(Math.min(3, catalog.operations.length - 1));
  }, 300_000);
});
