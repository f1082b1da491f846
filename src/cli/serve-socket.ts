/**
 * `smolmap serve`'s local socket: `smolmap ask` and `smolmap chat` on this machine hand their arguments here
 * and get the answer from serve's already loaded model. The socket sits in `<data dir>/run/` (0700) and is
 * itself 0600, so only the user who runs serve can use it; requests run the same `ask` command as the CLI,
 * as the tenant the caller names (its `--tenant` or `$SMOLMAP_TENANT`), so nothing here reaches further than a
 * local `smolmap ask` would.
 */
import { chmod, mkdir, unlink } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { actingTenant, toSmolmapError, type Engine } from '../engine/index.js';
import { askCommand } from './ask.js';
import type { Command, CommandContext } from './command.js';
import { GLOBAL_OPTIONS, badOption } from './route.js';
import { NOT_HERE, ServeConnection, socketPath, type ServeReply } from './serve-client.js';
import type { ServeSurfaceFactory } from './serve.js';

/** Commands the socket runs; each is the CLI's own. */
const COMMANDS: Record<string, Command> = { ask: askCommand };

/** A request line, checked at the boundary (the socket is local, but its input is still input). */
const Request = z
  .object({
    command: z.enum(['ask']),
    args: z.array(z.string().max(100_000)).max(200),
    json: z.boolean(),
    dataDir: z.string(),
    modelsDir: z.string(),
  })
  .strict();

/** Longest request line accepted; a task is short, a runaway client is cut off. */
const MAX_LINE = 1024 * 1024;

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}

async function handle(engine: Engine, line: string): Promise<ServeReply> {
  const parsed = Request.safeParse(parseLine(line));
  if (!parsed.success) return { ok: false, code: 'serve_bad_request', message: parsed.error.message };
  const req = parsed.data;
  if (path.resolve(req.modelsDir) !== engine.modelsDir || path.resolve(req.dataDir) !== engine.dataDir)
    return { ok: false, code: NOT_HERE, message: 'this serve uses other directories' };
  const command = COMMANDS[req.command]!;
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: req.args,
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
    }));
  } catch (e) {
    throw badOption(e, command);
  }
  const ctx: CommandContext = {
    dataDir: engine.dataDir,
    modelsDir: engine.modelsDir,
    json: req.json,
    tenant: actingTenant(values['tenant'] as string | undefined, {}),
    engine: () => Promise.resolve(engine),
    progress: () => {},
  };
  const result = await command.run(ctx, positionals, values);
  return { ok: true, json: result, human: command.human(result), pid: process.pid };
}

function serveConnection(engine: Engine, socket: net.Socket): void {
  socket.setEncoding('utf8');
  let buffer = '';
  let queue = Promise.resolve();
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    if (buffer.length > MAX_LINE) {
      socket.destroy();
      return;
    }
    let at: number;
    while ((at = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, at);
      buffer = buffer.slice(at + 1);
      // One request at a time per connection, answered in order.
      queue = queue.then(async () => {
        const reply = await handle(engine, line).catch((e: unknown): ServeReply => {
          const err = toSmolmapError(e);
          if (err.code === 'internal') engine.logger.error({ err: e }, 'serve socket: request failed');
          return { ok: false, code: err.code, message: err.message };
        });
        if (!socket.destroyed) socket.write(JSON.stringify(reply) + '\n');
      });
    }
  });
  socket.on('error', (e) => engine.logger.debug({ err: e }, 'serve socket: client went away'));
}

/** Removes a socket file no process listens on; refuses to take over one that still answers. */
async function clearStale(file: string): Promise<boolean> {
  const live = await ServeConnection.connect(path.dirname(path.dirname(file)));
  if (live) {
    live.close();
    return false;
  }
  await unlink(file).catch(() => {});
  return true;
}

export const askSocketSurface: ServeSurfaceFactory = {
  name: 'ask socket',
  options: {},
  optionHelp: {},
  async start(engine) {
    const file = socketPath(engine.dataDir);
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await chmod(path.dirname(file), 0o700);
    if (!(await clearStale(file))) {
      engine.logger.warn(`serve socket: another serve answers on ${file}; asks go there`);
      return null;
    }
    const open = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      open.add(socket);
      socket.once('close', () => open.delete(socket));
      serveConnection(engine, socket);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(file, () => resolve());
      });
    } catch (e) {
      // E.g. a data directory path too long for a socket (about 100 bytes): serve runs on without it.
      engine.logger.warn(
        { err: e },
        `serve socket: cannot listen on ${file}; asks load the model themselves`,
      );
      return null;
    }
    await chmod(file, 0o600);
    return {
      name: 'ask socket',
      description: `${file} (\`smolmap ask\` and \`smolmap chat\` answer here, warm)`,
      stop: () =>
        new Promise<void>((resolve) => {
          // Open chat connections would hold close() back.
          for (const socket of open) socket.destroy();
          server.close(() => resolve());
        }),
    };
  },
};
