/**
 * `smolmap train --incremental` through main() on the tiny Llama and the two-operation notes spec: refused
 * with the fix before any adapter exists, then after a correction it continues the active adapter and says
 * whether the new one was activated and, when not, how to activate it.
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runInProcess as run } from './run-cli.js';
import { tinyStore, type TinyStore } from './tiny-store.js';

let store: TinyStore;
const SHORT = ['--batch', '2', '--max-len', '512', '--threads', '1'];

beforeAll(async () => {
  store = await tinyStore('cli-incremental');
});
afterAll(() => rmSync(store.root, { recursive: true, force: true }));

describe('smolmap train --incremental', () => {
  it('needs an active adapter, and names how to get one', async () => {
    const r = await run(['train', '--spec', 'notes', '--incremental', ...store.dirs]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^train_no_active_adapter: .*`smolmap train --spec notes`/);
  });

  it('continues the active adapter on the corrections and reports the activation rule', async () => {
    const full = await run([
      'train',
      '--spec',
      'notes',
      '--steps',
      '10',
      '--lr',
      '0.005',
      '--wait',
      ...SHORT,
      ...store.dirs,
    ]);
    expect(full.code, full.stderr).toBe(0);
    // The waited-for training prints both charts' paths; the eval chart scores the adapter on held-out tasks.
    const lossPath = /^loss chart: (\S+)$/m.exec(full.stdout)?.[1];
    const evalLine = /^eval chart: (\S+) \(held-out: endpoint \d+%, exact \d+% on (\d+) tasks\)$/m.exec(
      full.stdout,
    );
    expect(evalLine, full.stdout).not.toBeNull();
    expect(Number(evalLine![2])).toBeGreaterThan(0);
    expect(path.dirname(evalLine![1]!)).toBe(path.dirname(lossPath!));
    const png = await sharp(readFileSync(evalLine![1]!)).metadata();
    expect([png.format, png.width]).toEqual(['png', 900]);
    const fixed = await run([
      'correct',
      '--spec',
      'notes',
      '--task',
      'open note number 3',
      'getNote',
      '--param',
      'id=3',
      ...store.dirs,
    ]);
    expect(fixed.code, fixed.stderr).toBe(0);
    const rank = await run(['train', '--spec', 'notes', '--incremental', '--rank', '4', ...store.dirs]);
    expect(rank.stderr).toMatch(
      /^train_bad_option: --incremental continues adapter notes-\w+, whose LoRA r is 16/,
    );

    // A learning rate of 1 wrecks the adapter: its held-out loss is worse, so it is kept but not activated.
    const worse = await run([
      'train',
      '--spec',
      'notes',
      '--incremental',
      '--steps',
      '6',
      '--lr',
      '1',
      '--wait',
      ...SHORT,
      ...store.dirs,
    ]);
    expect(worse.code, worse.stderr).toBe(0);
    expect(worse.stdout).toMatch(
      /continued from notes-\w+ \(spec v1\) on 1 corrections, 0 added or changed operations/,
    );
    const kept =
      /kept (notes-\w+), NOT active: held-out loss [\d.]+ vs [\d.]+ of notes-\w+ is worse; `smolmap adapters activate \1` activates it anyway/;
    expect(worse.stdout).toMatch(kept);
    const list = await run(['adapters', 'list', '--json', ...store.dirs]);
    const adapters = JSON.parse(list.stdout) as { id: string; active: boolean }[];
    expect(adapters).toHaveLength(2);
    expect(adapters.find((a) => a.active)?.id).not.toBe(kept.exec(worse.stdout)![1]);
  });
});
