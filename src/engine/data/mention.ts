import type { Rng } from '../rng.js';
import { enumWordForms, isBooleanLikeEnum, saysYes } from './names.js';
import type { FieldInfo, Sampled } from './values.js';
import { humanize, identWords, lit, listPhrases, singular, type Phrase, T } from './words.js';

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
  /**
   * The value as a word before the listed noun ("registered assets", "suspended sims"), for a state-like enum
   * filter; a list task may say it there instead of in a clause.
   */
  modifier?: Phrase;
  /**
   * The value as the verb of the task, for an enum that picks what the operation does (`action: hangup` →
   * "hang up call 42").
   */
  verb?: string;
}

/** Fields whose enum picks what an operation does. */
const ACTION_FIELD = /^(action|operation|op|cmd|command|verb)$/;

/** "hang up" for `action: hangup`, "delete" for `del`: the value as a verb, or undefined. */
function actionVerb(label: string, f: FieldInfo, value: unknown): string | undefined {
  if (!ACTION_FIELD.test(label) || !Array.isArray(f.schema.enum) || typeof value !== 'string')
    return undefined;
  const forms = enumWordForms(f.schema.enum.map(String), f.name, f.description ?? '', new Map()).get(value);
  const word = (forms?.find((x) => /^[a-z]+( [a-z]+)?$/.test(x)) ?? value).toLowerCase();
  return /^[a-z]{3,}( [a-z]+)?$/.test(word) ? word : undefined;
}

/** "passenger name" → "passenger", when the value is itself the name. */
function dropNameWord(label: string): string | null {
  const w = label.split(' ');
  return w.length > 1 && w[w.length - 1] === 'name' ? w.slice(0, -1).join(' ') : null;
}

/** Page number, page size and sort order, as people ask for them: "page 3, 25 per page, newest first". */
function pagingTemplates(w: string, f: FieldInfo, s: Phrase): Phrase[] {
  const text = s.map((x) => x.text).join('');
  const directions = (f.schema.enum ?? []).some((v) => /^(asc|desc)(ending)?$/i.test(String(v)));
  if (/\b(direction|dir)\b/.test(w) || directions)
    return /^(asc|desc)(ending)?$/i.test(text)
      ? [T(s), T('sorted ', s), T('in ', s, ' order'), T(s, ' order')]
      : [T(s), T(s), T('sorted ', s)];
  if (/\b(page size|per page|page limit)\b/.test(w) || w === 'size')
    return [
      T(s, ' per page'),
      T(s, ' per page'),
      T(s, ' a page'),
      T(s, ' results per page'),
      T(s, ' at a time'),
      T('page size ', s),
    ];
  if (/^(page|page number|page index|page no)$/.test(w))
    return [T('page ', s), T('page ', s), T('on page ', s)];
  if (/\b(order|sort)( by| field| key)?$/.test(w) || /^(order|sort)/.test(w))
    return [T('sorted by ', s), T('sorted by ', s), T('ordered by ', s), T('sort by ', s), T('by ', s)];
  return [];
}

/** Words that mark an enum filter whose values read as adjectives of the thing listed. */
const STATE_LIKE = /\b(status|state|type|kind|category|visibility|level|tier|stage|phase)\b/;

/** "registered" for a status filter (one or two plain words), else undefined. */
function stateModifier(label: string, f: FieldInfo, s: Phrase): Phrase | undefined {
  if (!Array.isArray(f.schema.enum) || !STATE_LIKE.test(label)) return undefined;
  const text = s.map((x) => x.text).join('');
  return /^[a-z]+(?: [a-z]+)?$/.test(text) ? s : undefined;
}

/** A state said as such: "that are suspended", "only the draft ones", "in draft status". */
function stateTemplates(label: string, f: FieldInfo, s: Phrase): Phrase[] {
  if (!stateModifier(label, f, s)) return [];
  const head = label.split(' ').pop() ?? label;
  return [
    T('that are ', s),
    T('which are ', s),
    T('only ', s, ' ones'),
    T('the ', s, ' ones'),
    T('in ', s, ' ', head),
    T(s, ' only'),
  ];
}

