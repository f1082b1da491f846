import type { Tokenizer } from '../../model/tokenizer/types.js';
import type { Catalog } from '../../specs/types.js';
import { TokenGrammar } from './matcher.js';
import { DEFAULT_LIMITS, type GrammarLimits } from './schema-grammar.js';
import { buildTargetProgram } from './target.js';
import { VocabTrie } from './vocab.js';

const tries = new WeakMap<Tokenizer, VocabTrie>();
const grammars = new WeakMap<Catalog, WeakMap<Tokenizer, TokenGrammar>>();

/**
 * The token grammar of a catalog's targets over a tokenizer, built once per (catalog, tokenizer) pair with
 * the default limits (the vocabulary trie once per tokenizer). Other limits build a fresh, uncached grammar.
 * Use `.matcher()` for each decoding run.
 */
export function callGrammar(catalog: Catalog, tokenizer: Tokenizer, limits?: GrammarLimits): TokenGrammar {
  let vocab = tries.get(tokenizer);
  if (!vocab) {
    vocab = new VocabTrie(tokenizer);
    tries.set(tokenizer, vocab);
  }
  if (limits && limits !== DEFAULT_LIMITS) {
    const { program, start } = buildTargetProgram(catalog, limits);
    return new TokenGrammar(program, start, tokenizer, vocab);
  }
  let byTokenizer = grammars.get(catalog);
  if (!byTokenizer) {
    byTokenizer = new WeakMap();
    grammars.set(catalog, byTokenizer);
  }
  let grammar = byTokenizer.get(tokenizer);
  if (!grammar) {
    const { program, start } = buildTargetProgram(catalog);
    grammar = new TokenGrammar(program, start, tokenizer, vocab);
    byTokenizer.set(tokenizer, grammar);
  }
  return grammar;
}
