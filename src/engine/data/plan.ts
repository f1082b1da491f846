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
 */
export function contrastPairs(profiles: OpProfile[]): [OpProfile, OpProfile][] {
  const pairs: [OpProfile, OpProfile][] = [];
  const root = (p: OpProfile): string =>
    p.op.path
      .split('/')
      .filter((s) => s && !s.startsWith('{'))
      .slice(0, 2)
      .join('/');
  const fields = new Map(profiles.map((p) => [p, bodyFields(p)]));
  const shareBody = (a: OpProfile, b: OpProfile): boolean =>
    a.op.method === b.op.method &&
    [...(fields.get(a) ?? [])].filter((f) => fields.get(b)?.has(f)).length >= 2;
  for (let i = 0; i < profiles.length; i++)
    for (let j = i + 1; j < profiles.length; j++) {
      const [a, b] = [profiles[i] as OpProfile, profiles[j] as OpProfile];
      if (a.op.path === b.op.path || root(a) === root(b) || shareBody(a, b)) pairs.push([a, b]);
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
