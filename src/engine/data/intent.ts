import type { Mention } from './mention.js';
import type { OpProfile } from './profile.js';
import type { Rng } from '../rng.js';
import {
  article,
  escapeRegExp,
  isPluralWord,
  mapLastWord,
  phraseText,
  plural,
  singular,
  stateVerbs,
  type Phrase,
  T,
} from './words.js';

/**
 * The core of a task: what to do to which thing. Verbs by intent (list/find/show, create/add, delete/remove,
 * cancel/stop, …), objects from the operation profile, ids in varied surface forms ("booking 42", "#42").
 * Each variant carries a template id; the id (with the frame) is the family used for the train/validation split.
 */
export interface Intent {
  id: string;
  /** Imperative, starting with a verb: "show booking 42". */
  command: Phrase;
  /** A full question, or null when the kind has none. */
  question: Phrase | null;
  /** Fragment: "booking 42 details". */
  terse: Phrase;
  /** True when the primary body value is already inside the intent. */
  usedPrimary: boolean;
}

const VERBS = {
  list: ['list', 'show', 'show me', 'get', 'give me', 'display', 'fetch', 'pull up', 'find', 'return', 'see'],
  get: [
    'get',
    'show',
    'show me',
    'fetch',
    'display',
    'look up',
    'retrieve',
    'pull up',
    'view',
    'give me',
    'open',
    'read',
  ],
  status: ['check', 'get', 'show', 'show me', 'fetch', 'look up', 'give me'],
  create: ['create', 'add', 'make', 'set up', 'register', 'start', 'open', 'submit'],
  update: ['update', 'change', 'modify', 'edit', 'adjust'],
  delete: ['delete', 'remove', 'get rid of', 'drop', 'erase', 'trash', 'destroy', 'wipe'],
  cancel: ['cancel', 'stop', 'abort', 'kill', 'halt', 'terminate', 'call off'],
} as const;

/** Everyday synonyms of common API action verbs (generic English, not taken from any spec's tasks). */
const ACTION_SYNONYMS: Record<string, string[]> = {
  search: ['search', 'look up', 'find', 'search for', 'look for'],
  translate: ['translate', 'convert', 'render'],
  scrape: ['scrape', 'grab', 'pull the content of', 'fetch'],
  crawl: ['crawl', 'spider', 'walk'],
  extract: ['extract', 'pull', 'get'],
  generate: ['generate', 'create', 'produce', 'build', 'make'],
  start: ['start', 'begin', 'launch', 'kick off', 'run'],
  download: ['download', 'fetch', 'get', 'grab', 'save'],
  upload: ['upload', 'send', 'submit'],
  send: ['send', 'push', 'fire', 'post'],
  rephrase: ['rephrase', 'reword', 'rewrite', 'improve', 'polish'],
  map: ['map', 'list the links of', 'discover the URLs of'],
  run: ['run', 'execute', 'start', 'trigger'],
  validate: ['validate', 'check', 'verify'],
};

function idForms(noun: string, id: Phrase, rng: Rng): Phrase {
  const idText = id.map((s) => s.text).join('');
  const short = idText.length <= 8;
  const forms: Phrase[] = [
    T(noun, ' ', id),
    T(noun, ' ', id),
    T(noun, ' ', id),
    T(noun, ' with id ', id),
    T(noun, ' ID ', id),
    T(noun, ' id ', id),
    T('the ', noun, ' ', id),
    T(noun, ': ', id),
  ];
  if (short) forms.push(T(noun, ' #', id), T(noun, ' number ', id));
  return rng.pick(forms);
}

/** "booking 1725…" / "errors of crawl job 42" / "the glossary entries for glossary abc". */
function objectRef(p: OpProfile, ids: Record<string, Phrase>, rng: Rng): Phrase {
  const names = Object.keys(p.resources);
  if (names.length === 0) return T(rng.pick(p.nouns));
  const refs = names.map((n) => idForms(rng.pick(p.resources[n] ?? ['item']), ids[n] ?? [], rng));
  let ref = refs[refs.length - 1] as Phrase;
  for (const outer of refs.slice(0, -1).reverse()) ref = T(ref, rng.pick([' of ', ' in ', ' under ']), outer);
  if (!p.sub) return ref;
  const sub = p.sub;
  return rng.pick([
    T('the ', sub, ' of ', ref),
    T(ref, ' ', sub),
    T('the ', sub, ' for ', ref),
    T(sub, ' of ', ref),
    T(sub, ' for ', ref),
  ]);
}

