/**
 * Real services for the redis queue tests: a `redis-server` on a free loopback port (in a temp folder,
 * persistent when asked) and smolmap CLI processes whose output is kept for assertions.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../../..');
const BIN = path.join(ROOT, 'bin', 'smolmap.js');

/** The redis-server binary, or null when none is installed. */
export function redisServerBinary(): string | null {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? 'redis-server' : null;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface Proc {
  child: ChildProcess;
  /** stdout and stderr as they came. */
  output(): string;
  stdout(): string;
  /** Resolves when the output matches `re` (rejects after `ms`). */
  waitFor(re: RegExp, ms?: number): Promise<void>;
  exited: Promise<number | null>;
}

function track(child: ChildProcess): Proc {
  let out = '';
  let stdout = '';
  const waiters: { re: RegExp; done(): void }[] = [];
  const onData = (d: Buffer): void => {
    out += d.toString();
    for (const w of [...waiters]) {
      if (!w.re.test(out)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.done();
    }
  };
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    child,
    output: () => out,
    stdout: () => stdout,
    exited,
    waitFor(re, ms = 60_000) {
      if (re.test(out)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${re}; output:\n${out}`)), ms);
        waiters.push({ re, done: () => (clearTimeout(t), resolve()) });
      });
    },
  };
}

/**
 * A redis-server on a free loopback port (or `port`). `persist` keeps its data in an append-only file in `dir`,
 * written before each command returns, so a server started again on the same port and folder has it all.
 */
export async function startRedis(
  dir: string,
  opts: { persist?: boolean; port?: number } = {},
): Promise<{ url: string; proc: Proc }> {
  const port = opts.port ?? (await freePort());
  const persistence = opts.persist
    ? ['--appendonly', 'yes', '--appendfsync', 'always']
    : ['--appendonly', 'no'];
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', dir],
    { stdio: 'pipe' },
  );
  const proc = track(child);
  await proc.waitFor(/Ready to accept connections/, 15_000);
  return { url: `redis://127.0.0.1:${port}`, proc };
}

export function smolmap(args: string[], env: Record<string, string>): Proc {
  // The child inherits this process's niceness (run the tests under `nice`); it adds none of its own.
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, SMOLMAP_HOME: '', SMOLMAP_MODELS: '', SMOLMAP_QUEUE: '', ...env },
    stdio: 'pipe',
  });
  return track(child);
}

export async function stop(p: Proc, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill(signal);
  await p.exited;
}
