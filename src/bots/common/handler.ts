/**
 * The one place a bot command becomes a facade call (STYLE.md habit 6): the surfaces parse their event into a
 * BotCommand and an Invocation, call `handleCommand`, and post the Reply. Every call is scoped by the actor's
 * tenant, and permission is checked before anything runs.
 */
import {
  SmolmapError,
  listJobs,
  listSpecs,
  removeSpec,
  specOperations,
  startTraining,
  stopJob,
  getJob,
  type Engine,
  type TrainOptionsInput,
} from '../../engine/index.js';
import { helpText, type BotCommand, type TrainKey } from './grammar.js';
import { mapperOps as defaultOps, type MapperOps } from './ops.js';
import { authorize, type Actor, type Permissions } from './permissions.js';
import {
  renderAnswer,
  renderJobs,
  renderOps,
  renderRemoved,
  renderSpecAdded,
  renderSpecList,
  type Reply,
} from './render.js';
import { addUploadedSpec, download, type SpecUpload } from './upload.js';

/** The process's job runner (src/jobs/runner.ts fits): pump after queueing, stop to end one early. */
export interface JobControl {
  pump(): unknown;
  stop(jobId: string): unknown;
}

/** A playground conversation's spec and model (a Slack thread, a Discord thread or channel). */
export interface PlaygroundSession {
  spec: string;
  model?: string;
}

export interface BotDeps {
  engine: Engine;
  permissions: Permissions;
  jobs?: JobControl;
  ops?: MapperOps;
  /** Conversation key → session. Kept in memory: a restart forgets playground threads, nothing else. */
  sessions: Map<string, PlaygroundSession>;
}

export interface Invocation {
  actor: Actor;
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

function unavailable(verb: string): SmolmapError {
  return new SmolmapError(
    'bot_unavailable',
    `\`${verb}\` is not available in this smolmap build yet; use the CLI`,
  );
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
    upload = { filename, bytes: await download(cmd.url, { filename }) };
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
  };
}

async function ask(
  deps: BotDeps,
  inv: Invocation,
  cmd: Extract<BotCommand, { verb: 'ask' }>,
): Promise<CommandReply> {
  const ops = deps.ops ?? defaultOps;
  if (!ops.ask) throw unavailable('ask');
  const session = inv.conversation === undefined ? undefined : deps.sessions.get(inv.conversation);
  const spec = cmd.spec ?? session?.spec;
  if (spec === undefined)
    throw new SmolmapError(
      'bot_usage',
      'which spec? use `/smolmap ask <spec> <task>`, or reply in a playground thread',
    );
  const model = cmd.spec === undefined || cmd.spec === session?.spec ? session?.model : undefined;
  const a = await ops.ask(deps.engine, {
    spec,
    task: cmd.task,
    tenant: inv.actor.tenant,
    ...(model !== undefined && { model }),
  });
  return { text: renderAnswer(a), session: { spec, model: a.model } };
}

/** Runs one command for one actor; throws SmolmapError (the surface renders it). */
export async function handleCommand(deps: BotDeps, inv: Invocation, cmd: BotCommand): Promise<CommandReply> {
  authorize(deps.permissions, inv.actor, cmd);
  const { engine } = deps;
  const tenant = inv.actor.tenant;
  const ops = deps.ops ?? defaultOps;
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
    case 'models': {
      if (!ops.models) throw unavailable('models');
      const list = await ops.models(engine, { tenant, ...(cmd.spec !== undefined && { spec: cmd.spec }) });
      if (list.length === 0) return { text: 'No trained models yet: `/smolmap train <spec>` makes one.' };
      return {
        text: list
          .map(
            (m) =>
              `• \`${m.id}\` ${m.spec} v${m.specVersion}${m.active ? ' (active)' : ''}${m.metrics ? ` — ${m.metrics}` : ''}`,
          )
          .join('\n'),
      };
    }
    case 'activate': {
      if (!ops.activate) throw unavailable('activate');
      const m = await ops.activate(engine, { model: cmd.model, tenant });
      return { text: `\`${m.id}\` now answers for *${m.spec}*.` };
    }
    case 'history': {
      if (!ops.history) throw unavailable('history');
      const h = await ops.history(engine, { tenant, limit: 10 });
      return {
        text:
          h.length === 0
            ? 'Nothing asked yet.'
            : h.map((q) => `• ${q.at.slice(0, 16)} “${q.task}” → ${q.result}`).join('\n'),
      };
    }
  }
}

/** Re-reads a job for the progress message, within the tenant. */
export const jobOf = (engine: Engine, id: string, tenant: string) => getJob(engine, id, { tenant });