function listIntent(
  p: OpProfile,
  ids: Record<string, Phrase>,
  rng: Rng,
  modifier: Phrase | undefined,
): Intent {
  const n = rng.pick(p.nouns);
  const noun = isPluralWord(n.split(' ').pop() ?? '') ? n : mapLastWord(n, plural);
  // "registered assets": a state filter said before the noun.
  const pl = modifier ? T(modifier, ' ', noun) : T(noun);
  if (Object.keys(p.resources).length > 0) return ownedListIntent(p, pl, ids, rng);
  const det = rng.pick(['', '', 'all ', 'the ', 'all the ', 'my ', 'every ', 'the current ']);
  const v = rng.pick(VERBS.list);
  const question = rng.pick([
    T('what ', pl, ' are there'),
    T('which ', pl, ' do we have'),
    T('what are the ', pl),
    T('are there any ', pl),
    T('which ', pl, ' exist'),
  ]);
  return {
    id: `list:${v === 'show' || v === 'list' ? v : 'other'}`,
    command: T(v, ' ', det, pl),
    question,
    terse: T(rng.pick(['', 'all ']), pl),
    usedPrimary: false,
  };
}

/** A list under a parent ("lens reviews of workload 42"): the parent's id is part of what the user asks. */
function ownedListIntent(p: OpProfile, pl: Phrase, ids: Record<string, Phrase>, rng: Rng): Intent {
  const owner = objectRef({ ...p, sub: null }, ids, rng);
  const v = rng.pick(VERBS.list);
  const det = rng.pick(['', '', 'all ', 'the ', 'all the ']);
  const of = rng.pick([' of ', ' for ', ' in ', ' under ']);
  return {
    id: `list-owned:${v === 'show' || v === 'list' ? v : 'other'}`,
    command: T(v, ' ', det, pl, of, owner),
    question: rng.pick([
      T('what ', pl, ' does ', owner, ' have'),
      T('which ', pl, ' are there', of, owner),
      T('what are the ', pl, of, owner),
    ]),
    terse: rng.pick([T(pl, of, owner), T(owner, ' ', pl)]),
    usedPrimary: false,
  };
}

/** "remaining credits" → "how many credits do I have left"; "token usage" → "how many tokens have I used". */
function amountQuestions(p: OpProfile): Phrase[] {
  const out: Phrase[] = [];
  for (const n of p.nouns) {
    const left = /^remaining (\w+)$/.exec(n)?.[1];
    if (left)
      out.push(T('how many ', left, ' do I have left'), T('how many ', left, ' does my team have left'));
    const used = /^(\w+) usage$/.exec(n)?.[1];
    if (used && used !== 'team')
      out.push(T('how many ', plural(used), ' have I used'), T('how much ', used, ' have we used'));
  }
  return out;
}

function itemIntent(p: OpProfile, ids: Record<string, Phrase>, rng: Rng): Intent {
  const obj = objectRef(p, ids, rng);
  const singleton = Object.keys(p.resources).length === 0;
  const the = singleton ? rng.pick(['', 'the ', 'my ']) : '';
  const v = rng.pick(VERBS.get);
  const command = rng.weighted([
    [T(v, ' ', the, obj), 5],
    [T(v, ' the details of ', obj), singleton ? 0 : 1],
    [T(v, ' info on ', obj), 1],
  ] as const);
  const question = rng.pick([
    T('what is ', singleton ? 'the ' : '', obj),
    T('can I see ', the, obj),
    T('what does ', the, obj, ' look like'),
    T("what's ", singleton ? 'the ' : '', obj),
    ...(singleton
      ? [T('how is my ', obj), T('what do I have for ', obj), ...amountQuestions(p)]
      : [
          T('who created ', obj, ' and when'),
          T('when was ', obj, ' created'),
          T('did ', obj, ' go through? show it to me'),
          T('what do we know about ', obj),
          T('tell me about ', obj),
          T('is ', obj, ' still there'),
        ]),
  ]);
  const terse = rng.pick([T(obj), T(obj, ' details'), T(obj, ' info'), T(obj, ' please')]);
  return {
    id: `get:${v === 'get' || v === 'show' ? v : 'other'}`,
    command,
    question,
    terse,
    usedPrimary: false,
  };
}

