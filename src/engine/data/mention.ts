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
  // "Maximum number of URLs to analyze" → "up to 10 URLs".
  const unit = /number of (?:the )?([A-Za-z]+(?: [a-z]+)?)/.exec(f.description ?? '')?.[1]?.replace(/ (to|per|that|in|of)$/, '');
  const out: Phrase[] = [T(w, ' ', s), T(w, ' ', s), T(w, ': ', s), T('with ', w, ' ', s), T(w, ' set to ', s), T('where ', w, ' is ', s)];
  // Bare "at most 5" only for a plain limit; "max age"/"time limit" need their own words.
  const timeish = /\b(time|timeout|age|delay|wait|depth)\b/.test(w);
  if (w === 'limit') out.push(T('at most ', s), T('max ', s), T('no more than ', s), T('up to ', s), T('limit ', s));
  if (unit && !timeish && /\b(limit|max|maximum|count|size|urls?)\b/.test(w))
    out.push(T('up to ', s, ' ', unit), T('at most ', s, ' ', unit), T('no more than ', s, ' ', unit), T(s, ' ', unit, ' max'), T('only the first ', s, ' ', unit), T(s, ' ', unit));
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

const DESC_VERBS = /^(ignore|skip|exclude|allow|allows|enable|use|return|show|include|only|emulate|follow|remove|block|wait|parse|store)\b/i;

/** Clauses read off the description: "Include active alerts in results" → "exclude active alerts" for false. */
function boolFromDescription(description: string, v: boolean): Phrase[] {
  const first = (description.split(/(?<=\.)\s|\n/)[0] ?? '').replace(/\.$/, '').trim();
  const include = /^include (.+?) in (?:the )?(?:results|response|groups)/i.exec(first);
  if (include) {
    const x = (include[1] as string).toLowerCase();
    return v ? [T('include ', x), T('including ', x)] : [T('exclude ', x), T('without ', x), T('leave out ', x), T('not the ', x)];
  }
  // "Only return trips where …" negated reads badly; false then falls back to the name templates.
  if (/^only\b/i.test(first) && !v) return [];
  const want = /^set to true if you want to (.+)$/i.exec(first);
  if (want) return v ? [T(want[1] as string)] : [T("don't ", want[1] as string)];
  if (!DESC_VERBS.test(first) || first.split(/\s+/).length > 12 || /[`(]/.test(first)) return [];
  const clause = first.replace(/^allows/i, 'allow').replace(/ known to be /, ' ').replace(/^./, (c) => c.toLowerCase());
  return v ? [T(clause)] : [T("don't ", clause), T('do not ', clause)];
}

/** Boolean clauses. Names like `has_dog`, `includeX`, `ignoreX`, `onlyX` read as verbs; others as adjectives. */
function boolTemplates(label: string, v: boolean, description = ''): Phrase[] {
  const fromDesc = boolFromDescription(description, v);
  const generic = boolNameTemplates(label, v);
  return fromDesc.length > 0 ? [...fromDesc, ...fromDesc, ...generic] : generic;
}

function boolNameTemplates(label: string, v: boolean): Phrase[] {
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
    return { key, clause: rng.pick(boolTemplates(label, sampled.value, f.description ?? f.schema.description)), bare: sampled.surface, primary: false };
  }
  if (sampled.phrase) return { key, clause: lit(sampled.phrase), bare: sampled.surface, primary };
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
