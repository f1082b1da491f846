/**
 * Discord message bodies for replies: an answer card as an embed with *Copy curl*, *Correct*, and when they
 * apply *Fill in* (values the task did not state) and *Run* (sending enabled for the spec) buttons, a
 * *Stop* button under a running training, and plain text with the common renderer's `*bold*` rewritten to
 * Discord's `**bold**` (a single `*` is italics there). Limits from
 * https://discord.com/developers/docs/resources/message#embed-object-embed-limits.
 */
import {
  ButtonStyle,
  ComponentType,
  type APIActionRowComponent,
  type APIButtonComponent,
  type APIEmbed,
} from 'discord.js';
import { ACTIONS, confidenceText, parameterLines, type AnswerCard } from '../common/cards.js';
import type { Reply } from '../common/render.js';

/** Embed field values hold at most 1024 characters. */
const MAX_FIELD = 1000;
const field = (name: string, value: string, inline = false) => ({
  name,
  value: value.length <= MAX_FIELD ? value : `${value.slice(0, MAX_FIELD - 1)}…`,
  inline,
});
const code = (s: string, lang = ''): string => `\`\`\`${lang}\n${s.replace(/```/g, "'''")}\n\`\`\``;

/** Slack-style `*bold*` to Discord `**bold**`, outside code spans and blocks. */
export function discordMarkdown(text: string): string {
  return text
    .split(/(```[\s\S]*?```|`[^`\n]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/(^|[^*\w])\*([^*\n]+)\*(?![*\w])/g, '$1**$2**')))
    .join('');
}

/** `custom_id` of a button: the action, then what it acts on (≤ 100 characters). */
export const customId = (action: string, target: string): string => `${action}:${target}`.slice(0, 100);

export function parseCustomId(id: string): { action: string; target: string } {
  const at = id.indexOf(':');
  return at < 0 ? { action: id, target: '' } : { action: id.slice(0, at), target: id.slice(at + 1) };
}

type Style = ButtonStyle.Primary | ButtonStyle.Secondary | ButtonStyle.Success | ButtonStyle.Danger;

function button(label: string, action: string, target: string, style: Style): APIButtonComponent {
  return { type: ComponentType.Button, style, label, custom_id: customId(action, target) };
}

const row = (...components: APIButtonComponent[]): APIActionRowComponent<APIButtonComponent> => ({
  type: ComponentType.ActionRow,
  components,
});

export function answerEmbed(card: AnswerCard): APIEmbed {
  const c = card.call;
  const params = parameterLines(c);
  return {
    title: `${c.method} ${c.path}`.slice(0, 256),
    ...(c.operationId && { description: c.operationId }),
    ...(/^https?:\/\//.test(c.url) && { url: c.url }),
    color: card.notes.length > 0 || card.needs.length > 0 ? 0xe8a317 : 0x2e8b57,
    fields: [
      field('Parameters', params.length === 0 ? 'none' : code(params.join('\n'))),
      field('URL', c.url),
      field('curl', code(card.curl, 'sh')),
      ...(card.completed
        ? []
        : [
            field('Confidence', confidenceText(card.confidence), true),
            field('Adapter', `\`${card.model}\``, true),
          ]),
      ...card.notes.map((n) => field('⚠️', discordMarkdown(n))),
      ...(card.needs.length > 0
        ? [
            field(
              '❓ Missing values (Fill in, or `/smolmap ask` them in the thread)',
              card.needs.map((n) => `• ${n.question}`).join('\n'),
            ),
          ]
        : []),
    ],
    footer: {
      text: `${card.spec} v${card.specVersion}${card.completed ? ' · completed from your answers' : ''}`,
    },
  };
}

/** A reply as discord.js message options (interaction replies, edits, follow-ups and channel messages alike). */
export interface DiscordMessage {
  content: string;
  embeds: APIEmbed[];
  components: APIActionRowComponent<APIButtonComponent>[];
  files: { attachment: Buffer; name: string }[];
}

export function messageOf(reply: Reply): DiscordMessage {
  const files = (reply.files ?? []).map((f) => ({ attachment: Buffer.from(f.data), name: f.name }));
  const card = reply.card;
  if (card)
    return {
      content: '',
      embeds: [answerEmbed(card)],
      components: [
        row(
          button('Copy curl', ACTIONS.copyCurl, card.queryId, ButtonStyle.Secondary),
          button('Correct', ACTIONS.correct, card.queryId, ButtonStyle.Primary),
          ...(card.needs.length > 0
            ? [button('Fill in', ACTIONS.fill, card.queryId, ButtonStyle.Success)]
            : []),
          ...(card.runnable ? [button('Run', ACTIONS.run, card.queryId, ButtonStyle.Success)] : []),
        ),
      ],
      files,
    };
  return {
    content: discordMarkdown(reply.text),
    embeds: [],
    components:
      reply.stop === undefined ? [] : [row(button('Stop', ACTIONS.stop, reply.stop, ButtonStyle.Danger))],
    files,
  };
}
