/**
 * The bot command grammar, shared by Slack (`/smolmap <text>`) and Discord (sub-command options, flattened to
 * the same words). Validated once here, where commands arrive; handlers trust a BotCommand.
 */
import { SmolmapError } from '../../engine/index.js';

/** Training options a chat user may set, as `key=value` or `--key value`. */
export const TRAIN_KEYS = [
  'steps',
  'epochs',
  'lr',
  'rank',
  'alpha',
  'batch',
  'seed',
  'count',
  'base',
] as const;
export type TrainKey = (typeof TRAIN_KEYS)[number];

export type BotCommand =
  | { verb: 'help' }
  | { verb: 'spec add'; url?: string; name?: string }
  | { verb: 'spec list' }
  | { verb: 'spec ops'; spec: string }
  | { verb: 'spec rm'; spec: string }
  | { verb: 'train'; spec: string; options: Partial<Record<TrainKey, string>> }
  | { verb: 'jobs' }
  | { verb: 'stop'; job: string }
  | { verb: 'ask'; spec?: string; task: string }
  | { verb: 'models'; spec?: string }
  | { verb: 'activate'; model: string }
  | { verb: 'history' };

export type Verb = BotCommand['verb'];

/** One usage line per verb: the help text and every usage error quote it. */
export const USAGE: { [V in Verb]: string } = {
  help: 'help',
  'spec add': 'spec add [url] [name=N]  (Slack: without a URL opens an upload form; Discord: attach a file)',
  'spec list': 'spec list',
  'spec ops': 'spec ops <spec>',
  'spec rm': 'spec rm <spec>',
  train: `train <spec> [${TRAIN_KEYS.map((k) => `${k}=…`).join(' ')}]`,
  jobs: 'jobs',
  stop: 'stop <job>',
  ask: 'ask <spec> <task>  (in a playground thread: just the task)',
  models: 'models [spec]',
  activate: 'activate <model>',
  history: 'history',
};

function usage(verb: Verb, why: string): SmolmapError {
  return new SmolmapError('bot_usage', `${why}; usage: \`/smolmap ${USAGE[verb]}\``, { details: { verb } });
}

/** Splits on blanks, keeping "quoted phrases" (straight or curly quotes, as chat clients type them) whole. */
export function words(text: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|“([^”]*)”|(\S+)/g;
  for (const m of text.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

/** `key=value` and `--key value` pairs; anything else is an error naming the accepted keys. */
function keyValues<K extends string>(
  verb: Verb,
  rest: string[],
  keys: readonly K[],
): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    let key: string;
    let value: string | undefined;
    if (w.startsWith('--')) [key, value] = [w.slice(2), rest[++i]];
    else if (w.includes('=')) [key, value] = [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)];
    else throw usage(verb, `"${w}" is not an option (options look like key=value)`);
    if (!(keys as readonly string[]).includes(key))
      throw usage(verb, `unknown option "${key}" (options: ${keys.join(', ') || 'none'})`);
    if (value === undefined || value === '') throw usage(verb, `option "${key}" needs a value`);
    out[key as K] = value;
  }
  return out;
}

function one(verb: Verb, rest: string[], what: string): string {
  if (rest.length !== 1) throw usage(verb, rest.length === 0 ? `give the ${what}` : `too many words`);
  return rest[0]!;
}

function none(verb: Verb, rest: string[]): void {
  if (rest.length > 0) throw usage(verb, `\`${verb}\` takes no arguments`);
}

function parseSpec(rest: string[]): BotCommand {
  const [sub, ...args] = rest;
  switch (sub) {
    case 'add': {
      const url =
        args[0] !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(args[0]) ? args.shift() : undefined;
      const { name } = keyValues('spec add', args, ['name'] as const);
      if (url !== undefined && !/^https?:\/\//i.test(url))
        throw usage('spec add', `"${url}" is not an http(s) URL`);
      return { verb: 'spec add', ...(url !== undefined && { url }), ...(name !== undefined && { name }) };
    }
    case 'list':
      none('spec list', args);
      return { verb: 'spec list' };
    case 'ops':
      return { verb: 'spec ops', spec: one('spec ops', args, 'spec name') };
    case 'rm':
      return { verb: 'spec rm', spec: one('spec rm', args, 'spec name') };
    default:
      throw new SmolmapError(
        'bot_usage',
        `\`spec ${sub ?? ''}\` is not a command; use spec add, spec list, spec ops <spec> or spec rm <spec>`,
      );
  }
}

/** Parses the text after `/smolmap` (Slack) or the flattened Discord options into a command. */
export function parseCommand(text: string): BotCommand {
  const [verb, ...rest] = words(text.trim());
  switch (verb?.toLowerCase()) {
    case undefined:
    case 'help':
      return { verb: 'help' };
    case 'spec':
    case 'specs':
      return parseSpec(rest.length === 0 ? ['list'] : rest);
    case 'train': {
      const [spec, ...opts] = rest;
      if (spec === undefined || spec.includes('=')) throw usage('train', 'give the spec to train for');
      return { verb: 'train', spec, options: keyValues('train', opts, TRAIN_KEYS) };
    }
    case 'jobs':
      none('jobs', rest);
      return { verb: 'jobs' };
    case 'stop':
      return { verb: 'stop', job: one('stop', rest, 'job id') };
    case 'ask': {
      if (rest.length < 2) throw usage('ask', 'give the spec and the task');
      return { verb: 'ask', spec: rest[0]!, task: rest.slice(1).join(' ') };
    }
    case 'models':
      if (rest.length > 1) throw usage('models', 'too many words');
      return rest[0] === undefined ? { verb: 'models' } : { verb: 'models', spec: rest[0] };
    case 'activate':
      return { verb: 'activate', model: one('activate', rest, 'model id') };
    case 'history':
      none('history', rest);
      return { verb: 'history' };
    default:
      throw new SmolmapError(
        'bot_usage',
        `\`${verb}\` is not a smolmap command; \`/smolmap help\` lists them`,
      );
  }
}

/** The help text: every verb's usage line. */
/** A first session, command by command (the help text shows it under the usage lines). */
export const EXAMPLES: readonly { command: string; what: string }[] = [
  { command: 'spec add https://petstore3.swagger.io/api/v3/openapi.json name=petstore', what: 'add a spec' },
  { command: 'train petstore steps=200', what: 'train a model for it (progress shows in the reply)' },
  { command: 'ask petstore show me pet 42', what: 'get the API call for a task' },
];

export function helpText(): string {
  return [
    '*smolmap* — map tasks to API calls',
    ...Object.values(USAGE).map((u) => `• \`/smolmap ${u}\``),
    '',
    '*Example*',
    ...EXAMPLES.map((e) => `• \`/smolmap ${e.command}\` — ${e.what}`),
    'Each answer has *Copy curl* and *Correct*: a corrected call is kept as an example and the next training learns from it.',
    'An answer missing a value asks for it: *Fill in*, or give the value in its thread (`petId: 42`, or just `42`); *Run* sends the call where the operator allows it.',
    'A finished training posts its loss chart and its eval chart (held-out tasks per operation).',
  ].join('\n');
}
