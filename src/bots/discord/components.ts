/**
 * Buttons of answer cards and progress messages, and the *Correct* modal's submission, as discord.js
 * interactions. Each is answered at once (within Discord's 3 s) and only to the clicking user: Copy curl with
 * the curl line, Correct with a modal prefilled with the answer, Stop through the common handler
 * (permissions as for `/smolmap stop`).
 */
import {
  ComponentType,
  MessageFlags,
  TextInputStyle,
  type APIModalInteractionResponseCallbackData,
  type ButtonInteraction,
  type ModalSubmitInteraction,
} from 'discord.js';
import {
  SmolmapError,
  addCorrection,
  correctionDraft,
  renderCurl,
  toSmolmapError,
} from '../../engine/index.js';
import { ACTIONS, expectedJson } from '../common/cards.js';
import { answerNeeds, completeAnswer, needId, settleQuestions } from '../common/clarify.js';
import { handleCommand } from '../common/handler.js';
import { runAnswer } from '../common/run.js';
import { renderError } from '../common/render.js';
import { customId, discordMarkdown, messageOf, parseCustomId, type DiscordMessage } from './embeds.js';
import { actorOf, privateText, type DiscordHandlerOptions } from './interaction.js';

const FIELDS = { task: 'task', call: 'call' } as const;
/** Text inputs hold at most 4000 characters. */
const MAX_INPUT = 4000;

/** Text only the clicking user sees. */
const ephemeral = (content: string) => privateText(discordMarkdown(content));

type Answer =
  | { modal: APIModalInteractionResponseCallbackData }
  | { text: string }
  | { message: DiscordMessage }
  | { deferred: () => Promise<string> };

/** A modal of text inputs (at most 5 rows, 4000 characters each). */
export function modal(
  id: string,
  title: string,
  inputs: { id: string; label: string; value?: string; long?: boolean }[],
): APIModalInteractionResponseCallbackData {
  return {
    custom_id: id,
    title: title.slice(0, 45),
    components: inputs.slice(0, 5).map((f) => ({
      type: ComponentType.ActionRow,
      components: [
        {
          type: ComponentType.TextInput,
          custom_id: f.id,
          label: f.label.slice(0, 45),
          style: f.long ? TextInputStyle.Paragraph : TextInputStyle.Short,
          ...(f.value !== undefined && { value: f.value.slice(0, MAX_INPUT) }),
          required: true,
          max_length: MAX_INPUT,
        },
      ],
    })),
  };
}

async function onButton(o: DiscordHandlerOptions, i: ButtonInteraction): Promise<Answer> {
  const actor = actorOf(i);
  const { action, target } = parseCustomId(i.customId);
  const engine = o.deps.engine;
  switch (action) {
    case ACTIONS.copyCurl: {
      const draft = await correctionDraft(engine, target, { tenant: actor.tenant });
      return {
        text: draft.call ? `\`\`\`sh\n${renderCurl(draft.call)}\n\`\`\`` : 'That answer has no call.',
      };
    }
    case ACTIONS.correct: {
      const d = await correctionDraft(engine, target, { tenant: actor.tenant });
      const json = d.call ? expectedJson(d.call) : '{ "method": "GET", "path": "/" }';
      return {
        modal: modal(customId(ACTIONS.correct, d.queryId), 'Correct the answer', [
          { id: FIELDS.task, label: 'Task', value: d.task },
          { id: FIELDS.call, label: 'The call it should be (JSON)', value: json, long: true },
        ]),
      };
    }
    case ACTIONS.fill: {
      const needs = (await answerNeeds(engine, actor.tenant, target)).slice(0, 5);
      if (needs.length === 0) return { text: 'That answer asks for nothing more.' };
      return {
        modal: modal(
          customId(ACTIONS.fill, target),
          'Fill in the missing values',
          needs.map((n) => ({ id: needId(n), label: n.question })),
        ),
      };
    }
    case ACTIONS.run:
      // Sending can take longer than Discord's 3 s: defer privately, then edit.
      return { deferred: () => runAnswer(o.deps, actor, target, o.lifetime) };
    case ACTIONS.stop: {
      const reply = await handleCommand(o.deps, { actor, surface: 'discord' }, { verb: 'stop', job: target });
      return { text: reply.text };
    }
    default:
      throw new SmolmapError('internal', `internal: unknown button ${action}`);
  }
}

async function onModal(o: DiscordHandlerOptions, i: ModalSubmitInteraction): Promise<Answer> {
  const actor = actorOf(i);
  const { action, target } = parseCustomId(i.customId);
  if (action === ACTIONS.fill) {
    const values = Object.fromEntries(
      i.fields.fields.map((f) => [f.customId, 'value' in f ? String(f.value) : '']),
    );
    const card = await completeAnswer(o.deps, actor, target, values);
    settleQuestions(o.deps.sessions, target);
    return { message: messageOf({ text: '', card }) };
  }
  if (action !== ACTIONS.correct) throw new SmolmapError('internal', `internal: unknown modal ${action}`);
  const draft = await correctionDraft(o.deps.engine, target, { tenant: actor.tenant });
  let expected: unknown;
  try {
    expected = JSON.parse(i.fields.getTextInputValue(FIELDS.call));
  } catch (e) {
    throw new SmolmapError(
      'correction_invalid',
      `the call is not JSON (${(e as Error).message}); click Correct again`,
    );
  }
  const saved = await addCorrection(o.deps.engine, {
    spec: draft.spec.name,
    version: draft.spec.version,
    tenant: actor.tenant,
    task: i.fields.getTextInputValue(FIELDS.task).trim(),
    expected,
    queryId: draft.queryId,
    user: actor.user,
    surface: 'discord',
  });
  const e = saved.expected;
  return {
    text: `Saved: “${saved.task}” → \`${e.method} ${e.path}\`. The next \`/smolmap train ${saved.spec.name}\` learns from it.`,
  };
}

/** Answers a button click or modal submission of ours; others are left alone. */
export async function handleComponent(
  o: DiscordHandlerOptions,
  i: ButtonInteraction | ModalSubmitInteraction,
): Promise<void> {
  if (!Object.values(ACTIONS).includes(parseCustomId(i.customId).action as never)) return;
  let answer: Answer;
  try {
    answer = i.isButton() ? await onButton(o, i) : await onModal(o, i as ModalSubmitInteraction);
  } catch (e) {
    const err = toSmolmapError(e);
    if (err.code === 'internal') o.logger.error({ err: e }, 'discord: component failed');
    answer = { text: renderError(err.code, err.message) };
  }
  if ('modal' in answer && i.isButton()) await i.showModal(answer.modal);
  else if ('text' in answer) await i.reply(ephemeral(answer.text));
  else if ('message' in answer) await i.reply({ ...answer.message, flags: MessageFlags.Ephemeral });
  else if ('deferred' in answer) await deferredPrivately(o, i, answer.deferred);
}

/** Work that may outlast the 3 s: an ephemeral defer, then its text or its coded error. */
async function deferredPrivately(
  o: DiscordHandlerOptions,
  i: ButtonInteraction | ModalSubmitInteraction,
  work: () => Promise<string>,
): Promise<void> {
  await i.deferReply({ flags: MessageFlags.Ephemeral });
  let text: string;
  try {
    text = await work();
  } catch (e) {
    const err = toSmolmapError(e);
    if (err.code === 'internal') o.logger.error({ err: e }, 'discord: run failed');
    text = renderError(err.code, err.message);
  }
  await i.editReply({ content: discordMarkdown(text).slice(0, 2000) });
}
