import { describe, expect, it } from 'vitest';
import { createUpdater } from '../../../src/bots/common/updater.js';
import { permissionsFromEnv, authorize } from '../../../src/bots/common/permissions.js';
import { progressBar, renderProgress } from '../../../src/bots/common/render.js';

describe('rate-limited message updater', () => {
  it('coalesces bursts: newest content wins, edits stay at least the interval apart', async () => {
    const sent: { text: number; at: number }[] = [];
    const u = createUpdater<number>(
      async (text) => {
        sent.push({ text, at: Date.now() });
      },
      { minIntervalMs: 80 },
    );
    for (let i = 1; i <= 50; i++) {
      u.update(i);
      await new Promise((r) => setTimeout(r, 5));
    }
    await u.flush();
    expect(sent.at(-1)!.text).toBe(50);
    expect(sent.length).toBeLessThan(10);
    for (let i = 1; i < sent.length; i++) expect(sent[i]!.at - sent[i - 1]!.at).toBeGreaterThanOrEqual(75);
  });

  it('keeps going after a failed edit', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const u = createUpdater<string>(
      async () => {
        if (++calls === 1) throw new Error('rate_limited');
      },
      { minIntervalMs: 10, onError: (e) => errors.push(e) },
    );
    u.update('a');
    await u.flush();
    u.update('b');
    await u.flush();
    expect(calls).toBe(2);
    expect(errors.length).toBe(1);
    expect(u.sent).toBe(1);
  });
});

describe('permissions', () => {
  const actor = { tenant: 'slack:T', user: 'U1', admin: false };
  it('admins and allowlisted users may change things; everyone may ask', () => {
    const p = permissionsFromEnv({ SMOLMAP_BOT_ALLOW: 'U9, U1' });
    expect(() => authorize(p, actor, { verb: 'train', spec: 's', options: {} })).not.toThrow();
    const closed = permissionsFromEnv({});
    expect(() => authorize(closed, actor, { verb: 'spec rm', spec: 's' })).toThrow(/only admins/);
    expect(() => authorize(closed, actor, { verb: 'ask', spec: 's', task: 't' })).not.toThrow();
    expect(() =>
      authorize(closed, { ...actor, admin: true }, { verb: 'activate', model: 'm' }),
    ).not.toThrow();
  });

  it('opens chosen actions to everyone, and rejects unknown ones', () => {
    const p = permissionsFromEnv({ SMOLMAP_BOT_EVERYONE: 'upload' });
    expect(() => authorize(p, actor, { verb: 'spec add' })).not.toThrow();
    expect(() => authorize(p, actor, { verb: 'train', spec: 's', options: {} })).toThrow(/train/);
    expect(() => permissionsFromEnv({ SMOLMAP_BOT_EVERYONE: 'uplod' })).toThrow(/uplod/);
  });
});

describe('rendering', () => {
  it('draws a progress bar with step, loss and ETA', () => {
    expect(progressBar(1, 4, 8)).toBe('██░░░░░░ 25%');
    const text = renderProgress({
      id: 'train-1',
      status: 'running',
      progress: {
        step: 3,
        totalSteps: 10,
        epoch: 0,
        loss: 1.23456,
        valLoss: null,
        lr: 1e-4,
        tokensPerSecond: 9,
        etaSeconds: 75,
      },
    } as never);
    expect(text).toContain('step 3/10 · loss 1.2346 · ETA 1m 15s');
  });
});