function scalarTemplates(label: string, f: FieldInfo, s: Phrase, isDate: boolean, filter: boolean): Phrase[] {
  const w = label;
  // "Maximum number of URLs to analyze" → "up to 10 URLs".
  const unit = /number of (?:the )?([A-Za-z]+(?: [a-z]+)?)/
    .exec(f.description ?? '')?.[1]
    ?.replace(/ (to|per|that|in|of)$/, '');
  const out: Phrase[] = [
    T(w, ' ', s),
    T(w, ' ', s),
    T(w, ': ', s),
    T('with ', w, ' ', s),
    T(w, ' set to ', s),
    T('where ', w, ' is ', s),
  ];
  // Bare "at most 5" only for a plain limit; "max age"/"time limit" need their own words.
  const timeish = /\b(time|timeout|age|delay|wait|depth)\b/.test(w);
  if (w === 'limit')
    out.push(
      T('at most ', s),
      T('max ', s),
      T('no more than ', s),
      T('up to ', s),
      T('limit ', s),
      T('the first ', s, ' results'),
      T('only ', s, ' results'),
      T('top ', s),
      T(s, ' results'),
      T('give me ', s, ' results'),
      T('first ', s, ' only'),
    );
  if (unit && !timeish && /\b(limit|max|maximum|count|size|urls?)\b/.test(w))
    out.push(
      T('up to ', s, ' ', unit),
      T('at most ', s, ' ', unit),
      T('no more than ', s, ' ', unit),
      T(s, ' ', unit, ' max'),
      T('only the first ', s, ' ', unit),
      T(s, ' ', unit),
      T('stop after ', s, ' ', unit),
      T('going through at most ', s, ' ', unit),
    );
  out.push(...pagingTemplates(w, f, s));
  // "into German" / "from French" only for codes (languages, locales): "from 0001234" would not read as a source account.
  const codeLike = Array.isArray(f.schema.enum) || /\b(lang|language|locale)\b/.test(w);
  if (codeLike && /\btarget\b/.test(w)) out.push(T('into ', s), T('to ', s), T('into ', s));
  if (codeLike && /\bsource\b/.test(w)) out.push(T('from ', s), T('from ', s));
  if (/\b(start|starts|from|begin)\b/.test(w)) out.push(T('from ', s), T('starting ', s));
  // "until …" ends a range of times or numbers; a recipient (`to: +4917…`) is sent "to", not "until".
  const phone = /^\+?\d[\d ()-]{6,}$/.test(s.map((x) => x.text).join(''));
  if (/\b(end|ends|until|to)\b/.test(w) && !phone) out.push(T('until ', s), T('ending ', s));
  if (isDate && !/\b(start|end|from|until)/.test(w)) out.push(T('on ', s), T('for ', s));
  if (/\b(style|tone|format|type|mode|kind)\b/.test(w))
    out.push(T(s, ' ', w), T('in ', s, ' ', w), T('as ', s));
  if (/\b(style|tone|voice)\b/.test(w) && Array.isArray(f.schema.enum)) out.push(...styleTemplates(w, s));
  if (/\b(search|query|term|keyword)\b/.test(w))
    out.push(T('matching ', s), T('for ', s), T('about ', s), T('related to ', s));
  // An enum `type` of a listed resource: "target languages", "only the source ones".
  if (
    /^(type|kind)$/.test(w) &&
    Array.isArray(f.schema.enum) &&
    f.parent &&
    /^[a-z]+$/.test(s.map((x) => x.text).join(''))
  )
    out.push(T(s, ' ', f.parent), T('only ', s, ' ', f.parent), T('the ', s, ' ones'));
  if (filter) out.push(...stateTemplates(w, f, s));
  const noName = dropNameWord(w);
  if (noName) out.push(T(noName, ' ', s), T(noName, ' ', s));
  // A person's name is said as "for Ana Lima" (who the thing is for).
  if (noName && /\b(passenger|customer|guest|holder|person|user|recipient|traveller|owner)\b/.test(noName))
    out.push(T('for ', s), T('for ', s));
  // A phone number is no place: its recipient field is said "to +4917…", never "arriving at".
  if (!phone) out.push(...routeTemplates(w, f, s));
  else if (/^(to|recipient)/.test(w)) out.push(T('to ', s), T('to ', s));
  // "trip id X" is said "trip X" / "on trip X".
  const idOf = /^(\w+(?: \w+)?) id$/.exec(w)?.[1];
  if (idOf && !/\b(origin|destination)\b/.test(idOf))
    out.push(
      T(idOf, ' ', s),
      T(idOf, ' ', s),
      T('on ', idOf, ' ', s),
      T('for ', idOf, ' ', s),
      T('using ', idOf, ' ', s),
    );
  // A bare address only for the field that is the address; "https://…" alone would not say `generatorURL`.
  if (/^(url|uri|link|website)$/.test(w)) out.push(T(s), T('at ', s));
  if (/\b(regex|pattern|paths?)\b/.test(w) || /pattern/i.test(f.description ?? ''))
    out.push(T('matching ', s));
  return out;
}

