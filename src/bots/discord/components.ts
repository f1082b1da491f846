/**
 * Buttons of answer cards and progress messages, and the *Correct* modal's submission. Each is answered at
 * once (within Discord's 3 s) and only to the clicking user: Copy curl with the curl line, Correct with a
 * modal prefilled with the answer, Stop through the common handler (permissions as for `/smolmap stop`).
 */
import {
  ComponentType,
  InteractionResponseType,
  InteractionType,
  MessageFlags,
  Routes,
  TextInputStyle,
  type APIInteraction,
  type APIMessageComponentInteraction,
  type APIModalSubmitInteraction,
} from 'discord.js';
import {
  SmolmapError,
  addCorrection,
  correctionDraft,
  renderCurl,
  toSmolmapError,
} from '../../engine/index.js';
import { ACTIONS, expectedJson } from '../common/cards.js';
import { handleCommand } from '../common/handler.js';
import type { Actor } from '../common/permissions.js';
import { renderError } from '../common/render.js';
import { customId, discordMarkdown, parseCustomId } from './embeds.js';
import { isAdmin, type DiscordHandlerOptions } from './interaction.js';

const FIELDS = { task: 'task', call: 'call' } as const;
/** Text inputs hold at most 4000 characters. */
const MAX_INPUT = 4000;

function actorOf(i: APIInteraction): Actor {
  if (i.guild_id === undefined)
    throw new SmolmapError('bot_guild_only', 'smolmap works in servers, not in DMs');
  const user = i.member?.user.id ?? i.user?.id ?? '';
  return { tenant: `discord:${i.guild_id}`, user, admin: isAdmin(i.member?.permissions) };
}

async function callback(o: DiscordHandlerOptions, i: APIInteraction, body: object): Promise<void> {
  await o.rest.post(Routes.interactionCallback(i.id, i.token), { body, auth: false });
}

const ephemeral = (content: string) => ({
  type: InteractionResponseType.ChannelMessageWithSource,
  data: { content: discordMarkdown(content).slice(0, 2000), flags: MessageFlags.Ephemeral },
});

function correctionModal(queryId: string, task: string, json: string) {
  const input = (id: string, label: string, value: string, style: TextInputStyle) => ({
    type: ComponentType.ActionRow,
    components: [
      {
        type: ComponentType.TextInput,
        custom_id: id,
        label,
        style,
        value: value.slice(0, MAX_INPUT),
        required: true,
        max_length: MAX_INPUT,
      },
    ],
  });
  return {
    type: InteractionResponseType.Modal,
    data: {
      custom_id: customId(ACTIONS.correct, queryId),
      title: 'Correct the answer',
      components: [
        input(FIELDS.task, 'Task', task, TextInputStyle.Short),
        input(FIELDS.call, 'The call it should be (JSON)', json, TextInputStyle.Paragraph),
      ],
    },
  };
}

async function onButton(o: DiscordHandlerOptions, i: APIMessageComponentInteraction): Promise<object> {
  const actor = actorOf(i);
  const { action, target } = parseCustomId(i.data.custom_id);
  const engine = o.deps.engine;
  switch (action) {
    case ACTIONS.copyCurl: {
      const draft = await correctionDraft(engine, target, { tenant: actor.tenant });
      return ephemeral(
        draft.call ? `\`\`\`sh\n${renderCurl(draft.call)}\n\`\`\`` : 'That answer has no call.',
      );
    }
    case ACTIONS.correct: {
      const d = await correctionDraft(engine, target, { tenant: actor.tenant });
      const json = d.call ? expectedJson(d.call) : '{ "method": "GET", "path": "/" }';
      return correctionModal(d.queryId, d.task, json);
    }
    case ACTIONS.stop: {
      const reply = await handleCommand(o.deps, { actor, surface: 'discord' }, { verb: 'stop', job: target });
      return ephemeral(reply.text);
    }
    default:
      throw new SmolmapError('internal', `internal: unknown button ${action}`);
  }
}

function modalValue(i: APIModalSubmitInteraction, id: string): string {
  for (const r of i.data.components)
    if ('components' in r)
      for (const c of r.components) if (c.custom_id === id && 'value' in c) return c.value.trim();
  return '';
}

async function onModal(o: DiscordHandlerOptions, i: APIModalSubmitInteraction): Promise<object> {
  const actor = actorOf(i);
  const { action, target } = parseCustomId(i.data.custom_id);
  if (action !== ACTIONS.correct) throw new SmolmapError('internal', `internal: unknown modal ${action}`);
  const draft = await correctionDraft(o.deps.engine, target, { tenant: actor.tenant });
  let expected: unknown;
  try {
    expected = JSON.parse(modalValue(i, FIELDS.call));
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
    task: modalValue(i, FIELDS.task),
    expected,
    queryId: draft.queryId,
    user: actor.user,
    surface: 'discord',
  });
  const e = saved.expected;
  return ephemeral(
    `Saved: “${saved.task}” → \`${e.method} ${e.path}\`. The next \`/smolmap train ${saved.spec.name}\` learns from it.`,
  );
}

/** Handles a button click or modal submission; true when the interaction was one of ours. */
export async function handleComponent(o: DiscordHandlerOptions, i: APIInteraction): Promise<boolean> {
  let work: () => Promise<object>;
  if (i.type === InteractionType.MessageComponent) work = () => onButton(o, i);
  else if (i.type === InteractionType.ModalSubmit) work = () => onModal(o, i);
  else return false;
  const id = 'custom_id' in i.data ? i.data.custom_id : '';
  if (!Object.values(ACTIONS).includes(parseCustomId(id).action as never)) return false;
  let response: object;
  try {
    response = await work();
  } catch (e) {
    const err = toSmolmapError(e);
    if (err.code === 'internal') o.logger.error({ err: e }, 'discord: component failed');
    response = ephemeral(renderError(err.code, err.message));
  }
  await callback(o, i, response);
  return true;
}
