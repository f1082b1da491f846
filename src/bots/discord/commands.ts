/**
 * The `/smolmap` slash command as Discord registers it (sub-commands and a `spec` group), and the reverse
 * mapping from an interaction's options to the common BotCommand. Discord types and checks option values,
 * so only the grammar's own rules (train option keys, URL shape) run again here, through `parseCommand`.
 */
import {
  ApplicationCommandOptionType as T,
  type Attachment,
  type ChatInputCommandInteraction,
  type CommandInteractionOption,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import { SmolmapError } from '../../engine/index.js';
import { parseCommand, TRAIN_KEYS, type BotCommand } from '../common/grammar.js';

type Opt = {
  type: T;
  name: string;
  description: string;
  required?: boolean;
  autocomplete?: boolean;
  options?: Opt[];
};

const str = (name: string, description: string, required = false): Opt => ({
  type: T.String,
  name,
  description,
  required,
});
/** A spec, model or job name: Discord asks the bot for matching names as the user types (autocomplete.ts). */
const named = (name: 'spec' | 'model' | 'job', description: string, required = false): Opt => ({
  ...str(name, description, required),
  autocomplete: true,
});
const sub = (name: string, description: string, options: Opt[] = []): Opt => ({
  type: T.Subcommand,
  name,
  description,
  options,
});
const INTEGER_KEYS = new Set(['steps', 'epochs', 'rank', 'batch', 'seed', 'count']);
const trainOption = (k: string): Opt =>
  k === 'base'
    ? str(k, 'base model (default: the first registered)')
    : { type: INTEGER_KEYS.has(k) ? T.Integer : T.Number, name: k, description: `training ${k}` };

/** The JSON `smolmap discord register` sends (PUT, so re-registering replaces it). */
export const SLASH_COMMAND: RESTPostAPIChatInputApplicationCommandsJSONBody = {
  name: 'smolmap',
  description: 'Map tasks to API calls: upload OpenAPI specs, train, ask',
  options: [
    {
      type: T.SubcommandGroup,
      name: 'spec',
      description: 'OpenAPI specs of this server',
      options: [
        sub('add', 'add a spec from an attached file or a URL', [
          { type: T.Attachment, name: 'file', description: 'the spec (.json, .yaml)' },
          str('url', 'or its http(s) URL'),
          str('name', 'name (default: from the file or title)'),
        ]),
        sub('list', 'list the specs'),
        sub('ops', 'list a spec’s operations', [named('spec', 'spec name', true)]),
        sub('rm', 'remove a spec', [named('spec', 'spec name', true)]),
      ],
    },
    sub('train', 'train a model for a spec', [
      named('spec', 'spec name', true),
      ...TRAIN_KEYS.map(trainOption),
    ]),
    sub('jobs', 'list training jobs'),
    sub('stop', 'stop a training job', [named('job', 'job id', true)]),
    sub('ask', 'turn a task into an API call', [
      str('task', 'what you want done', true),
      named('spec', 'spec name (default: this thread’s)'),
    ]),
    sub('models', 'list trained models', [named('spec', 'only this spec’s')]),
    sub('activate', 'make a model answer for its spec', [named('model', 'model id', true)]),
    sub('history', 'recent tasks and answers'),
    sub('help', 'how to use smolmap'),
  ],
} as RESTPostAPIChatInputApplicationCommandsJSONBody;

/** The command an interaction asks for, plus the file it carries (spec add). */
export interface ParsedCommand {
  command: BotCommand;
  attachment?: Attachment;
}

/** The options of the innermost sub-command. */
function leafOptions(options: readonly CommandInteractionOption[]): readonly CommandInteractionOption[] {
  const nested = options.find((o) => o.type === T.Subcommand || o.type === T.SubcommandGroup);
  return nested ? leafOptions(nested.options ?? []) : options;
}

export function commandFromInteraction(i: ChatInputCommandInteraction): ParsedCommand {
  const group = i.options.getSubcommandGroup(false);
  const verb = [group, i.options.getSubcommand(true)].filter((w) => w !== null).join(' ');
  const values = new Map<string, string | number | boolean>();
  for (const o of leafOptions(i.options.data)) if (o.value !== undefined) values.set(o.name, o.value);
  const s = (k: string): string | undefined => (values.has(k) ? String(values.get(k)) : undefined);
  if (verb === 'ask') {
    const spec = s('spec');
    return { command: { verb: 'ask', task: s('task') ?? '', ...(spec !== undefined && { spec }) } };
  }
  if (verb === 'spec add' && values.has('file')) {
    const attachment = i.options.getAttachment('file');
    if (!attachment)
      throw new SmolmapError(
        'bot_attachment_missing',
        'Discord sent no data for the attached file; attach it again',
      );
    const url = s('url');
    const name = s('name');
    const command: BotCommand = {
      verb: 'spec add',
      ...(url !== undefined && { url }),
      ...(name !== undefined && { name }),
    };
    return { command, attachment };
  }
  return { command: parseCommand(textOf(verb, values)) };
}

/** Rebuilds the Slack-style text (`train pets steps=5`) so both platforms share one parser. */
function textOf(verb: string, values: Map<string, string | number | boolean>): string {
  const positional = ['spec', 'job', 'model', 'url'];
  const words: string[] = [];
  for (const k of positional) if (values.has(k)) words.push(String(values.get(k)));
  for (const [k, v] of values) if (!positional.includes(k)) words.push(`${k}=${String(v)}`);
  return [verb, ...words.map((w) => (/\s/.test(w) ? `"${w}"` : w))].join(' ');
}
