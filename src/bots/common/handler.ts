/**
 * The one place a bot command becomes a facade call: the surfaces parse their event into a
 * BotCommand and an Invocation, call `handleCommand`, and post the Reply. Every call is scoped by the actor's
 * tenant, and permission is checked before anything runs.
 */
import { randomUUID } from 'node:crypto';
import {
  SmolmapError,
  activateAdapter,
  isSmolmapError,
  ask as askFacade,
  getSpec,
  history,
  listAdapters,
  listJobs,
  listSpecs,
  removeSpec,
  specOperations,
  startTraining,
  stopJob,
  type Engine,
  type ExecuteConfig,
  type TrainOptionsInput,
} from '../../engine/index.js';
import { answerCard } from './cards.js';
import { answerQuestions, answersFrom, stillOpen, type Awaiting } from './clarify.js';
import { helpText, type BotCommand, type TrainKey } from './grammar.js';
import type { BotQuota } from './limits.js';
import { authorize, type Actor, type Permissions } from './permissions.js';
import {
  renderAnswer,
  renderHistory,
  renderModels,
  renderJobs,
  renderOps,
  renderRemoved,
  renderSpecAdded,
  renderSpecList,
  type Reply,
} from './render.js';
import { offersRun } from './run.js';
import { addUploadedSpec, download, type SpecUpload } from './upload.js';

/** The process's job runner (src/jobs/runner.ts fits): pump after queueing, stop to end one early. */
export interface JobControl {
  pump(): unknown;
  stop(jobId: string): unknown;
}

/** A playground conversation (a Slack or Discord thread): its store session id, spec and model. */
export interface PlaygroundSession {
  /** SessionRecord id: the thread's asks are recorded under it (`history`). */
  id: string;
  spec: string;
  model?: string;
  /** The questions of the conversation's latest answer, while they are unanswered: a short reply answers them. */
  awaiting?: Awaiting;
}

export interface BotDeps {
  engine: Engine;
  permissions: Permissions;
  /** Which workspaces are served, ask rate, task length, history retention (limits.ts). */
  quota: BotQuota;
  jobs?: JobControl;
  /** Conversation key → session. Kept in memory: a restart forgets playground threads, nothing else. */
  sessions: Map<string, PlaygroundSession>;
  /** The operator's rules for sending calls (*Run*); absent or disabled: answers are only shown. */
  execute?: ExecuteConfig;
}

export interface Invocation {
  actor: Actor;
  surface: 'slack' | 'discord';
  /** The conversation the command came from, when it is a playground thread. */
  conversation?: string;
  /** A file the user attached or uploaded (Discord attachment, Slack file input, pasted text). */
  upload?: SpecUpload;
}

/** A reply that opens a playground: the surface binds it to the thread the reply starts. */
export type CommandReply = Reply & { session?: PlaygroundSession };

const INT_KEYS: ReadonlySet<TrainKey> = new Set(['steps', 'epochs', 'rank', 'batch', 'seed', 'count']);

function trainInput(options: Partial<Record<TrainKey, string>>): {
  train: TrainOptionsInput;
  count?: number;
  base?: string;
} {
  const num = (k: TrainKey): number | undefined => {
    const v = options[k];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || (INT_KEYS.has(k) && !Number.isInteger(n)))
      throw new SmolmapError(
        'bot_usage',
        `${k}=${v} is not ${INT_KEYS.has(k) ? 'a whole number' : 'a number'}`,
      );
    return n;
  };
  const pick = (o: Record<string, number | undefined>): Record<string, number> =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Record<string, number>;
  const lora = pick({ r: num('rank'), alpha: num('alpha'), seed: num('seed') });
  const train = {
    ...pick({
      steps: num('steps'),
      epochs: num('epochs'),
      lr: num('lr'),
      batchSize: num('batch'),
      seed: num('seed'),
    }),
    lora,
  };
  const count = num('count');
  return {
    train: train as TrainOptionsInput,
    ...(count !== undefined && { count }),
    ...(options.base !== undefined && { base: options.base }),
  };
}

async function specAdd(
  deps: BotDeps,
  inv: Invocation,
  cmd: Extract<BotCommand, { verb: 'spec add' }>,
): Promise<CommandReply> {
  const tenant = inv.actor.tenant;
  let upload = inv.upload;
  if (!upload && cmd.url !== undefined) {
    const filename = new URL(cmd.url).pathname.split('/').at(-1) || 'spec.yaml';
    upload = { filename, bytes: await download(cmd.url, { filename, policy: deps.engine.net }) };
  }
  if (!upload)
    throw new SmolmapError(
      'bot_usage',
      'attach a .json/.yaml spec file or give its URL: `/smolmap spec add <url>`',
    );
  const r = await addUploadedSpec(deps.engine, upload, {
    tenant,
    ...(cmd.name !== undefined && { name: cmd.name }),
  });
  return { text: renderSpecAdded(r) };
}

async function train(
  deps: BotDeps,
  inv: Invocation,
  cmd: Extract<BotCommand, { verb: 'train' }>,
): Promise<CommandReply> {
  const input = trainInput(cmd.options);
  const r = await startTraining(deps.engine, { spec: cmd.spec, tenant: inv.actor.tenant, ...input });
  deps.jobs?.pump();
  return {
    text: `Training \`${r.job}\` queued for *${cmd.spec}* on ${r.baseModel} (model \`${r.model}\`)`,
    watch: r.job,
    stop: r.job,
  };
}

