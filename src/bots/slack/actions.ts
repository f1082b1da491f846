/**
 * The buttons of answer cards and progress messages (Copy curl, Correct, Fill in, Run, Stop), and the
 * correction and fill-in forms' submissions. Each acks first,
 * answers the clicking user privately, and makes one facade call (the stop goes through the common handler,
 * so permissions apply as for `/smolmap stop`).
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { addCorrection, correctionDraft, renderCurl, toSmolmapError } from '../../engine/index.js';
import { ACTIONS } from '../common/cards.js';
import { answerNeeds, completeAnswer, settleQuestions } from '../common/clarify.js';
import { handleCommand } from '../common/handler.js';
import { runAnswer } from '../common/run.js';
import { renderError } from '../common/render.js';
import { answerBlocks } from './blocks.js';
import { FILL_CALLBACK, fillModal, parseFillMeta, readFill } from './clarify.js';
import { respondTo, sendPrivately, type Respond, type Target } from './deliver.js';
import { actorFor, answerActor, tenantOf, type SlackHandlerOptions } from './handlers.js';
import {
  CORRECT_BLOCKS,
  CORRECT_CALLBACK,
  correctionModal,
  parseCorrectionMeta,
  readCorrection,
} from './correction.js';

interface Click {
  team: string;
  user: string;
  value: string;
  to: Target;
}

function click(body: BlockAction, action: ButtonAction, respond: Respond): Click {
  const team = body.team?.id ?? body.user.team_id ?? '';
  return {
    team,
    user: body.user.id,
    value: action.value ?? '',
    to: { channel: body.channel?.id ?? body.user.id, user: body.user.id, respond },
  };
}

/** Runs one button's work; a failure reaches the user privately as `code: message`. */
async function privately(
  o: SlackHandlerOptions,
  client: WebClient,
  to: Target,
  work: () => Promise<string | undefined>,
): Promise<void> {
  let text: string | undefined;
  try {
    text = await work();
  } catch (e) {
    const err = toSmolmapError(e);
    if (err.code === 'internal') o.logger.error({ err: e }, 'slack: button failed');
    text = renderError(err.code, err.message);
  }
  if (text !== undefined) await sendPrivately(client, to, { text }, o.logger);
}

/** Replies through the click's response_url, as new messages (the card stays). */
function respondOf(body: BlockAction): Respond {
  const url = body.response_url;
  return (m) => respondTo(url)({ replace_original: false, ...m });
}

