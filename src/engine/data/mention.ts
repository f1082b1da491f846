import type { Rng } from './rng.js';
import type { FieldInfo, Sampled } from './values.js';
import { humanize, identWords, lit, listPhrases, singular, type Phrase } from './words.js';

/**
 * How a task states one parameter or body field: a clause ("at most 5", "into German", "without dogs") built
 * from the field's name and description. The value segments inside are copied verbatim into the call.
 */
export interface Mention {
  /** Flattened location, e.g. `query.limit`, `body.source.name`. */
  key: string;
  clause: Phrase;
  /** The value alone, for templates that put it right after the verb ("scrape https://…"). */
  bare: Phrase;
  primary: boolean;
}

const T = (...parts: (string | Phrase)[]): Phrase => parts.flatMap((p) => (typeof p === 'string' ? lit(p) : p));

/** "passenger name" → "passenger", when the value is itself the name. */
function dropNameWord(label: string): string | null {
  const w = label.split(' ');
  return w.length > 1 && w[w.length - 1] === 'name' ? w.slice(0, -1).join(' ') : null;
}

function scalarTemplates(label: string, f: FieldInfo, s: Phrase, isDate: boolean): Phrase[] {
  const w = label;
  const out: Phrase[] = [T(w, ' ', s), T(w, ' ', s), T(w, ': ', s), T('with ', w, ' ', s), T(w, ' set to ', s), T('where ', w, ' is ', s)];
  if (/\b(limit|max|maximum)\b/.test(w)) out.push(T('at most ', s), T('max ', s), T('no more than ', s), T('up to ', s), T('limit ', s));
  if (/\bpage\b/.test(w)) out.push(T('page ', s), T('on page ', s));
  if (/\btarget\b/.test(w)) out.push(T('into ', s), T('to ', s), T('into ', s));
  if (/\bsource\b/.test(w)) out.push(T('from ', s), T('from ', s));
  if (/\b(start|starts|from|begin)\b/.test(w)) out.push(T('from ', s), T('starting ', s));
  if (/\b(end|ends|until|to)\b/.test(w)) out.push(T('until ', s), T('ending ', s));
  if (isDate && !/\b(start|end|from|until)/.test(w)) out.push(T('on ', s), T('for ', s));
  if (/\b(style|tone|format|type|mode|kind)\b/.test(w)) out.push(T(s, ' ', w), T('in ', s, ' ', w), T('as ', s));
  if (/\b(search|query|term|keyword)\b/.test(w)) out.push(T('matching ', s), T('for ', s), T('about ', s));
  const noName = dropNameWord(w);
  if (noName) out.push(T(noName, ' ', s), T(noName, ' ', s));
  if (/\b(url|uri|link|website)\b/.test(w)) out.push(T(s), T('at ', s));
  if (/\b(regex|pattern|paths?)\b/.test(w) || /pattern/i.test(f.description ?? '')) out.push(T('matching ', s));
  return out;
}

/** Boolean clauses. Names like `has_dog`, `includeX`, `ignoreX`, `onlyX` read as verbs; others as adjectives. */
function boolTemplates(label: string, v: boolean): Phrase[] {
  const w = identWords(label.replace(/ /g, '_'));
  const head = w[0] ?? label;
  const rest = w.slice(1).join(' ');
  if (head === 'is' && rest)
    return v
      ? [T(rest, ': yes'), T('as a ', rest), T(label, ': true'), T(rest), T('using ', rest)]
      : [T('not a ', rest), T(rest, ': no'), T(label, ': false'), T('no ', rest), T('non-', rest)];
  if ((head === 'has' || head === 'with') && rest)
    return v ? [T('with a ', rest), T('bringing a ', rest), T('has a ', rest), T(label, ': yes')] : [T('without a ', rest), T('no ', rest), T(label, ': no')];
  if (['include', 'show', 'ignore', 'allow', 'enable', 'only', 'skip', 'use', 'parse', 'preserve'].includes(head) && rest)
    return v
      ? [T(label), T('and ', label), T(label, ': true'), T(label, ' on'), T('with ', label, ' enabled')]
      : [T("don't ", label), T('do not ', label), T(label, ': false'), T(label, ' off'), T('with ', label, ' disabled')];
  return v
    ? [T(label, ' ones only'), T('only ', label), T(label, ': true'), T(label, ' = true'), T('with ', label), T(label)]
    : [T('exclude ', label), T('without the ', label, ' ones'), T('leave out ', label, ' ones'), T('no ', label), T('not ', label), T(label, ': false'), T(label, '=false'), T('hide ', label)];
}

export function scalarMention(key: string, f: FieldInfo, sampled: Sampled, rng: Rng, primary = false): Mention {
  const label = humanize(f.name);
  if (typeof sampled.value === 'boolean') {
    return { key, clause: rng.pick(boolTemplates(label, sampled.value)), bare: sampled.surface, primary: false };
  }
  const isDate = f.schema.format === 'date' || f.schema.format === 'date-time';
  return { key, clause: rng.pick(scalarTemplates(label, f, sampled.surface, isDate)), bare: sampled.surface, primary };
}

export function listMention(key: string, f: FieldInfo, items: Sampled[], rng: Rng, primary = false): Mention {
  const label = humanize(f.name);
  const one = singular(label.split(' ').pop() ?? label);
  const bare = listPhrases(items.map((i) => i.surface), rng.pick(['and', 'and', 'or'].slice(0, 2)));
  const templates: Phrase[] = [T(label, ' ', bare), T(label, ': ', bare), T('with ', label, ' ', bare)];
  if (items.length === 1) templates.push(T(label.replace(/s$/, ''), ' ', bare), T(one, ' ', bare));
  if (/\b(regex|pattern|paths?|filter|matchers?)\b/.test(label)) templates.push(T('matching ', bare));
  if (/\b(formats?)\b/.test(label)) templates.push(T('as ', bare), T('in ', bare, ' format'));
  return { key, clause: rng.pick(templates), bare, primary };
}

/** String maps such as labels/annotations: `k=v, k2=v2` or `k v and k2 v2`. */
export function mapMention(key: string, label: string, entries: [string, string][], rng: Rng): Mention {
  const style = rng.pick(['eq', 'eq', 'colon', 'space'] as const);
  const sep = style === 'eq' ? '=' : style === 'colon' ? ': ' : ' ';
  const pairs = entries.map(([k, v]) => T([{ text: k, value: true }], sep, [{ text: v, value: true }]));
  const bare = listPhrases(pairs);
  const clause = rng.pick([T(label, ' ', bare), T(label, ': ', bare), T('with ', label, ' ', bare), T(singular(label), ' ', bare)]);
  return { key, clause, bare, primary: false };
}
