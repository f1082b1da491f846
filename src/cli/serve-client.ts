/**
 * The client side of `smolmap serve`'s local socket: `ask` (and `chat`) hand their arguments to a running
 * serve, whose model is already loaded, instead of loading it again. This module stays light (node built-ins
 * and the directory rule only) because bin/smolmap.js loads it before the rest of the CLI: a warm ask must not
 * pay for importing the engine.
 */
import net from 'node:net';
import path from 'node:path';
import { resolveDirs } from '../engine/dirs.js';

/** The socket lives in a private folder of the data directory (0700; the socket itself 0600). */
export function socketPath(dataDir: string): string {
  return path.join(dataDir, 'run', 'serve.sock');
}

/** One request: a command's own arguments (global options taken out) and the directories the caller uses. */
export interface ServeRequest {
  command: 'ask';
  args: string[];
  json: boolean;
  dataDir: string;
  modelsDir: string;
}

export type ServeReply =
  { ok: true; json: unknown; human: string; pid: number } | { ok: false; code: string; message: string };

/** Code of the reply that sends the caller back to answering in its own process (e.g. other models dir). */
export const NOT_HERE = 'serve_not_here';

/** How long a connection attempt may take before the caller answers by itself. */
const CONNECT_MS = 500;

/** A connection to a running serve; requests go one at a time, replies come back as JSON lines. */
export class ServeConnection {
  private buffer = '';
  private waiting: ((line: string | null) => void) | null = null;
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      const at = this.buffer.indexOf('\n');
      if (at >= 0 && this.waiting) {
        const line = this.buffer.slice(0, at);
        this.buffer = this.buffer.slice(at + 1);
        const w = this.waiting;
        this.waiting = null;
        w(line);
      }
    });
    const end = () => {
      this.closed = true;
      this.waiting?.(null);
      this.waiting = null;
    };
    socket.on('close', end);
    socket.on('error', end);
  }

  /** Connects to the serve of `dataDir`, or resolves null when none listens there. */
  static connect(dataDir: string): Promise<ServeConnection | null> {
    return new Promise((resolve) => {
      const socket = net.connect(socketPath(dataDir));
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(null);
      }, CONNECT_MS);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new ServeConnection(socket));
      });
      // ENOENT (no serve), ECONNREFUSED (a stale socket file), EACCES (another user's): answer locally.
      socket.once('error', () => {
        clearTimeout(timer);
        resolve(null);
      });
    });
  }

  /** Sends one request; null when the serve went away before replying. */
  request(req: ServeRequest): Promise<ServeReply | null> {
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.waiting = (line) => resolve(line === null ? null : (JSON.parse(line) as ServeReply));
      this.socket.write(JSON.stringify(req) + '\n');
    });
  }

  close(): void {
    this.socket.end();
  }
}

const GLOBAL_VALUE = new Set(['--data-dir', '--models-dir']);

/**
 * `smolmap ask …` through a running serve. Returns the exit status, or null when the ask should run in this
 * process instead: no serve, `--local`, `--help`, or a serve that cannot answer for these directories.
 */
export async function askViaServe(argv: string[]): Promise<number | null> {
  const args: string[] = [];
  const dirs: { dataDir?: string; modelsDir?: string } = {};
  let json = false;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    const [name, inline] = a.startsWith('--') ? (a.split(/=(.*)/s) as [string, string?]) : [a];
    if (a === '--local' || a === '--help' || a === '-h' || a === '--') return null;
    if (GLOBAL_VALUE.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) return null; // the full CLI reports the missing value
      if (name === '--data-dir') dirs.dataDir = value;
      else dirs.modelsDir = value;
    } else if (a === '--json') json = true;
    else args.push(a);
  }
  // The caller's tenant goes with the request: serve's own environment must not decide it.
  const tenant = process.env['SMOLMAP_TENANT']?.trim();
  if (tenant && !args.some((a) => a === '--tenant' || a.startsWith('--tenant=')))
    args.push('--tenant', tenant);
  const { dataDir, modelsDir } = resolveDirs(dirs);
  const conn = await ServeConnection.connect(dataDir);
  if (!conn) return null;
  try {
    const reply = await conn.request({ command: 'ask', args, json, dataDir, modelsDir });
    if (reply === null || (!reply.ok && reply.code === NOT_HERE)) return null;
    if (!reply.ok) {
      process.stderr.write(`${reply.code}: ${reply.message}\n`);
      if (json)
        process.stdout.write(JSON.stringify({ error: { code: reply.code, message: reply.message } }) + '\n');
      return reply.code.startsWith('usage_') ? 2 : 1;
    }
    process.stderr.write(
      `answered by the running \`smolmap serve\` (pid ${reply.pid}); --local loads the model here\n`,
    );
    process.stdout.write((json ? JSON.stringify(reply.json, null, 2) : reply.human) + '\n');
    return 0;
  } finally {
    conn.close();
  }
}