const DESC_VERBS =
  /^(ignore|skip|exclude|allow|allows|enable|use|return|show|include|only|emulate|follow|remove|block|wait|parse|store)\b/i;

/** "friendly" → "friendlier", "formal" → "more formal" (English comparatives, short adjectives inflect). */
function comparative(adj: string): string {
  if (/^[a-z]+y$/.test(adj) && adj.length <= 8) return `${adj.slice(0, -1)}ier`;
  if (/^[a-z]{3,5}$/.test(adj) && !/(ed|ing)$/.test(adj)) return adj.endsWith('e') ? `${adj}r` : `${adj}er`;
  return `more ${adj}`;
}

/** Tone and style values as people ask for them: "in a casual voice", "make the voice warmer". */
function styleTemplates(w: string, s: Phrase): Phrase[] {
  const text = s.map((x) => x.text).join('');
  const word = text.replace(/^prefer_/, '');
  if (!/^[a-z]+$/.test(word)) return [];
  const head = w.split(' ').pop() ?? w;
  return [
    T('in a ', s, ' ', w),
    T('in a ', s, ' ', head),
    T('with a ', s, ' ', head),
    T('make the ', head, ' ', [{ text: comparative(word), value: true }]),
    T('make it sound ', [{ text: comparative(word), value: true }]),
    T('make it ', [{ text: comparative(word), value: true }]),
  ];
}

/** The noun a description says an id names: "The ID of the origin station" → "station". */
function idNoun(description: string | undefined): string | null {
  const m = /\b(?:id|identifier|uuid)\s+of\s+(?:the|a|an)\s+(?:\w+\s+)?(\w+)/i.exec(description ?? '');
  return m ? (m[1] as string).toLowerCase() : null;
}

/**
 * Where-from / where-to / where-at fields, said the way people say places: "from X to Y", "from station X",
 * "I'm at 48.1,11.5 — anything close to me", "near X". Read off the field's name and its description's noun.
 */
function routeTemplates(w: string, f: FieldInfo, s: Phrase): Phrase[] {
  const noun = idNoun(f.description);
  const n = noun && !w.includes(noun) ? noun : null;
  if (/^(origin|departure|from)( station| city| id)?$/.test(w))
    return [
      T('from ', s),
      T('from ', s),
      T('leaving from ', s),
      T('departing from ', s),
      ...(n ? [T('from ', n, ' ', s), T('from ', n, ' ', s)] : []),
    ];
  if (/^(destination|arrival|to)( station| city| id)?$/.test(w))
    return [
      T('to ', s),
      T('to ', s),
      T('going to ', s),
      T('arriving at ', s),
      ...(n ? [T('to ', n, ' ', s), T('to ', n, ' ', s)] : []),
    ];
  if (
    /\b(coordinates|location|lat ?lng|position)\b/.test(w) &&
    /latitude|location|proximity|near/i.test(f.description ?? '')
  )
    return [
      T('near ', s),
      T('close to ', s),
      T('around ', s),
      T('near ', s),
      T('nearby ', s),
      T('within reach of ', s),
      T("I'm at ", s, ', close to me'),
      T('near my location ', s),
    ];
  if (/\b(country)\b/.test(w)) return [T('in ', s), T('in country ', s), T('country code ', s)];
  return [];
}

