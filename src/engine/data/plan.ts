import { mergeAllOf, isInexpressible } from './body.js';
import type { Sampled } from './values.js';
import type { OpProfile } from './profile.js';

/**
 * How the generator plans a set over many operations: which operations users confuse (near-miss pairs), which
 * required arrays must hold two items, and which optional fields a coverage example can state.
 */
/** Top-level body field names (of the items, for an array body). */
function bodyFields(p: OpProfile): Set<string> {
  const s = p.op.requestBody?.schema ? mergeAllOf(p.op.requestBody.schema) : null;
  const obj = s?.type === 'array' && s.items ? mergeAllOf(s.items) : s;
  return new Set(Object.keys(obj?.properties ?? {}));
}

/**
 * Operations that users confuse: same path with another method, the same resource (list vs item vs sub-item),
 * or two writes whose bodies share two or more fields (a silence and an alert both have startsAt/endsAt; a
 * glossary and a translation both have source_lang/target_lang), where only the verb and the rest tell them apart.
 * Candidates come from buckets (resource root; method and body field), so the cost follows the pairs found
 * rather than every pair of operations; pairs are listed in operation order.
 */
export function contrastPairs(profiles: OpProfile[]): [OpProfile, OpProfile][] {
  // The same path has the same root, so one bucket serves both.
  const root = (p: OpProfile): string =>
    p.op.path
      .split('/')
      .filter((s) => s && !s.startsWith('{'))
      .slice(0, 2)
      .join('/');
  const bucket = <K>(m: Map<K, number[]>, k: K, i: number): void => {
    const list = m.get(k);
    if (list) list.push(i);
    else m.set(k, [i]);
  };
  const byRoot = new Map<string, number[]>();
  const byField = new Map<string, number[]>();
  const roots = profiles.map(root);
  const fieldKeys = profiles.map((p) => [...bodyFields(p)].map((f) => `${p.op.method} ${f}`));
  profiles.forEach((_, i) => {
    bucket(byRoot, roots[i] as string, i);
    for (const k of fieldKeys[i] as string[]) bucket(byField, k, i);
  });
  const shared = new Int32Array(profiles.length);
  const pairs: [OpProfile, OpProfile][] = [];
  for (let i = 0; i < profiles.length; i++) {
    const with_ = new Set<number>();
    for (const j of byRoot.get(roots[i] as string) ?? []) if (j > i) with_.add(j);
    const touched: number[] = [];
    for (const k of fieldKeys[i] as string[])
      for (const j of byField.get(k) ?? []) {
        if (j <= i) continue;
        if (shared[j] === 0) touched.push(j);
        shared[j] = (shared[j] as number) + 1;
      }
    for (const j of touched) {
      if ((shared[j] as number) >= 2) with_.add(j);
      shared[j] = 0;
    }
    const a = profiles[i] as OpProfile;
    for (const j of [...with_].sort((x, y) => x - y)) pairs.push([a, profiles[j] as OpProfile]);
  }
  return pairs;
}

const requiredBody = (p: OpProfile): string[] =>
  p.op.requestBody?.schema ? (mergeAllOf(p.op.requestBody.schema).required ?? []) : [];

/**
 * Finds required array fields that are the plural of another operation's required field with the same verb
 * (Firecrawl `POST /batch/scrape {urls}` beside `POST /scrape {url}`): a one-item list would be the same task as
 * the single operation, so those lists always get two or more items.
 */
export function markPluralTwins(profiles: OpProfile[]): void {
  for (const p of profiles) {
    const twins = new Set<string>();
    for (const field of requiredBody(p))
      for (const q of profiles)
        if (q !== p && q.verb === p.verb && requiredBody(q).some((f) => f !== field && `${f}s` === field))
          twins.add(field);
    if (twins.size > 0) p.pluralTwins = twins;
  }
}

/** Optional query parameters and optional top-level body fields an example can state. */
export function optionalNames(prof: OpProfile): string[] {
  const query = prof.op.parameters
    .filter((p) => p.in === 'query' && !p.required && !p.deprecated)
    .map((p) => p.name);
  const schema = prof.op.requestBody?.schema ? mergeAllOf(prof.op.requestBody.schema) : null;
  const required = new Set(schema?.required ?? []);
  const body = Object.entries(schema?.properties ?? {})
    .filter(([k, v]) => !required.has(k) && !v.readOnly && !v.deprecated && !isInexpressible(v))
    .map(([k]) => k);
  return [...query, ...body];
}

export function sharedIds(a: OpProfile, b: OpProfile, ids: Record<string, Sampled>): Record<string, Sampled> {
  const names = new Set(b.op.parameters.filter((p) => p.in === 'path').map((p) => p.name));
  return Object.fromEntries(
    Object.entries(ids).filter(([k]) => names.has(k) && a.op.parameters.some((p) => p.name === k)),
  );
}
