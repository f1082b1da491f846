/**
 * Running the CLI from tests two ways: the real process (`node bin/smolmap.js`, built to dist/ by `npm test`'s
 * pretest; each spawn costs seconds of imports) and the same `main` in-process with stdout/stderr captured
 * (scalar's console.error goes through process.stderr too). Keep at least one real spawn per command group.
 */
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { vi } from 'vitest';

import { main } from '../../src/cli.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin', 'smolmap.js');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real CLI process; SMOLMAP_HOME/SMOLMAP_MODELS cleared so only the given directories count. */
export function spawnCli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env: { ...process.env, SMOLMAP_HOME: '', SMOLMAP_MODELS: '' } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** `main(args)` in this process with stdout and stderr captured. */
export async function runInProcess(args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    return { code: await main(args), stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/** The real CLI process with `input` on its stdin (e.g. task lines for `smolmap chat`). */
export function pipeCli(args: string[], input: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, SMOLMAP_HOME: '', SMOLMAP_MODELS: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input);
  });
}
