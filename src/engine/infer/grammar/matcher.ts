import { SmolmapError } from '../../errors.js';
import type { Tokenizer } from '../../model/tokenizer/types.js';
import { CopyConstraint, type CopyRun } from './copy.js';
import { DEAD, LazyDfa, maskKey, positionKey, shortestAccepted, stringPosition } from './dfa.js';
import type { Program } from './program.js';
import { VocabTrie, type ByteTrie } from './vocab.js';

/**
 * A grammar applied over one tokenizer's vocabulary. Token masks are cached per mask key (see `maskKey`),
 * forced continuations per DFA state; both are shared by every matcher made from this object.
 */
export class TokenGrammar {
  readonly dfa: LazyDfa;
  readonly vocab: VocabTrie;
  private readonly masks = new Map<string, Uint32Array>();
  private readonly forcedCache = new Map<number, number[]>();
  private readonly completions = new Map<number, number[]>();
  private readonly shortestCache = new Map<number, Uint8Array | null>();
  private readonly stopIds: readonly number[];
  /** Masks kept at most; inside long strings keys repeat, so this bounds memory, not hit rate. */
  static readonly MAX_CACHED_MASKS = 4096;

  constructor(
    program: Program,
    startNode: number,
    readonly tokenizer: Tokenizer,
    vocab?: VocabTrie,
  ) {
    this.dfa = new LazyDfa(program, startNode);
    this.vocab = vocab ?? new VocabTrie(tokenizer);
    this.stopIds = tokenizer.stopTokenIds;
  }

  /**
   * A fresh decoding run. `copyFrom`: the task, whose text free string values must copy (see copy.ts);
   * without it string values are free.
   */
  matcher(options: MatcherOptions = {}): GrammarMatcher {
    const copy = options.copyFrom === undefined ? null : new CopyConstraint(this, options.copyFrom);
    return new GrammarMatcher(this, copy);
  }

  /** Bit i of word i >> 5 is set when token i is allowed in `state`. Shared: do not modify. */
  mask(state: number): Uint32Array {
    const key = maskKey(this.dfa, state, this.vocab.maxTokenBytes);
    const hit = this.masks.get(key);
    if (hit) return hit;
    // A state's language is the union of its positions' languages, so its mask is the OR of theirs.
    const mask = new Uint32Array(Math.ceil(this.vocab.vocabSize / 32));
    if (this.dfa.state(state).accepting) for (const id of this.stopIds) mask[id >>> 5]! |= 1 << (id & 31);
    for (const pos of this.dfa.state(state).positions) {
      const part = this.positionMask(pos);
      for (let w = 0; w < mask.length; w++) mask[w]! |= part[w] ?? 0;
    }
    this.remember(key, mask);
    return mask;
  }

  private positionMask(pos: number): Uint32Array {
    const key = `p${positionKey(this.dfa, pos, this.vocab.maxTokenBytes)}`;
    const hit = this.masks.get(key);
    if (hit) return hit;
    const single = this.dfa.single(pos);
    const str = stringPosition(this.dfa, pos);
    let mask: Uint32Array;
    if (str?.atChar) {
      // Plain-content tokens up to the characters left, in bulk; only the string-special ones are walked.
      const { pureUpTo } = this.vocab;
      mask = Uint32Array.from(pureUpTo[Math.min(str.max - str.count, pureUpTo.length - 1)] as Uint32Array);
      this.walk(this.vocab.stringSpecial, single, mask);
    } else {
      mask = new Uint32Array(Math.ceil(this.vocab.vocabSize / 32));
      this.walk(this.vocab.all, single, mask);
    }
    this.remember(key, mask);
    return mask;
  }

  private remember(key: string, mask: Uint32Array): void {
    if (this.masks.size >= TokenGrammar.MAX_CACHED_MASKS) this.masks.clear();
    this.masks.set(key, mask);
  }

  /** Sets the bits of the trie's tokens that `state` admits (depth-first, pruning dead prefixes). */
  private walk(trie: ByteTrie, state: number, mask: Uint32Array): void {
    const { dfa } = this;
    const nodes: number[] = [0];
    const states: number[] = [state];
    while (nodes.length > 0) {
      const node = nodes.pop() as number;
      const at = states.pop() as number;
      for (let c = trie.firstChild[node] ?? -1; c !== -1; c = trie.nextSibling[c] ?? -1) {
        const to = dfa.step(at, trie.byte[c] ?? 0);
        if (to === DEAD) continue;
        const end = trie.tokenStart[c + 1] ?? 0;
        for (let k = trie.tokenStart[c] ?? 0; k < end; k++) {
          const id = trie.tokenIds[k] ?? 0;
          mask[id >>> 5]! |= 1 << (id & 31);
        }
        nodes.push(c);
        states.push(to);
      }
    }
  }

