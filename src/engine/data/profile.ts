import type { Operation } from '../specs/types.js';
import { humanize, ID_WORDS, identWords, singular } from './words.js';

/**
 * What an operation is about, read from everything the spec says: operationId words, path nouns, summary,
 * parameter descriptions and tags. Drives the intent phrasing (verbs by kind, object nouns, resource names).
 */
export type Kind = 'list' | 'get' | 'status' | 'create' | 'update' | 'delete' | 'cancel' | 'action';

export interface OpProfile {
  op: Operation;
  kind: Kind;
  /** Domain verb of an `action` operation ("scrape", "translate"); null for the generic kinds. */
  verb: string | null;
  /** Object noun phrases without articles, e.g. "train stations", "alert groups". */
  nouns: string[];
  /** Per path parameter: nouns naming the resource it identifies ("booking", "crawl job"). */
  resources: Record<string, string[]>;
  /** Path segment(s) after the last parameter ("errors", "payment"). */
  sub: string | null;
  /** The spec's own one-line phrasings (summary, first description sentence) as lower-case commands. */
  sentences: string[];
  /** Required body arrays that always get two or more items (set by the generator, see `markPluralTwins`). */
  pluralTwins?: ReadonlySet<string>;
}

const GENERIC_VERBS = new Set([
  'get',
  'list',
  'create',
  'delete',
  'update',
  'post',
  'put',
  'patch',
  'retrieve',
  'fetch',
  'add',
  'remove',
  'cancel',
  'find',
  'read',
  'set',
  'new',
  'show',
  'request',
  'check',
]);
const CREATE = new Set(['create', 'add', 'post', 'new', 'register', 'insert', 'make']);
const UPDATE = new Set(['update', 'edit', 'modify', 'patch', 'put', 'replace', 'rename', 'set', 'change']);
const CANCEL = new Set(['cancel', 'stop', 'abort', 'terminate', 'kill', 'expire']);
const STOP = new Set([
  'a',
  'an',
  'the',
  'of',
  'for',
  'to',
  'and',
  'or',
  'from',
  'with',
  'by',
  'all',
  'by',
  'in',
]);

