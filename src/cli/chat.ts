/**
 * `smolmap chat --spec S`: a playground in the terminal. Each line is a task; the answer shows as `ask` shows
 * it. Lines starting with `:` are commands (`:help`). The asks are recorded in one playground session, as the
 * Slack and Discord threads record theirs, so `smolmap history --session <id>` replays it. A running
 * `smolmap serve` answers warm over its socket; otherwise the model loads here once, on the first task.
 */
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import {
  SmolmapError,
  ask,
  getSpec,
  history,
  listAdapters,
  toSmolmapError,
  type AskResult,
  type Engine,
} from '../engine/index.js';
import { renderAsk } from './ask.js';
import { defineCommand, type Command, type CommandContext } from './command.js';
import { QUANT_HELP, checkQuantOption, optionalString } from './mapper-options.js';
import { ServeConnection } from './serve-client.js';

const HELP = [
  'Type a task, e.g. "show me pet 42". Commands:',
  '  :model [ID|default]  show the model answering, or switch to a trained adapter (default: the spec’s active one)',
  '  :explain             how sure the last answer is: confidence by part, validity, the raw model output',
  '  :copy                print the last answer as a curl command',
  '  :history             this session’s asks so far',
  '  :help                this list',
  '  :quit                leave (so does Ctrl-D)',
].join('\n');

interface ChatState {
  spec: string;
  tenant: string;
  session: string;
  model: string | undefined;
  last: AskResult | null;
  asks: number;
}

/** Asks one task: through a running serve when there is one, else in this process. */
type Asker = (state: ChatState, task: string) => Promise<AskResult>;

function localAsker(
  ctx: CommandContext,
  base: string | undefined,
  quant: ReturnType<typeof checkQuantOption>,
): Asker {
  let loaded = false;
  return async (state, task) => {
    const done = loaded ? undefined : ctx.busy?.('loading the model');
    try {
      return await ask(await ctx.engine(quant ? { quant } : {}), {
        spec: state.spec,
        task,
        session: state.session,
        tenant: ctx.tenant,
        surface: 'cli',
        ...(state.model !== undefined && { model: state.model }),
        ...(base !== undefined && { base }),
        ...(quant !== undefined && { quant }),
      });
    } finally {
      loaded = true;
      done?.();
    }
  };
}

function serveAsker(conn: ServeConnection, ctx: CommandContext, base?: string, quant?: string): Asker {
  return async (state, task) => {
    const args = ['--spec', state.spec, '--session', state.session, '--tenant', ctx.tenant];
    if (state.model !== undefined) args.push('--model', state.model);
    if (base !== undefined) args.push('--base', base);
    if (quant !== undefined) args.push('--quant', quant);
    // `--` ends the options: a task may start with a dash.
    const reply = await conn.request({
      command: 'ask',
      args: [...args, '--', task],
      json: true,
      dataDir: ctx.dataDir,
      modelsDir: ctx.modelsDir,
    });
    if (reply === null)
      throw new SmolmapError('chat_serve_gone', 'the running `smolmap serve` went away; start chat again');
    if (!reply.ok) throw new SmolmapError(reply.code, reply.message);
    return reply.json as AskResult;
  };
}

function explain(r: AskResult | null): string {
  if (!r) return 'nothing asked yet';
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return [
    `confidence ${pct(r.confidence)} = operation ${pct(r.confidenceParts.operation)} × values ${pct(r.confidenceParts.values)}`,
    `operation  ${r.method} ${r.path}${r.operationId ? ` (${r.operationId})` : ''}`,
    r.valid ? 'valid      the call conforms to the spec' : `INVALID    ${r.issues.join('; ')}`,
    `model      ${r.model}${r.untrained ? ' (untrained base model: the prompt lists the operations)' : ''} on ${r.baseModel}, ${r.quant}, spec ${r.spec} v${r.specVersion}, ${r.latencyMs.toFixed(0)} ms`,
    ...(r.completed ? ['note       the token budget ran out; the grammar completed the call'] : []),
    `output     ${r.output}`,
    'alternatives: the engine does not return runner-up operations; rephrase the task to compare',
  ].join('\n');
}

async function modelCommand(engine: () => Promise<Engine>, state: ChatState, arg: string): Promise<string> {
  if (arg === '') {
    const adapters = await listAdapters(await engine(), { spec: state.spec, tenant: state.tenant });
    const list = adapters.map((a) => `  ${a.active ? '*' : ' '} ${a.id} (${a.status})`).join('\n');
    const now =
      state.model ?? (state.last ? state.last.model : 'the spec’s active adapter, else the base model');
    return `answering with: ${now}\n${list || '  no trained adapters for this spec; `smolmap train --spec ' + state.spec + '` trains one'}`;
  }
  state.model = arg === 'default' ? undefined : arg;
  return state.model ? `next asks use ${state.model}` : 'next asks use the spec’s active adapter';
}

async function historyCommand(engine: () => Promise<Engine>, state: ChatState): Promise<string> {
  if (state.asks === 0) return 'nothing asked yet';
  const rows = await history(await engine(), { session: state.session, tenant: state.tenant });
  return rows
    .map((q) => `${q.input}\n  → ${q.call ? `${q.call.method} ${q.call.url}` : q.output}`)
    .join('\n');
}