async function ask(
  deps: BotDeps,
  inv: Invocation,
  cmd: Extract<BotCommand, { verb: 'ask' }>,
): Promise<CommandReply> {
  const session = inv.conversation === undefined ? undefined : deps.sessions.get(inv.conversation);
  const given =
    session?.awaiting && cmd.spec === undefined ? answersFrom(cmd.task, stillOpen(session.awaiting)) : null;
  if (session?.awaiting && given) {
    try {
      return await valuesReply(deps, inv, session, session.awaiting, given.values);
    } catch (e) {
      // An unnamed reply that does not fit the questions (a short follow-up task) is asked as a task.
      if (given.named || !isSmolmapError(e) || e.code !== 'bot_clarify_invalid') throw e;
    }
  }
  const spec = cmd.spec ?? session?.spec;
  if (spec === undefined)
    throw new SmolmapError(
      'bot_usage',
      'which spec? use `/smolmap ask <spec> <task>`, or reply in a playground thread',
    );
  // Same spec as the thread's: same session and model; another spec starts a new playground.
  deps.quota.takeAsk(inv.actor, cmd.task);
  const same = session !== undefined && session.spec === spec;
  const id = same ? session.id : `${inv.surface}-${randomUUID().slice(0, 12)}`;
  const r = await askFacade(deps.engine, {
    spec,
    task: cmd.task,
    tenant: inv.actor.tenant,
    session: id,
    surface: inv.surface,
    user: inv.actor.user,
    ...(same && session.model !== undefined && { model: session.model }),
  });
  await deps.quota.retain(deps.engine, inv.actor.tenant).catch((e: unknown) => {
    deps.engine.logger.warn({ err: e, tenant: inv.actor.tenant }, 'bots: pruning old history failed');
  });
  const runnable =
    deps.execute?.enabled === true &&
    r.needs.length === 0 &&
    offersRun(
      deps.execute,
      deps.permissions,
      inv.actor,
      spec,
      (await getSpec(deps.engine, spec, { tenant: inv.actor.tenant, version: r.specVersion })).catalog,
    );
  const card = answerCard(cmd.task, r, runnable);
  const text = [renderAnswer(card), ...card.notes, ...card.needs.map((n) => `❓ ${n.question}`)].join('\n');
  const awaiting: Awaiting | undefined =
    r.needs.length > 0 ? { queryId: r.queryId, needs: r.needs, values: {} } : undefined;
  return {
    text,
    card,
    session: { id, spec, ...(!r.untrained && { model: r.model }), ...(awaiting && { awaiting }) },
  };
}

/**
 * A follow-up that gives values the conversation's latest answer asked for: the completed card (the
 * conversation then waits on nothing), or the questions still open with the values so far.
 */
async function valuesReply(
  deps: BotDeps,
  inv: Invocation,
  session: PlaygroundSession,
  awaiting: Awaiting,
  values: Record<string, string>,
): Promise<CommandReply> {
  const next = await answerQuestions(deps, inv.actor, awaiting, values);
  const { awaiting: _answered, ...rest } = session;
  if ('done' in next) return { ...next.done, session: rest };
  return { ...next.ask, session: { ...rest, awaiting: next.awaiting } };
}

/** Runs one command for one actor; throws SmolmapError (the surface renders it). */
export async function handleCommand(deps: BotDeps, inv: Invocation, cmd: BotCommand): Promise<CommandReply> {
  deps.quota.admit(inv.actor);
  authorize(deps.permissions, inv.actor, cmd);
  const { engine } = deps;
  const tenant = inv.actor.tenant;
  switch (cmd.verb) {
    case 'help':
      return { text: helpText(), ephemeral: true };
    case 'spec add':
      return specAdd(deps, inv, cmd);
    case 'spec list':
      return { text: renderSpecList(await listSpecs(engine, { tenant })) };
    case 'spec ops':
      return { text: renderOps(cmd.spec, await specOperations(engine, cmd.spec, { tenant })) };
    case 'spec rm':
      return { text: renderRemoved(await removeSpec(engine, cmd.spec, { tenant })) };
    case 'train':
      return train(deps, inv, cmd);
    case 'jobs':
      return { text: renderJobs(await listJobs(engine, { tenant })) };
    case 'stop': {
      const job = await stopJob(engine, cmd.job, { tenant });
      if (job.status === 'running') deps.jobs?.stop(job.id);
      return { text: `Stopping \`${job.id}\` (it checkpoints first).` };
    }
    case 'ask':
      return ask(deps, inv, cmd);
    case 'models':
      return {
        text: renderModels(
          await listAdapters(engine, { tenant, ...(cmd.spec !== undefined && { spec: cmd.spec }) }),
        ),
      };
    case 'activate': {
      const a = await activateAdapter(engine, cmd.model, { tenant });
      return {
        text: `\`${a.active}\` now answers for *${a.spec}*${a.previous && a.previous !== a.active ? ` (was \`${a.previous}\`)` : ''}.`,
      };
    }
    case 'history':
      return { text: renderHistory(await history(engine, { tenant, limit: 10 })) };
  }
}
