/** Prompt-lookup drafts (lookup.ts) and the prefix cache's bookkeeping (prefix.ts), without a model. */
import { describe, expect, it } from 'vitest';

import {
  AnswerHistory,
  constrainedDraft,
  lookupCandidates,
  lookupDraft,
  type DraftConstraint,
} from '../../../src/engine/infer/lookup.js';
import { f32, type HostTensor } from '../../../src/engine/infer/ort.js';
import { PrefixCache } from '../../../src/engine/infer/prefix.js';

describe('lookupDraft', () => {
  it('continues the latest earlier occurrence of the longest matching suffix', () => {
    // suffix [7, 8] occurs at 0 (followed by 1, 2) and at 4 (followed by 3, 4); the latest wins.
    expect(lookupDraft([7, 8, 1, 2, 7, 8, 3, 4, 9, 7, 8], { draftTokens: 2 })).toEqual([3, 4]);
    // a 3-gram beats a later 1-gram match
    expect(lookupDraft([1, 2, 3, 50, 51, 9, 3, 60, 1, 2, 3], { draftTokens: 2 })).toEqual([50, 51]);
  });

  it('respects minNgram, the draft size, the limit and the end of the context', () => {
    expect(lookupDraft([5, 6, 9, 5], { minNgram: 2 })).toEqual([]);
    expect(lookupDraft([5, 6, 9, 5], { minNgram: 1 })).toEqual([6, 9, 5]);
    expect(lookupDraft([5, 6, 9, 5], { draftTokens: 8 }, 1)).toEqual([6]);
    expect(lookupDraft([4, 4], {})).toEqual([4]);
    expect(lookupDraft([1, 2, 3], {})).toEqual([]);
    expect(lookupDraft([1], {})).toEqual([]);
  });

  it('falls back to recent answers (most recent first) when the context has no match of that length', () => {
    const answers = [
      [1, 2, 3, 40],
      [1, 2, 3, 50, 51],
    ];
    expect(lookupDraft([9, 1, 2, 3], { draftTokens: 2 }, Infinity, answers)).toEqual([50, 51]);
    // a context match of the same length wins over the answers
    expect(lookupDraft([1, 2, 3, 7, 1, 2, 3], { draftTokens: 1 }, Infinity, answers)).toEqual([7]);
    // a longer n-gram in the answers beats a shorter one in the context
    expect(lookupDraft([3, 8, 2, 3], { draftTokens: 1 }, Infinity, answers)).toEqual([50]);
  });

  it('lookupCandidates yields in lookupDraft order: longest n first, latest first, context before answers', () => {
    const answers = [
      [2, 3, 40],
      [2, 3, 50],
    ];
    // n=2 [2, 3]: context at 0 (→ 7), answers newest first (→ 50, 40); n=1 [3]: context at 4 (→ 9), 1 (→ 7)
    expect([...lookupCandidates([2, 3, 7, 1, 3, 9, 2, 3], {}, answers)]).toEqual([7, 50, 40, 9, 7, 50, 40]);
    expect([...lookupCandidates([2, 3, 7, 1, 3, 9, 2, 3], {}, answers, 2)]).toEqual([7, 50]);
    expect(lookupDraft([2, 3, 7, 1, 3, 9, 2, 3], { draftTokens: 1 }, Infinity, answers)).toEqual([7]);
  });

  it('AnswerHistory keeps the last answers per adapter', () => {
    const h = new AnswerHistory(2);
    const a = {};
    const b = {};
    for (const x of [[1], [2], [3]]) h.add(a, x);
    h.add(b, [9]);
    h.add(b, []);
    expect(h.answers(a)).toEqual([[2], [3]]);
    expect(h.answers(b)).toEqual([[9]]);
    expect(h.answers({})).toEqual([]);
  });
});

/** Allows even tokens and the stop token 99; after 10 it forces 11, 12. */
class Evens implements DraftConstraint {
  private queue: number[] = [];
  accepted: number[] = [];
  isAllowed(id: number): boolean {
    return this.queue.length > 0 ? id === this.queue[0] : id % 2 === 0 || id === 99;
  }
  accept(id: number): void {
    if (!this.isAllowed(id)) throw new Error(`refused ${id}`);
    this.accepted.push(id);
    if (this.queue.length > 0) this.queue.shift();
    else if (id === 10) this.queue = [11, 12];
  }
  forced(): number[] {
    return [...this.queue];
  }
  done(): boolean {
    return this.accepted.includes(99);
  }
}