/** One line of input: a command or a task. Returns what to print, or null to leave. */
async function line(
  text: string,
  state: ChatState,
  asker: Asker,
  engine: () => Promise<Engine>,
): Promise<string | null> {
  const input = text.trim();
  if (input === '') return '';
  if (!input.startsWith(':')) {
    state.last = await asker(state, input);
    state.asks++;
    return renderAsk(state.last);
  }
  const [cmd = '', ...rest] = input.slice(1).split(/\s+/);
  switch (cmd) {
    case 'quit':
    case 'q':
    case 'exit':
      return null;
    case 'help':
      return HELP;
    case 'copy':
      return state.last ? state.last.curl : 'nothing asked yet';
    case 'explain':
      return explain(state.last);
    case 'model':
      return modelCommand(engine, state, rest.join(' '));
    case 'history':
      return historyCommand(engine, state);
    default:
      return `unknown command :${cmd}; :help lists them`;
  }
}

interface ChatResult {
  session: string;
  asks: number;
  via: 'serve' | 'local';
}

const chatCommand = defineCommand<ChatResult>({
  name: 'chat',
  summary: 'an interactive playground for one spec: type tasks, see calls; recorded as a playground session',
  args: '',
  required: ['spec'],
  options: {
    spec: { type: 'string' },
    model: { type: 'string' },
    base: { type: 'string' },
    session: { type: 'string' },
    quant: { type: 'string' },
    local: { type: 'boolean' },
  },
  optionHelp: {
    'spec S': 'the spec (required; see `smolmap spec list`)',
    'model M': 'a trained adapter id (default: the spec’s active adapter; `:model` switches)',
    'base N': 'base model when the spec has no adapter (default: the first registered)',
    'session X': 'continue playground session X (default: a new one)',
    [QUANT_HELP]: 'weight format of the base model (default f32)',
    local: 'load the model in this process even when `smolmap serve` runs',
  },
  async run(ctx, positionals, values) {
    const spec = optionalString(values, 'spec');
    if (spec === undefined)
      throw new SmolmapError(
        'usage_missing_option',
        '`smolmap chat` needs --spec <name>; `smolmap spec list` shows them',
      );
    if (positionals.length > 0)
      throw new SmolmapError('usage_bad_arguments', '`smolmap chat` takes no task; type tasks once it runs');
    if (ctx.json)
      throw new SmolmapError(
        'usage_bad_option',
        '`smolmap chat` is interactive; `smolmap ask --json` answers one task as JSON',
      );
    const quant = checkQuantOption(values);
    const base = optionalString(values, 'base');
    const engine = () => ctx.engine(quant ? { quant } : {});
    // The spec must exist before the first task: a typo is reported now, not after a model load.
    await getSpec(await engine(), spec, { tenant: ctx.tenant });
    const state: ChatState = {
      spec,
      tenant: ctx.tenant,
      session: optionalString(values, 'session') ?? `cli-${randomUUID().slice(0, 12)}`,
      model: optionalString(values, 'model'),
      last: null,
      asks: 0,
    };
    const conn = values['local'] === true ? null : await ServeConnection.connect(ctx.dataDir);
    const asker = conn ? serveAsker(conn, ctx, base, quant) : localAsker(ctx, base, quant);
    return converse(ctx.dataDir, state, asker, engine, conn).finally(() => conn?.close());
  },
  human: (r) =>
    `session ${r.session}: ${r.asks} ask${r.asks === 1 ? '' : 's'} recorded; \`smolmap history --session ${r.session}\` shows them`,
});

const HISTORY_LINES = 500;

/** Typed lines of earlier chats (newest first, as readline keeps them), from the data dir's private folder. */
async function typedHistory(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .slice(-HISTORY_LINES)
    .reverse();
}

async function remember(file: string, line: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await appendFile(file, `${line.replace(/\n/g, ' ')}\n`, { mode: 0o600 });
}

async function converse(
  dataDir: string,
  state: ChatState,
  asker: Asker,
  engine: () => Promise<Engine>,
  conn: ServeConnection | null,
): Promise<ChatResult> {
  const tty = process.stdin.isTTY === true;
  // Up-arrow recalls tasks typed in earlier chats too; piped input is not typed, so it is not kept.
  const historyFile = path.join(dataDir, 'run', 'chat-history');
  const rl = readline.createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: tty,
    historySize: HISTORY_LINES,
    history: tty ? await typedHistory(historyFile) : [],
  });
  rl.setPrompt(`${state.spec}> `);
  const out = (text: string) => process.stdout.write(text === '' ? '' : `${text}\n`);
  out(
    `smolmap chat: spec ${state.spec}, session ${state.session}; ${conn ? 'answered by the running `smolmap serve`' : 'the model loads on the first task'}. :help lists the commands.`,
  );
  if (tty) rl.prompt();
  for await (const text of rl) {
    // History is a convenience: a data dir it cannot be written to must not end the chat.
    if (tty && text.trim() !== '') await remember(historyFile, text.trim()).catch(() => {});
    let reply: string | null;
    try {
      reply = await line(text, state, asker, engine);
    } catch (e) {
      // A failed task is reported and the playground goes on.
      reply = toSmolmapError(e).toLine();
    }
    if (reply === null) break;
    out(reply);
    if (tty) rl.prompt();
  }
  rl.close();
  return { session: state.session, asks: state.asks, via: conn ? 'serve' : 'local' };
}

export const chatCommands: Command[] = [chatCommand];