export function registerSlackActions(app: App, o: SlackHandlerOptions): void {
  const { engine } = o.deps;
  registerRunAndFill(app, o);

  app.action<BlockAction<ButtonAction>>(ACTIONS.copyCurl, async ({ ack, body, action, client }) => {
    await ack();
    const c = click(body, action, respondOf(body));
    await privately(o, client, c.to, async () => {
      const draft = await correctionDraft(engine, c.value, { tenant: tenantOf(c.team) });
      if (!draft.call) return 'That answer has no call to copy; ask again.';
      return `\`\`\`${renderCurl(draft.call)}\`\`\``;
    });
  });

  app.action<BlockAction<ButtonAction>>(ACTIONS.correct, async ({ ack, body, action, client }) => {
    await ack();
    const c = click(body, action, respondOf(body));
    await privately(o, client, c.to, async () => {
      const draft = await correctionDraft(engine, c.value, { tenant: tenantOf(c.team) });
      const meta = {
        queryId: draft.queryId,
        spec: draft.spec.name,
        version: draft.spec.version,
        channel: c.to.channel,
        responseUrl: body.response_url,
      };
      await client.views.open({
        trigger_id: body.trigger_id,
        view: correctionModal(meta, draft.task, draft.call),
      });
      return undefined;
    });
  });

  app.action<BlockAction<ButtonAction>>(ACTIONS.stop, async ({ ack, body, action, client }) => {
    await ack();
    const c = click(body, action, respondOf(body));
    await privately(o, client, c.to, async () => {
      const cmd = { verb: 'stop', job: c.value } as const;
      const actor = await actorFor(o, client, c.team, c.user, cmd);
      return (await handleCommand(o.deps, { actor, surface: 'slack' }, cmd)).text;
    });
  });

  app.view(CORRECT_CALLBACK, async ({ ack, view, body, client }) => {
    const meta = parseCorrectionMeta(view);
    const input = readCorrection(view);
    if ('errors' in input) {
      await ack({ response_action: 'errors', errors: input.errors });
      return;
    }
    const team = body.team?.id ?? view.team_id;
    let saved: Awaited<ReturnType<typeof addCorrection>>;
    try {
      saved = await addCorrection(engine, {
        spec: meta.spec,
        version: meta.version,
        tenant: tenantOf(team),
        task: input.task,
        expected: input.expected,
        queryId: meta.queryId,
        user: body.user.id,
        surface: 'slack',
      });
    } catch (e) {
      const err = toSmolmapError(e);
      if (err.code === 'internal') o.logger.error({ err: e }, 'slack: correction failed');
      await ack({ response_action: 'errors', errors: { [CORRECT_BLOCKS.call]: err.message.slice(0, 1900) } });
      return;
    }
    await ack();
    const to: Target = {
      channel: meta.channel,
      user: body.user.id,
      ...(meta.responseUrl !== undefined && { respond: respondTo(meta.responseUrl) }),
    };
    const e = saved.expected;
    const text =
      `Saved: “${saved.task}” → \`${e.method} ${e.path}\`. The next \`/smolmap train ${saved.spec.name}\` ` +
      'learns from it.';
    await sendPrivately(client, to, { text }, o.logger);
  });
}

/** *Run* (send the call, answer privately) and *Fill in* (form with the missing values, then the completed call). */
function registerRunAndFill(app: App, o: SlackHandlerOptions): void {
  const { engine } = o.deps;
  app.action<BlockAction<ButtonAction>>(ACTIONS.run, async ({ ack, body, action, client }) => {
    await ack();
    const c = click(body, action, respondOf(body));
    await privately(o, client, c.to, async () => {
      const actor = await actorFor(o, client, c.team, c.user, 'run');
      return runAnswer(o.deps, actor, c.value, o.lifetime);
    });
  });

  app.action<BlockAction<ButtonAction>>(ACTIONS.fill, async ({ ack, body, action, client }) => {
    await ack();
    const c = click(body, action, respondOf(body));
    await privately(o, client, c.to, async () => {
      const needs = await answerNeeds(engine, tenantOf(c.team), c.value);
      if (needs.length === 0) return 'That answer asks for nothing more.';
      const meta = { queryId: c.value, channel: c.to.channel, responseUrl: body.response_url };
      await client.views.open({ trigger_id: body.trigger_id, view: fillModal(meta, needs) });
      return undefined;
    });
  });

  app.view(FILL_CALLBACK, async ({ ack, view, body, client }) => {
    const meta = parseFillMeta(view);
    const team = body.team?.id ?? view.team_id;
    let card: Awaited<ReturnType<typeof completeAnswer>>;
    try {
      const actor = await answerActor(o, client, team, body.user.id);
      card = await completeAnswer(o.deps, actor, meta.queryId, readFill(view));
    } catch (e) {
      const err = toSmolmapError(e);
      if (err.code === 'internal') o.logger.error({ err: e }, 'slack: fill-in failed');
      const first = Object.keys(view.state.values)[0] ?? '';
      await ack({ response_action: 'errors', errors: { [first]: err.message.slice(0, 1900) } });
      return;
    }
    await ack();
    settleQuestions(o.deps.sessions, meta.queryId);
    const to: Target = {
      channel: meta.channel,
      user: body.user.id,
      ...(meta.responseUrl !== undefined && { respond: respondTo(meta.responseUrl) }),
    };
    const text = `\`${card.call.method} ${card.call.url}\``;
    await sendPrivately(client, to, { text, blocks: answerBlocks(card) }, o.logger);
  });
}