function statusIntent(p: OpProfile, ids: Record<string, Phrase>, rng: Rng): Intent {
  const obj = objectRef({ ...p, sub: null }, ids, rng);
  const v = rng.pick(VERBS.status);
  const command = rng.pick([
    T(v, ' the status of ', obj),
    T(v, ' status of ', obj),
    T(v, ' ', obj, ' status'),
    T(v, ' the progress of ', obj),
    T(v, ' on ', obj),
  ]);
  const question = rng.pick([
    T("what's the status of ", obj),
    T('how is ', obj, ' going'),
    T('is ', obj, ' done yet'),
    T('is ', obj, ' finished'),
    T('has ', obj, ' completed'),
    T('where is ', obj, ' at'),
    T('how far along is ', obj),
  ]);
  const terse = rng.pick([T(obj, ' status'), T('status of ', obj), T('status ', obj), T(obj, ' progress')]);
  return { id: `status:${rng.int(0, 2)}`, command, question, terse, usedPrimary: false };
}

/** Verbs English makes from common resource nouns: "book trip 42", "pay for booking 7" (general usage). */
const NOUN_VERBS: Record<string, string[]> = {
  booking: ['book', 'reserve', 'reserve a seat on'],
  reservation: ['reserve', 'book'],
  order: ['order'],
  payment: ['pay', 'pay for', 'settle'],
  subscription: ['subscribe to'],
  registration: ['register'],
  translation: ['translate'],
  upload: ['upload'],
  silence: ['silence', 'mute'],
  alert: ['fire an alert', 'raise an alert', 'push an alert', 'send an alert'],
};

function createIntent(p: OpProfile, ids: Record<string, Phrase>, rng: Rng, state?: Phrase): Intent {
  const hasIds = Object.keys(p.resources).length > 0;
  const n = mapLastWord(hasIds && p.sub ? p.sub : rng.pick(p.nouns), singular);
  const nounVerbs = NOUN_VERBS[n.split(' ').pop() ?? ''];
  if (nounVerbs && !state && rng.chance(0.3)) {
    // The verb alone carries the intent; the clauses that follow say what ("book trip 42 for Ana Lima").
    const owner = hasIds ? T(rng.pick([' ', ' for ']), objectRef({ ...p, sub: null }, ids, rng)) : [];
    const vv = rng.pick(nounVerbs);
    const command = T(vv, owner);
    return {
      id: 'create:nounverb',
      command,
      question: T('can you ', vv, owner),
      terse: command,
      usedPrimary: false,
    };
  }
  const v = rng.pick(VERBS.create);
  // "create a draft asset": a state the new thing starts in, said before its noun.
  const said = state ? phraseText(state) : '';
  const a = state
    ? T(rng.pick([`${article(said)} `, `${article(said)} `, 'a new ', 'new ']), state, ' ')
    : T(rng.pick([`${article(n)} `, `${article(n)} `, 'a new ', 'new ']));
  // A sub-resource created under a parent ("payment for booking 42") must state the parent's id.
  const owner = hasIds
    ? T(rng.pick([' for ', ' on ', ' to ']), objectRef({ ...p, sub: null }, ids, rng))
    : [];
  const command = T(v, ' ', a, n, owner);
  const question = rng.pick([T('can you ', v, ' ', a, n, owner), T('could I get ', a, n, owner)]);
  const terse = state
    ? T('new ', state, ' ', n, owner)
    : rng.pick([T('new ', n, owner), T(n, owner, ' ', v), T(v, ' ', n, owner)]);
  return {
    id: `create:${v === 'create' || v === 'add' ? v : 'other'}`,
    command,
    question,
    terse,
    usedPrimary: false,
  };
}