  /** The state after a token, DEAD if the grammar refuses it (stop tokens are handled by the matcher). */
  advance(state: number, tokenId: number): number {
    const bytes = this.vocab.tokenBytes[tokenId];
    if (!bytes || bytes.length === 0) return DEAD;
    return this.dfa.run(state, bytes);
  }

  /** `shortestAccepted` from `state`, cached (null: none). */
  shortest(state: number): Uint8Array | null {
    let hit = this.shortestCache.get(state);
    if (hit === undefined) {
      hit = shortestAccepted(this.dfa, state);
      this.shortestCache.set(state, hit);
    }
    return hit;
  }

  /** Tokens of the shortest text accepted from `state` (`shortestAccepted`), canonical encoding; cached. */
  completion(state: number): number[] {
    const hit = this.completions.get(state);
    if (hit) return hit;
    const bytes = this.shortest(state);
    let ids: number[] = [];
    try {
      if (bytes && bytes.length > 0)
        ids = this.tokenizer.encode(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch {
      ids = []; // ends inside a character: no guess
    }
    this.completions.set(state, ids);
    return ids;
  }

  /** True when nothing but the end can follow `state`. */
  isFinal(state: number): boolean {
    return this.dfa.state(state).accepting && !this.dfa.admitsAny(state);
  }

  /**
   * Tokens the grammar forces from `state`: the bytes it admits one way only, encoded the tokenizer's
   * canonical way. The last token is held back unless the text reaches the end, because in the canonical
   * tokenisation of the whole output it may merge with the text that follows.
   */
  forced(state: number): number[] {
    const hit = this.forcedCache.get(state);
    if (hit) return hit;
    const bytes: number[] = [];
    let at = state;
    for (;;) {
      if (this.dfa.state(at).accepting) break;
      const b = this.dfa.onlyByte(at);
      if (b === null) break;
      bytes.push(b);
      at = this.dfa.step(at, b);
    }
    const tokens = this.encodeForced(Uint8Array.from(bytes), this.isFinal(at));
    this.forcedCache.set(state, tokens);
    return tokens;
  }

  /**
   * Forced bytes as tokens: the tokenizer's canonical encoding, without its last token unless `reachesEnd`
   * (see `forced`). Empty when the bytes end inside a character or do not re-encode to themselves.
   */
  encodeForced(bytes: Uint8Array, reachesEnd: boolean): number[] {
    if (bytes.length === 0) return [];
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return []; // a forced run ending inside a character: let the model step instead
    }
    const ids = this.tokenizer.encode(text);
    const spelled = ids.flatMap((id) =>
      this.tokenizer.isSpecial(id) ? [-1] : [...(this.vocab.tokenBytes[id] ?? [])],
    );
    if (spelled.length !== bytes.length || spelled.some((b, i) => b !== bytes[i])) return [];
    return reachesEnd ? ids : ids.slice(0, -1);
  }
}

export interface MatcherOptions {
  /** Constrain free string values to copies of this text (the task) or of the spec's suggested values. */
  copyFrom?: string;
}

/** One decoding run through a grammar: the mask for the next token, acceptance, forced tokens, completion. */
export class GrammarMatcher {
  private state: number;
  private stopped = false;
  private history: number[] = [];
  /** The copy in progress (copy constraint only). */
  private run: CopyRun | null = null;
  /** The copy-constrained mask of the current state, until the next token. */
  private current: Uint32Array | null = null;
  /** The copy-constrained forced tokens of the current state, until the next token. */
  private forcedHere: number[] | null = null;
  /** The completion of the current state outside a copy, until the next token. */
  private completionHere: number[] | null = null;

  constructor(
    private readonly grammar: TokenGrammar,
    private readonly copy: CopyConstraint | null = null,
  ) {
    this.state = grammar.dfa.start;
  }

  /** An independent matcher in the same state (for speculative decoding and look-ahead). */
  clone(): GrammarMatcher {
    const m = new GrammarMatcher(this.grammar, this.copy);
    m.state = this.state;
    m.stopped = this.stopped;
    m.history = [...this.history];
    m.run = this.run;
    m.current = this.current;
    m.forcedHere = this.forcedHere;
    return m;
  }