/** Path segments, without a `#fragment` or `?query` some specs put in the template (`/#X-Amz-Target=…`). */
/** A path's segments without version and prefix segments (`v1`, `2010-04-01`, `api`): nobody says them. */
const segments = (path: string): string[] =>
  path
    .replace(/[#?].*$/, '')
    .split('/')
    .filter((s) => s.length > 0 && !/^(v\d+(\.\d+)*|\d{4}-\d{2}-\d{2}(\.json)?|api|rest)$/i.test(s));
const isParam = (seg: string): boolean => /^\{.*\}$/.test(seg);
const segWords = (seg: string): string => humanize(seg.replace(/\./g, ' '));

function kindOf(op: Operation, words: string[]): Kind {
  const first = words[0] ?? '';
  const segs = segments(op.path);
  const lastIsParam = segs.length > 0 && isParam(segs[segs.length - 1] as string);
  if (CANCEL.has(first)) return 'cancel';
  if (op.method === 'DELETE') return 'delete';
  if ((words.includes('status') || words.includes('progress')) && segs.some(isParam)) return 'status';
  if (op.method === 'GET' || op.method === 'HEAD') {
    // GET /user/logout (`logoutUser`): a verb the path does not name as a resource is an action.
    const pathWords = new Set(segs.flatMap((s) => identWords(s)).map(singular));
    if (
      !GENERIC_VERBS.has(first) &&
      !CREATE.has(first) &&
      !pathWords.has(singular(first)) &&
      words.length > 1 &&
      !op.operationIdDerived
    )
      return 'action';
    if (lastIsParam) return 'get';
    if (first === 'list' || first === 'search') return 'list';
    const lastNoun = identWords(segs[segs.length - 1] ?? '').pop() ?? '';
    const pluralNoun = singular(lastNoun) !== lastNoun;
    return pluralNoun && !segs.some(isParam) ? 'list' : 'get';
  }
  if (op.method === 'PUT' || op.method === 'PATCH' || UPDATE.has(first)) return 'update';
  if (CREATE.has(first) || GENERIC_VERBS.has(first) || op.operationIdDerived) return 'create';
  return 'action';
}

/** Noun phrase of the summary: "Get a list of train stations" → "train stations". */
function summaryNoun(summary: string): string | null {
  let s = summary.trim().replace(/\.$/, '');
  s = s.replace(/\s+(and optionally|using|based on|for the authenticated|\(|-).*$/i, '');
  const words = s.split(/\s+/);
  words.shift();
  let np = words
    .join(' ')
    .replace(
      /^(a list of|the list of|list of|all|the status of|the status and results of|the results of)\s+/i,
      '',
    );
  np = np.replace(/^(a|an|the|all|existing|available|my)\s+/i, '');
  np = np.replace(/^(a|an|the)\s+/i, '').replace(/^new\s+/i, '');
  // "pet to the store" → "pet": a trailing prepositional phrase is context, not the object.
  const cut = np.replace(/\s+(to|in|into|from|by|with|within|on) (the|a|an|all|its) .*$/i, '');
  if (cut.length > 0) np = cut;
  return np.length > 0 && np.split(' ').length <= 5
    ? np.replace(/\b([A-Z][a-z]+)\b/g, (w) => w.toLowerCase())
    : null;
}

function resourceNouns(op: Operation, param: string): string[] {
  const out = new Set<string>();
  // An id word names no resource: "Sid" (a string id) of `/RatePlans/{Sid}` is said "rate plan", not "sid".
  const w = identWords(param).filter((x) => !ID_WORDS.has(x));
  if (w.length > 0) out.add(w.join(' '));
  const segs = segments(op.path);
  const at = segs.indexOf(`{${param}}`);
  const before: string[] = [];
  for (let i = at - 1; i >= 0 && before.length < 2 && !isParam(segs[i] as string); i--)
    before.unshift(segWords(segs[i] as string));
  if (before.length > 0) {
    const phrase = before
      .join(' ')
      .split(' ')
      .map((x, i, a) => (i === a.length - 1 ? singular(x) : x))
      .join(' ');
    out.add(phrase);
    if (before.length === 2) out.add(singular(before[1] as string));
  }
  const desc = op.parameters.find((p) => p.name === param)?.description ?? '';
  const m =
    /\b(?:id|identifier)\s+of\s+(?:the|a|an)\s+(.+?)(?:\s+to\s+.*|\s+that\s+.*|\s+which\s+.*|[.,]|$)/i.exec(
      desc,
    );
  if (m && (m[1] as string).split(' ').length <= 4)
    out.add((m[1] as string).replace(/\b([A-Z][a-z]+)\b/g, (x) => x.toLowerCase()));
  if (out.size === 0) out.add('item');
  return [...out];
}

const THIRD_PERSON: Record<string, string> = {
  returns: 'return',
  deletes: 'delete',
  retrieves: 'retrieve',
  lists: 'list',
  creates: 'create',
  gets: 'get',
  updates: 'update',
  cancels: 'cancel',
};

/** "Returns a list of all trip bookings." → "return a list of all trip bookings"; null unless it starts with a verb. */
function asCommand(sentence: string): string | null {
  const s = sentence.trim().replace(/[.:]$/, '');
  const words = s.split(/\s+/);
  const first = (words[0] ?? '').toLowerCase();
  const verb = THIRD_PERSON[first] ?? first;
  const known = [
    'get',
    'list',
    'retrieve',
    'return',
    'delete',
    'create',
    'update',
    'cancel',
    'check',
    'download',
    'start',
    'search',
    'generate',
    'crawl',
    'scrape',
    'map',
    'extract',
    'post',
    'request',
    'pay',
  ];
  if (!known.includes(verb) || words.length > 16 || /`|\(|http/.test(s)) return null;
  return [verb, ...words.slice(1)].join(' ').replace(/\b([A-Z][a-z]+)\b/g, (w) => w.toLowerCase());
}

/** Verbs an operationId may use although the spec's text does not repeat them. */
const KNOWN_VERBS = new Set([
  ...GENERIC_VERBS,
  ...CREATE,
  ...UPDATE,
  ...CANCEL,
  ...['search', 'send', 'run', 'start', 'upload', 'download', 'verify', 'validate', 'export', 'import'],
]);
const METHOD_VERB: Record<string, string> = { GET: 'get', POST: 'create', PUT: 'update', PATCH: 'update' };

/** A word's stem for matching against the spec's text: its first four letters ("consolidate" ~ "consolidation"). */
const stem = (w: string): string => w.slice(0, 4);

/** Stems of what the spec says about an operation in words: summary, description and tags. */
function evidence(op: Operation): Set<string> {
  const text = [op.summary ?? '', (op.description ?? '').slice(0, 400), ...op.tags].join(' ');
  return new Set(identWords(text.replace(/[^A-Za-z0-9]+/g, ' ')).map(stem));
}

/** [verb, ...object words] from the spec's own sentence about the operation, or null when it has none. */
function textWords(op: Operation): string[] | null {
  for (const sentence of [op.summary, op.description?.split(/(?<=\.)\s|\n/)[0]]) {
    const command = sentence ? asCommand(sentence) : null;
    if (command) return command.split(/\s+/);
  }
  const to = /\b(?:to|allows you to|lets you)\s+([a-z]{3,})\s+([^.,;:()]{3,60})/i.exec(op.description ?? '');
  if (to && !STOP.has((to[1] as string).toLowerCase()) && !/^(be|have|get)$/i.test(to[1] as string))
    return [(to[1] as string).toLowerCase(), ...(to[2] as string).toLowerCase().split(/\s+/)];
  const summary = op.summary?.trim().replace(/\.$/, '');
  if (summary && summary.split(/\s+/).length <= 6)
    return [METHOD_VERB[op.method] ?? 'run', ...summary.toLowerCase().split(/\s+/)];
  return null;
}

/**
 * The words an operation is named by. An operationId is trusted when each of its words is a common API verb or
 * is said by the spec's summary, description or tags; a coded one (`rvcer`, `epConsolidate`, `doCreateBabelBox`)
 * is never read aloud: the spec's own sentence names the operation instead, else the words it does say.
 */
/** Method words an operationId puts last (`ContactsGet`, `HooksPOST`), as the verb they stand for, first. */
const TRAILING_METHODS: Record<string, string> = {
  get: 'get',
  list: 'list',
  post: 'create',
  create: 'create',
  put: 'update',
  patch: 'update',
  update: 'update',
  delete: 'delete',
};

function verbFirst(words: string[]): string[] {
  const last = words.at(-1) ?? '';
  const verb = TRAILING_METHODS[last];
  if (words.length < 2 || verb === undefined || KNOWN_VERBS.has(words[0] ?? '')) return words;
  return [verb, ...words.slice(0, -1)];
}

function operationWords(op: Operation): string[] {
  const pathWords = segments(op.path)
    .filter((s) => !isParam(s))
    .flatMap(identWords);
  if (op.operationIdDerived) return [op.method.toLowerCase(), ...pathWords];
  const raw = verbFirst(identWords(op.operationId));
  const said = evidence(op);
  if (said.size === 0) return raw;
  const known = (w: string): boolean => KNOWN_VERBS.has(w) || STOP.has(w) || said.has(stem(w));
  if (raw.every(known)) return raw;
  const kept = raw.filter(known);
  return textWords(op) ?? (kept.length > 0 ? kept : [METHOD_VERB[op.method] ?? 'run', ...pathWords]);
}

/** Path words a spec's text does not say (`newoffer/doit`) do not name anything to a user. */
function sayable(op: Operation, phrase: string): boolean {
  const said = evidence(op);
  return said.size === 0 || phrase.split(' ').every((w) => KNOWN_VERBS.has(w) || said.has(stem(w)));
}

export function profileOperation(op: Operation, service?: string): OpProfile {
  const words = operationWords(op);
  const kind = kindOf(op, words);
  const first = words[0] ?? '';
  const verb = kind === 'action' ? first : null;
  const nouns = new Set<string>();
  let rest = words.slice(
    GENERIC_VERBS.has(first) || CREATE.has(first) || CANCEL.has(first) || kind === 'action' ? 1 : 0,
  );
  const and = rest.indexOf('and');
  if (and >= 0) rest = rest.slice(0, and);
  rest = rest.filter((w) => !(kind === 'status' && (w === 'status' || w === 'progress')));
  if (rest.length > 0 && !rest.every((w) => STOP.has(w)))
    nouns.add(rest.filter((w, i) => i > 0 || !STOP.has(w)).join(' '));
  const segs = segments(op.path);
  const last = segs.filter((s) => !isParam(s));
  const pathNoun = last.slice(-2).map(segWords).join(' ');
  if (last.length > 0 && !segs.some(isParam) && sayable(op, pathNoun)) nouns.add(pathNoun);
  const sn = op.summary ? summaryNoun(op.summary) : null;
  if (sn) nouns.add(kind === 'status' ? sn.replace(/\s*(status|progress)\s*/g, ' ').trim() : sn);
  const said = new Set([...words, ...segs.flatMap(identWords)].map(singular));
  for (const tag of op.tags) if (said.has(singular(tag.toLowerCase()))) nouns.add(tag.toLowerCase());
  // "alertmanager status", "deepl usage": people name the service for its singleton resources.
  const svc = service
    ?.replace(/\b(api|documentation|service)\b/gi, '')
    .trim()
    .toLowerCase();
  if (svc && !svc.includes(' ') && !segs.some(isParam) && op.method === 'GET') {
    const n = rest.length > 0 ? rest.join(' ') : segWords(last[last.length - 1] ?? '');
    if (n) nouns.add(`${svc} ${n}`);
  }
  const resources: Record<string, string[]> = {};
  for (const p of op.parameters) if (p.in === 'path') resources[p.name] = resourceNouns(op, p.name);
  const lastParam = segs.map(isParam).lastIndexOf(true);
  const sub =
    lastParam >= 0 && lastParam < segs.length - 1
      ? segs
          .slice(lastParam + 1)
          .map(segWords)
          .join(' ')
      : null;
  const sentences = [op.summary, op.description?.split(/(?<=\.)\s|\n/)[0]]
    .map((x) => (x ? asCommand(x) : null))
    .filter((x): x is string => x !== null);
  const cleanNouns = [...nouns]
    .map((n) => n.trim())
    .filter((n) => n.length > 0 && n !== sub && !STOP.has(n.split(' ')[0] ?? ''));
  return {
    op,
    kind,
    verb,
    nouns: cleanNouns.length > 0 ? cleanNouns : [segWords(last[last.length - 1] ?? 'item')],
    resources,
    sub,
    sentences: [...new Set(sentences)],
  };
}