function removeIntent(p: OpProfile, ids: Record<string, Phrase>, rng: Rng): Intent {
  const obj = objectRef(p, ids, rng);
  // A DELETE the spec itself calls cancelling ("Deletes a booking, cancelling the hold") is also said "cancel".
  const cancels = /\bcancel/i.test(`${p.op.summary ?? ''} ${p.op.description ?? ''}`);
  const verbs =
    p.kind === 'cancel'
      ? VERBS.cancel
      : cancels
        ? [...VERBS.delete, 'cancel', 'cancel', 'call off']
        : VERBS.delete;
  const v = rng.pick(verbs);
  const question = rng.pick([
    T('can you ', v, ' ', obj),
    T('could you ', v, ' ', obj, ' for me'),
    T("I don't need ", obj, ' anymore, ', v, ' it'),
    T('I no longer need ', obj, ', please ', v, ' it'),
    T(obj, ' is not needed any more, ', v, ' it'),
  ]);
  const terse = rng.pick([T(v, ' ', obj), T(obj, ' ', v), T(obj, ': ', v)]);
  return {
    id: `${p.kind}:${v === verbs[0] ? 'main' : 'other'}`,
    command: T(v, ' ', obj),
    question,
    terse,
    usedPrimary: false,
  };
}

function actionIntent(p: OpProfile, ids: Record<string, Phrase>, primary: Mention | null, rng: Rng): Intent {
  const base = p.verb ?? 'run';
  const v = rng.chance(0.5) ? base : rng.pick(ACTION_SYNONYMS[base] ?? [base]);
  const hasIds = Object.keys(p.resources).length > 0;
  const own = p.nouns.filter((x) => !x.startsWith(base.slice(0, Math.min(5, base.length))));
  const n = hasIds ? objectRef(p, ids, rng) : T(rng.pick(own.length > 0 ? own : p.nouns));
  // With a path id the object is the resource; the primary body value then goes into a clause.
  const usePrimary = primary !== null && !hasIds && rng.chance(0.75);
  // "translate the translation" says nothing: drop nouns built on the verb's own stem.
  const nouns = p.nouns.filter((x) => !x.startsWith(base.slice(0, Math.min(5, base.length))));
  const withNoun = usePrimary && nouns.length > 0 && rng.chance(0.3) ? T('the ', rng.pick(nouns), ' ') : [];
  // A verb that is its own noun ("sms", "lookup") takes no object: "sms +4917… 'hi'", not "sms the sms".
  const object = usePrimary
    ? T(withNoun, (primary as Mention).bare)
    : hasIds
      ? n
      : own.length === 0
        ? T()
        : T(rng.pick(['', 'a ', 'the ']), n);
  const command = T(v, ' ', object);
  const question = rng.pick([T('can you ', v, ' ', object), T('could you ', v, ' ', object, ' for me')]);
  return {
    id: `action:${usePrimary ? 'primary' : 'noun'}`,
    command,
    question,
    terse: T(v, ' ', object),
    usedPrimary: usePrimary,
  };
}

/**
 * An update that sets a state is said by the state: "suspend sim 42" (the participle's verb), "mark order 7 as
 * sold", "set booking 3 to pending".
 */
function stateChangeIntent(obj: Phrase, state: Phrase, rng: Rng): Intent {
  const verbs = stateVerbs(phraseText(state));
  const verb = verbs.length > 0 ? rng.pick(verbs) : null;
  const forms: [Phrase, string][] = [
    [T('mark ', obj, ' as ', state), 'mark'],
    [T('set ', obj, ' to ', state), 'set'],
    [T('make ', obj, ' ', state), 'make'],
    [T('change ', obj, ' to ', state), 'set'],
  ];
  if (verb) forms.push([T(verb, ' ', obj), 'verb'], [T(verb, ' ', obj), 'verb'], [T(verb, ' ', obj), 'verb']);
  const [command, id] = rng.pick(forms);
  return {
    id: `update-state:${id}`,
    command,
    question: T('can you ', command),
    terse: verb ? T(obj, ': ', verb) : T(obj, ' ', state),
    usedPrimary: false,
  };
}

