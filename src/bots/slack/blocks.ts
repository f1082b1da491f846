/**
 * Block Kit for replies (https://api.slack.com/reference/block-kit/blocks): an answer card with *Copy curl*
 * and *Correct* buttons (and *Fill in* / *Run* when they apply), a *Stop* button under a running training,
 * plain replies as one mrkdwn section. Every
 * message also carries `text`, which Slack shows in notifications and where blocks cannot render.
 */
import type { ActionsBlock, Button, KnownBlock } from '@slack/types';
import { ACTIONS, confidenceText, parameterLines, type AnswerCard } from '../common/cards.js';
import type { Reply } from '../common/render.js';

/** Section text is limited to 3000 characters. */
const MAX_SECTION = 2900;
const cut = (s: string): string => (s.length <= MAX_SECTION ? s : `${s.slice(0, MAX_SECTION - 1)}…`);
const mrkdwn = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text: cut(text) } });
const code = (s: string): string => `\`\`\`${s.replace(/```/g, "'''")}\`\`\``;

function button(text: string, action: string, value: string, style?: 'primary' | 'danger'): Button {
  return {
    type: 'button',
    text: { type: 'plain_text', text },
    action_id: action,
    value,
    ...(style && { style }),
  };
}

export function answerBlocks(card: AnswerCard): KnownBlock[] {
  const c = card.call;
  const params = parameterLines(c);
  const actions: ActionsBlock = {
    type: 'actions',
    block_id: 'smolmap_answer',
    elements: [
      button('Copy curl', ACTIONS.copyCurl, card.queryId),
      button('Correct', ACTIONS.correct, card.queryId),
      ...(card.needs.length > 0 ? [button('Fill in', ACTIONS.fill, card.queryId, 'primary')] : []),
      ...(card.runnable ? [button('Run', ACTIONS.run, card.queryId, 'primary')] : []),
    ],
  };
  const about = card.completed
    ? `completed from your answers · ${card.spec} v${card.specVersion}`
    : `confidence *${confidenceText(card.confidence)}* · adapter \`${card.model}\` · ${card.spec} v${card.specVersion}`;
  const questions =
    card.needs.length === 0
      ? []
      : [
          mrkdwn(
            `*Missing values* (*Fill in*, or reply in this thread):\n${card.needs.map((n) => `• ${n.question}`).join('\n')}`,
          ),
        ];
  return [
    mrkdwn(`*\`${c.method} ${c.path}\`*${c.operationId ? `  ${c.operationId}` : ''}`),
    mrkdwn(params.length === 0 ? '_no parameters_' : code(params.join('\n'))),
    mrkdwn(`<${c.url}|${c.url}>`),
    mrkdwn(code(card.curl)),
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: about,
        },
        ...card.notes.map((n) => ({ type: 'mrkdwn' as const, text: `⚠️ ${n}` })),
      ],
    },
    ...questions,
    actions,
  ];
}

export function noteBlock(text: string): KnownBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: cut(text) }] };
}

/** The blocks of any reply: a card, or its text with a *Stop* button while a job runs. */
export function replyBlocks(reply: Reply): KnownBlock[] {
  if (reply.card) return answerBlocks(reply.card);
  const blocks = [mrkdwn(reply.text)];
  if (reply.stop !== undefined)
    blocks.push({
      type: 'actions',
      block_id: 'smolmap_job',
      elements: [button('Stop', ACTIONS.stop, reply.stop, 'danger')],
    });
  return blocks;
}