describe('constrainedDraft', () => {
  const stops = new Set([99]);
  it('ends where no lookup candidate is allowed', () => {
    expect(constrainedDraft([2, 4, 6, 7, 8, 2], new Evens(), stops)).toEqual([4, 6]);
  });
  it('skips a refused candidate for the next allowed one (an earlier occurrence, a shorter n-gram)', () => {
    // after 3: the latest occurrence continues with 7 (refused), the earlier one with 8; then [3, 8] → 2
    expect(constrainedDraft([3, 8, 2, 3, 7, 2, 3], new Evens(), stops)).toEqual([8, 2]);
    expect(lookupDraft([3, 8, 2, 3, 7, 2, 3], { draftTokens: 1 })).toEqual([7]); // plain lookup's choice
  });
  it('takes forced tokens as the draft and looks up again after them', () => {
    // after 10 the constraint forces 11, 12; lookup then continues [11, 12] → 14
    const sim = new Evens();
    sim.accept(10); // the decoder's state: 10 decided
    expect(constrainedDraft([10, 11, 12, 14, 16, 3, 10], sim, stops, { draftTokens: 4 })).toEqual([
      11, 12, 14, 16,
    ]);
  });
  it("guesses the constraint's shortest completion where no lookup candidate is allowed", () => {
    class Closing extends Evens {
      completion(): number[] {
        return [20, 22, 99];
      }
    }
    // after 3 the only candidates are odd (refused): the completion is the draft, up to its stop token
    expect(constrainedDraft([3, 7, 5, 3], new Closing(), stops)).toEqual([20, 22, 99]);
    expect(constrainedDraft([3, 7, 5, 3], new Evens(), stops)).toEqual([]);
  });
  it('inside a copied string, continues the copy where lookup agrees with its first token or has none', () => {
    class Copying extends Evens {
      copying(): boolean {
        return true;
      }
      completion(): number[] {
        return [4, 30, 32, 99]; // the rest of the copied value, its closing and the call's end
      }
    }
    // after 2 lookup proposes 4, the copy's first token: the whole continuation is the draft
    expect(constrainedDraft([2, 4, 6, 2], new Copying(), stops)).toEqual([4, 30, 32, 99]);
    // lookup proposes 6, the copy 4: lookup's candidate wins (a recent answer may know the value better)
    expect(constrainedDraft([2, 6, 8, 2], new Copying(), stops, { draftTokens: 2 })).toEqual([6, 8]);
    // no allowed lookup candidate: the continuation
    expect(constrainedDraft([3, 7, 5, 3], new Copying(), stops)).toEqual([4, 30, 32, 99]);
  });
  it('stops after a stop token and at the limit', () => {
    expect(constrainedDraft([2, 99, 4, 2], new Evens(), stops)).toEqual([99]);
    expect(constrainedDraft([2, 4, 6, 8, 2], new Evens(), stops, {}, 2)).toEqual([4, 6]);
  });
});

describe('PrefixCache', () => {
  const kv = (len: number): Record<string, HostTensor> => ({
    'present.0.key': f32(
      Float32Array.from({ length: 2 * len * 3 }, (_, i) => i),
      [1, 2, len, 3],
    ),
  });
  const loraA: Record<string, HostTensor> = {};
  const loraB: Record<string, HostTensor> = {};

  it('serves the longest shared prefix of the same adapter, sliced, never the whole prompt', () => {
    const c = new PrefixCache();
    c.store(loraA, [1, 2, 3, 4], kv(4));
    expect(c.lookup(loraB, [1, 2, 3, 9])).toBeNull();
    const hit = c.lookup(loraA, [1, 2, 3, 9])!;
    expect(hit.length).toBe(3);
    const t = hit.kv['present.0.key']!;
    expect(t.dims).toEqual([1, 2, 3, 3]);
    // head 1 starts at position 0 of the source's head 1 (offset 4 * 3 there)
    expect(Array.from(t.data as Float32Array).slice(9, 12)).toEqual([12, 13, 14]);
    expect(c.lookup(loraA, [1, 2, 3, 4])!.length).toBe(3);
    expect(c.lookup(loraA, [7, 2])).toBeNull();
  });

  it('is bounded in entries and bytes, drops entries a new prompt extends, evicts least recently used', () => {
    const c = new PrefixCache({ maxEntries: 2, maxBytes: 10 * 2 * 3 * 4 }); // 10 positions
    c.store(loraA, [1, 2], kv(2));
    c.store(loraA, [1, 2, 3], kv(3)); // extends [1, 2]: replaces it
    expect(c.size).toBe(1);
    c.store(loraA, [5, 6], kv(2));
    c.lookup(loraA, [1, 2, 3, 4]); // touch [1, 2, 3]
    c.store(loraA, [8, 9], kv(2)); // evicts [5, 6]
    expect(c.lookup(loraA, [5, 6, 7])).toBeNull();
    expect(c.lookup(loraA, [1, 2, 3, 4])!.length).toBe(3);
    c.store(loraA, [7], kv(11)); // larger than the byte bound: not kept
    expect(c.lookup(loraA, [7, 7])).toBeNull();
    c.store(loraB, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], kv(10));
    expect(c.bytes).toBeLessThanOrEqual(c.maxBytes);
    expect(c.size).toBe(1);
  });
});