  /** Allowed next tokens as a bitmask over the vocabulary (bit i of word i >> 5). Shared: do not modify. */
  allowed(): Uint32Array {
    if (this.stopped) return new Uint32Array(Math.ceil(this.grammar.vocab.vocabSize / 32));
    if (!this.copy) return this.grammar.mask(this.state);
    this.current ??= this.copy.mask(this.state, this.run);
    return this.current;
  }

  isAllowed(tokenId: number): boolean {
    if (this.stopped) return false;
    if (this.grammar.tokenizer.stopTokenIds.includes(tokenId))
      return this.grammar.dfa.state(this.state).accepting;
    if (this.current) return ((this.current[tokenId >>> 5]! >>> (tokenId & 31)) & 1) === 1;
    if (this.copy) return this.copy.allows(this.state, this.run, this.grammar.vocab.tokenBytes[tokenId]!);
    return this.grammar.advance(this.state, tokenId) !== DEAD;
  }

  /** Consumes a token; a refused token is a decoder bug (it must sample from `allowed()`). */
  accept(tokenId: number): void {
    if (!this.isAllowed(tokenId)) {
      throw new SmolmapError(
        'grammar_token_refused',
        `token ${tokenId} is not allowed here by the spec grammar`,
        {
          details: { tokenId, text: this.text() },
        },
      );
    }
    this.history.push(tokenId);
    this.current = null;
    this.forcedHere = null;
    this.completionHere = null;
    if (this.grammar.tokenizer.stopTokenIds.includes(tokenId)) this.stopped = true;
    else if (!this.copy) this.state = this.grammar.advance(this.state, tokenId);
    else {
      const next = this.copy.advance(this.state, this.run, this.grammar.vocab.tokenBytes[tokenId]!);
      if (!next) throw new Error(`internal: token ${tokenId} was allowed but the copy constraint refuses it`);
      this.state = next.state;
      this.run = next.run;
    }
  }

  /**
   * Tokens to append without a model step (possibly none); accept them as usual. Under a copy constraint also
   * the bytes the copy makes unique (a UUID once its prefix matches one place in the task, see
   * `CopyConstraint.forced`), not only those the grammar alone admits one way.
   */
  forced(): number[] {
    if (this.stopped) return [];
    if (!this.copy) return this.grammar.forced(this.state);
    this.forcedHere ??= this.copy.forced(this.state, this.run);
    return this.forcedHere;
  }

  /**
   * A guess at the rest of the output for drafts (lookup.ts), not a constraint, canonically encoded: the shortest
   * text that completes it. Under the copy constraint, inside a copied string the copy goes on first (closing at
   * once is rarely what comes; CopyConstraint.continuation), and the guess stops after a copied string's opening
   * quote (where the value starts is the model's choice). A token of it may be refused by the copy constraint.
   */
  completion(): number[] {
    if (this.stopped) return [];
    if (!this.copy) return this.grammar.completion(this.state);
    if (!this.run) {
      this.completionHere ??= this.grammar.encodeForced(
        Uint8Array.from(this.copy.completionBytes(this.state)),
        true,
      );
      return this.completionHere;
    }
    const copied = this.copy.continuation(this.state, this.run);
    const rest = copied.state === DEAD ? [] : this.copy.completionBytes(copied.state);
    return this.grammar.encodeForced(Uint8Array.from([...copied.bytes, ...rest]), true);
  }

  /** True inside a copy-constrained string. */
  copying(): boolean {
    return this.run !== null;
  }

  /** True once the output is complete: a stop token was accepted or nothing but the end can follow. */
  done(): boolean {
    return this.stopped || this.grammar.isFinal(this.state);
  }

  /** True when the output so far is a complete target (a stop token would be accepted). */
  canStop(): boolean {
    return !this.stopped && this.grammar.dfa.state(this.state).accepting;
  }

  /** The accepted tokens' text (stop tokens excluded). */
  text(): string {
    const ids = this.history.filter((id) => !this.grammar.tokenizer.stopTokenIds.includes(id));
    const bytes = ids.flatMap((id) => [...(this.grammar.vocab.tokenBytes[id] ?? [])]);
    return new TextDecoder().decode(Uint8Array.from(bytes));
  }

  tokens(): readonly number[] {
    return this.history;
  }
}