/** Clauses read off the description: "Include active alerts in results" → "exclude active alerts" for false. */
function boolFromDescription(description: string, v: boolean): Phrase[] {
  const first = (description.split(/(?<=\.)\s|\n/)[0] ?? '').replace(/\.$/, '').trim();
  const include = /^include (.+?) (?:in|within) (?:the )?(?:returned )?(?:results|response|groups)/i.exec(
    first,
  );
  if (include) {
    const x = (include[1] as string).toLowerCase().replace(/\s*\([^)]*\)/g, '');
    const words = x.split(' ');
    // "active alerts" → "the active ones": people drop the noun the request already names.
    const ones = words.length > 1 ? `the ${words[0] as string} ones` : `the ${x}`;
    return v
      ? [T('include ', x), T('including ', x), T('with ', ones, ' too'), T('also ', x)]
      : [
          T('exclude ', x),
          T('without ', x),
          T('leave out ', x),
          T('not the ', x),
          T('leave out ', ones),
          T('hide ', ones),
          T('not ', ones),
          T('skip ', ones),
          ...ifFalse(description),
        ];
  }
  const allowed =
    /\bwhere (\w+) (?:are|is) (?:known to be )?(allowed|permitted|enabled|available|supported)/i.exec(first);
  if (allowed && v) {
    const [x, adj] = [(allowed[1] as string).toLowerCase(), (allowed[2] as string).toLowerCase()];
    return [
      T('where ', x, ' are ', adj),
      T('with ', x, ' ', adj),
      T(singular(x), '-friendly'),
      T(singular(x), ' friendly'),
      T('that allow ', x),
      T(x, ' ', adj),
    ];
  }
  // "Only return trips where …" negated reads badly; false then falls back to the name templates.
  if (/^only\b/i.test(first) && !v) return [];
  const want = /^set to true if you want to (.+)$/i.exec(first);
  if (want) {
    const clause = want[1] as string;
    // "emulate scraping from a mobile device" is also said by its object: "on a mobile device".
    const thing = /\b(?:from|on|in|with) (an? [a-z]+(?: [a-z]+)?)$/.exec(clause)?.[1];
    const short = thing ? [T('on ', thing), T('as if on ', thing), T('emulating ', thing)] : [];
    return v ? [T(clause), ...short] : [T("don't ", clause), ...(thing ? [T('not on ', thing)] : [])];
  }
  if (!DESC_VERBS.test(first) || first.split(/\s+/).length > 12 || /[`(]/.test(first)) return [];
  const clause = first
    .replace(/^allows/i, 'allow')
    .replace(/ known to be /, ' ')
    .replace(/^./, (c) => c.toLowerCase());
  return v ? [T(clause)] : [T("don't ", clause), T('do not ', clause)];
}

/** What the description says `false` does: "If false, excludes X and returns only Y" → "only Y", "hide X". */
function ifFalse(description: string): Phrase[] {
  const m = /if false, (?:it )?excludes (.+?)(?: and (?:returns|shows) only (.+?))?(?:\.|$)/i.exec(
    description,
  );
  if (!m) return [];
  const strip = (t: string): string =>
    t
      .toLowerCase()
      .replace(/\s*\([^)]*\)/g, '')
      .trim();
  const out = [T('exclude ', strip(m[1] as string)), T('hide ', strip(m[1] as string))];
  if (m[2]) {
    const only = m[2] as string;
    const inner = /\(([^)]+)\)\s+(\w+)$/.exec(only);
    out.push(T('only ', strip(only)), T('only the ', strip(only)), T('just ', strip(only)));
    if (inner) out.push(T('only ', (inner[1] as string).toLowerCase(), ' ', inner[2] as string));
  }
  return out;
}

/** Boolean clauses. Names like `has_dog`, `includeX`, `ignoreX`, `onlyX` read as verbs; others as adjectives. */
function boolTemplates(label: string, v: boolean, description = ''): Phrase[] {
  const fromDesc = boolFromDescription(description, v);
  const generic = boolNameTemplates(label, v);
  return fromDesc.length > 0 ? [...fromDesc, ...fromDesc, ...generic] : generic;
}

/** Flag names that are verbs ("include", "enable"), not adjectives of the thing listed. */
const BOOL_VERBS = new Set([
  'include',
  'show',
  'ignore',
  'allow',
  'enable',
  'only',
  'skip',
  'use',
  'parse',
  'preserve',
  'force',
  'debug',
  'verbose',
  'pretty',
  'async',
  'dryrun',
  'expand',
  'embed',
]);

function boolNameTemplates(label: string, v: boolean): Phrase[] {
  const w = identWords(label.replace(/ /g, '_'));
  const head = w[0] ?? label;
  const rest = w.slice(1).join(' ');
  if (head === 'is' && rest)
    return v
      ? [T(rest, ': yes'), T('as a ', rest), T(label, ': true'), T(rest), T('using ', rest)]
      : [T('not a ', rest), T(rest, ': no'), T(label, ': false'), T('no ', rest), T('non-', rest)];
  if ((head === 'has' || head === 'with') && rest)
    return v
      ? [T('with a ', rest), T('bringing a ', rest), T('has a ', rest), T(label, ': yes')]
      : [T('without a ', rest), T('no ', rest), T(label, ': no')];
  if (
    ['include', 'show', 'ignore', 'allow', 'enable', 'only', 'skip', 'use', 'parse', 'preserve'].includes(
      head,
    ) &&
    rest
  )
    return v
      ? [T(label), T('and ', label), T(label, ': true'), T(label, ' on'), T('with ', label, ' enabled')]
      : [
          T("don't ", label),
          T('do not ', label),
          T(label, ': false'),
          T(label, ' off'),
          T('with ', label, ' disabled'),
        ];
  return v
    ? [
        T(label, ' ones only'),
        T('only ', label),
        T(label, ': true'),
        T(label, ' = true'),
        T('with ', label),
        T(label),
      ]
    : [
        T('exclude ', label),
        T('without the ', label, ' ones'),
        T('leave out ', label, ' ones'),
        T('no ', label),
        T('not ', label),
        T(label, ': false'),
        T(label, '=false'),
        T('hide ', label),
      ];
}

export function scalarMention(
  key: string,
  f: FieldInfo,
  sampled: Sampled,
  rng: Rng,
  primary = false,
): Mention {
  const label = humanize(f.name);
  const yesNo =
    typeof sampled.value === 'boolean'
      ? sampled.value
      : isBooleanLikeEnum(f.schema.enum)
        ? saysYes(sampled.value)
        : null;
  if (yesNo !== null) {
    // A one-word flag of a listed thing reads as its adjective: "federal holidays", "non-federal holidays".
    const adjective = /^[a-z]{4,}$/.test(label) && !BOOL_VERBS.has(label);
    return {
      key,
      ...(adjective ? { modifier: lit(yesNo ? label : `non-${label}`) } : {}),
      clause: rng.pick(boolTemplates(label, yesNo, f.description ?? f.schema.description)),
      bare: sampled.surface,
      primary: false,
    };
  }
  if (sampled.phrase) return { key, clause: lit(sampled.phrase), bare: sampled.surface, primary };
  const isDate = f.schema.format === 'date' || f.schema.format === 'date-time';
  const modifier = stateModifier(label, f, sampled.surface);
  const verb = actionVerb(label, f, sampled.value);
  return {
    key,
    ...(verb ? { verb } : {}),
    clause: rng.pick(scalarTemplates(label, f, sampled.surface, isDate, key.startsWith('query.'))),
    bare: sampled.surface,
    primary,
    ...(modifier ? { modifier } : {}),
  };
}

export function listMention(key: string, f: FieldInfo, items: Sampled[], rng: Rng, primary = false): Mention {
  const label = humanize(f.name);
  const one = singular(label.split(' ').pop() ?? label);
  const bare = listPhrases(
    items.map((i) => i.surface),
    rng.pick(['and', 'and', 'or'].slice(0, 2)),
  );
  const templates: Phrase[] = [T(label, ' ', bare), T(label, ': ', bare), T('with ', label, ' ', bare)];
  // "tag X" alone cannot tell `ignore_tags` from `splitting_tags`: the bare last word only for one-word labels.
  if (items.length === 1)
    templates.push(
      T(label.replace(/s$/, ''), ' ', bare),
      ...(label.includes(' ') ? [] : [T(one, ' ', bare)]),
    );
  // includePaths / excludePaths: "only X", "skip X" (the verb in the name says which list).
  const head = label.split(' ')[0];
  if (head === 'include' || head === 'only')
    templates.push(T('only ', one, 's matching ', bare), T('only ', bare), T('limited to ', bare));
  if (head === 'exclude' || head === 'skip')
    templates.push(T('skip ', one, 's matching ', bare), T('excluding ', bare), T('except ', bare));
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
  const clause = rng.pick([
    T(label, ' ', bare),
    T(label, ': ', bare),
    T('with ', label, ' ', bare),
    T(singular(label), ' ', bare),
  ]);
  return { key, clause, bare, primary: false };
}

/** Ends of a pair people state together: key suffix (after the last '.') → side and the rest of the name. */
const PAIR_SIDES: [RegExp, RegExp, 'route' | 'range'][] = [
  [/^(?:source|from|origin|departure)(.*)$/i, /^(?:target|to|destination|arrival)(.*)$/i, 'route'],
  [/^(?:starts?_?at|start|begin)(.*)$/i, /^(?:ends?_?at|end|until)(.*)$/i, 'range'],
];

/**
 * Source and target, origin and destination, start and end are said in one breath: "from French into German",
 * "A to B", "between 10:00 and 12:00". Fuses such a pair of mentions (same object, same name rest, e.g.
 * `source_lang`/`target_lang`) into one clause with probability `p`; the values are unchanged.
 */
export function fusePairs(mentions: Mention[], rng: Rng, p = 0.6): Mention[] {
  const out = [...mentions];
  const split = (key: string): [string, string] => {
    const at = key.lastIndexOf('.');
    return [key.slice(0, at + 1), key.slice(at + 1)];
  };
  for (const [fromRe, toRe, kind] of PAIR_SIDES) {
    const a = out.find((m) => fromRe.test(split(m.key)[1]));
    if (!a) continue;
    const [prefix, aName] = split(a.key);
    const rest = (fromRe.exec(aName)?.[1] ?? '').toLowerCase();
    const b = out.find(
      (m) =>
        m !== a &&
        split(m.key)[0] === prefix &&
        (toRe.exec(split(m.key)[1])?.[1] ?? null)?.toLowerCase() === rest,
    );
    if (!b || !rng.chance(p)) continue;
    const [x, y] = [a.bare, b.bare];
    const forms =
      kind === 'route'
        ? [
            T('from ', x, ' to ', y),
            T('from ', x, ' to ', y),
            T(x, ' to ', y),
            T('from ', x, ' into ', y),
            T('from ', x, ', to ', y),
          ]
        : [
            T('from ', x, ' until ', y),
            T('from ', x, ' to ', y),
            T('between ', x, ' and ', y),
            T('starting ', x, ', ending ', y),
          ];
    const fused: Mention = { key: a.key, clause: rng.pick(forms), bare: T(x, ' to ', y), primary: false };
    out.splice(out.indexOf(a), 1, fused);
    out.splice(out.indexOf(b), 1);
  }
  return out;
}

/** The side of a route pair a field name is (`source_lang` → 'from', `target_lang` → 'to'), else null. */
export function routeSide(name: string): 'from' | 'to' | null {
  const [fromRe, toRe] = PAIR_SIDES[0]!;
  return fromRe.test(name) ? 'from' : toRe.test(name) ? 'to' : null;
}

/** True when field names `a` and `b` are the two ends of one pair (`source_lang`/`target_lang`, `startsAt`/`endsAt`). */
export function arePair(a: string, b: string): boolean {
  return PAIR_SIDES.some(([f, t]) => {
    const [fa, tb, fb, ta] = [f.exec(a), t.exec(b), f.exec(b), t.exec(a)];
    return (
      (fa !== null && tb !== null && fa[1]?.toLowerCase() === tb[1]?.toLowerCase()) ||
      (fb !== null && ta !== null && fb[1]?.toLowerCase() === ta[1]?.toLowerCase())
    );
  });
}