/** "rename sim 42 to Truck 12", "call project 7 Apollo": an update of a name said as renaming. */
function renameIntent(obj: Phrase, name: Phrase, rng: Rng): Intent {
  const command = rng.pick([
    T('rename ', obj, ' to ', name),
    T('rename ', obj, ' to ', name),
    T('rename ', obj, ' as ', name),
    T('change the name of ', obj, ' to ', name),
    T('call ', obj, ' ', name, ' from now on'),
  ]);
  return {
    id: 'update-name',
    command,
    question: T('can you ', command),
    terse: T(obj, ' → ', name),
    usedPrimary: false,
  };
}

/** "hang up call 42", "delete contacts": the task's verb is the value of the operation's action field. */
function actedIntent(p: OpProfile, ids: Record<string, Phrase>, verb: string, rng: Rng): Intent {
  const hasIds = Object.keys(p.resources).length > 0;
  const obj = hasIds ? objectRef(p, ids, rng) : T(rng.pick(['', 'the ', 'my ', 'a ']), rng.pick(p.nouns));
  const command = T(verb, ' ', obj);
  return {
    id: 'action-field',
    command,
    question: T('can you ', command),
    terse: rng.pick([command, T(obj, ': ', verb)]),
    usedPrimary: false,
  };
}

/**
 * What the task can say in its intent rather than in a clause: a state ("suspend …", "registered assets"), a
 * new name ("rename … to …") or the action an enum field picks ("hang up …").
 */
export interface UpdateSays {
  state?: Phrase;
  newName?: Phrase;
  verb?: string;
}

function updateIntent(p: OpProfile, ids: Record<string, Phrase>, rng: Rng, says: UpdateSays): Intent {
  const obj = objectRef(p, ids, rng);
  if (says.state) return stateChangeIntent(obj, says.state, rng);
  if (says.newName) return renameIntent(obj, says.newName, rng);
  const v = rng.pick(VERBS.update);
  return {
    id: `update:${v}`,
    command: T(v, ' ', obj),
    question: T('can you ', v, ' ', obj),
    terse: T(obj, ' ', v),
    usedPrimary: false,
  };
}

/** Puts the id after the resource noun of a spec sentence: "pay for a booking" → "pay for booking 42". */
function withIds(sentence: string, p: OpProfile, ids: Record<string, Phrase>): Phrase | null {
  const names = Object.keys(ids);
  if (names.length === 0) return T(sentence);
  if (names.length > 1) return null;
  const name = names[0] as string;
  const s = sentence.replace(/\s+by (its|their|the) (id|identifier)$/i, '');
  for (const noun of [...(p.resources[name] ?? [])].sort((a, b) => b.length - a.length)) {
    const m = new RegExp(
      `\\b(?:(?:a|an|the|single|specific|specified)\\s+)*${escapeRegExp(noun)}(?:\\s+(operation|job|process|task|run|request))?(?![.\\w])`,
      'i',
    ).exec(s);
    if (m)
      return T(
        s.slice(0, m.index),
        noun,
        m[1] ? ` ${m[1]}` : '',
        ' ',
        ids[name] as Phrase,
        s.slice(m.index + m[0].length),
      );
  }
  return null;
}

export function buildIntent(
  p: OpProfile,
  ids: Record<string, Phrase>,
  primary: Mention | null,
  rng: Rng,
  says: UpdateSays = {},
): Intent {
  const modifier = says.state;
  if (says.verb) return actedIntent(p, ids, says.verb, rng);
  // A summary is the spec's own phrasing of the operation; use it as a command now and then.
  // (Not when the intent must carry a state or a new name: the spec's sentence says neither.)
  const sentence =
    !modifier && !says.newName && p.sentences.length > 0 && rng.chance(0.12)
      ? withIds(rng.pick(p.sentences), p, ids)
      : null;
  if (sentence)
    return { id: 'spec-sentence', command: sentence, question: null, terse: sentence, usedPrimary: false };
  switch (p.kind) {
    case 'list':
      return listIntent(p, ids, rng, modifier);
    case 'get':
      return itemIntent(p, ids, rng);
    case 'status':
      return statusIntent(p, ids, rng);
    case 'create':
      return createIntent(p, ids, rng, modifier);
    case 'update':
      return updateIntent(p, ids, rng, says);
    case 'delete':
    case 'cancel':
      return removeIntent(p, ids, rng);
    case 'action':
      return actionIntent(p, ids, primary, rng);
  }
}
