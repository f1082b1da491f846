/**
 * Chat quotas through the shared handler: tenant allowlist (or open mode) from the environment, the ask
 * window, history retention, and a `spec add <url>` that points inside the network.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { history, type QueryRecord } from '../../../src/engine/index.js';
import { handleCommand, type BotDeps } from '../../../src/bots/common/handler.js';
import { parseCommand } from '../../../src/bots/common/grammar.js';
import { DEFAULT_LIMITS, createQuota, limitsFromEnv } from '../../../src/bots/common/limits.js';
import type { Actor } from '../../../src/bots/common/permissions.js';
import { botDeps, tempEngine, type TempEngine } from '../helpers.js';

let t: TempEngine;
let deps: BotDeps;
const ADMIN: Actor = { tenant: 'slack:T1', user: 'U1', admin: true };

beforeAll(async () => {
  t = await tempEngine();
  deps = botDeps(t.engine, { everyone: [], allow: [] }, { ...DEFAULT_LIMITS, tenants: ['slack:T1'] });
});

afterAll(async () => t.close());

describe('bot limits from the environment', () => {
  it('is closed by default, lists tenants, and opens only with *', () => {
    expect(limitsFromEnv({})).toEqual(DEFAULT_LIMITS);
    expect(limitsFromEnv({ SMOLMAP_BOT_TENANTS: 'slack:T1, discord:123' }).tenants).toEqual([
      'slack:T1',
      'discord:123',
    ]);
    expect(limitsFromEnv({ SMOLMAP_BOT_TENANTS: '*' }).tenants).toBe('open');
    expect(() => limitsFromEnv({ SMOLMAP_BOT_TENANTS: 'T1' })).toThrow(/slack:<team id>/);
    expect(() => limitsFromEnv({ SMOLMAP_BOT_ASKS_PER_MINUTE: '0' })).toThrow(/SMOLMAP_BOT_ASKS_PER_MINUTE/);
    expect(limitsFromEnv({ SMOLMAP_BOT_HISTORY_DAYS: '0' }).historyDays).toBe(0);
  });

  it('refuses an unlisted workspace before anything runs, help included', async () => {
    const stranger: Actor = { tenant: 'slack:T9', user: 'U9', admin: true };
    await expect(
      handleCommand(deps, { actor: stranger, surface: 'slack' }, parseCommand('help')),
    ).rejects.toMatchObject({ code: 'bot_tenant_not_allowed', message: expect.stringContaining('slack:T9') });
    await expect(
      handleCommand(deps, { actor: ADMIN, surface: 'slack' }, parseCommand('help')),
    ).resolves.toMatchObject({ ephemeral: true });
  });

  it('keeps each user to the ask window, which slides', () => {
    const quota = createQuota({ ...DEFAULT_LIMITS, asksPerMinute: 3 });
    const at = 1_000_000;
    for (let i = 0; i < 3; i++) quota.takeAsk(ADMIN, 'show pet 1', at + i);
    expect(() => quota.takeAsk(ADMIN, 'show pet 1', at + 10)).toThrow(/try again in 60 s/);
    expect(() => quota.takeAsk({ ...ADMIN, user: 'U2' }, 'show pet 1', at + 10)).not.toThrow();
    expect(() => quota.takeAsk(ADMIN, 'show pet 1', at + 60_001)).not.toThrow();
  });
});

describe('spec add <url> from chat', () => {
  it('refuses a URL on a metadata, private or loopback address and stores nothing', async () => {
    const strict = botDeps(
      { ...t.engine, net: { allow: [] } },
      { everyone: [], allow: [] },
      { ...DEFAULT_LIMITS, tenants: 'open' },
    );
    for (const url of [
      'http://169.254.169.254/latest/meta-data/spec.json',
      'http://10.0.0.5/openapi.yaml',
      'http://localhost:9/openapi.yaml',
    ]) {
      await expect(
        handleCommand(strict, { actor: ADMIN, surface: 'slack' }, parseCommand(`spec add ${url}`)),
      ).rejects.toMatchObject({ code: 'net_blocked_address' });
    }
    expect((await t.engine.store.read()).specs).toEqual([]);
  });
});

describe('history retention', () => {
  it("drops a tenant's asks older than the limit, at most hourly, and no other tenant's", async () => {
    const day = 86_400_000;
    const now = Date.parse('2030-06-01T00:00:00Z');
    const q = (id: string, tenant: string, ageDays: number): QueryRecord => ({
      id,
      sessionId: null,
      input: 'show pet 1',
      output: '',
      call: null,
      valid: false,
      issues: [],
      confidence: null,
      latencyMs: 1,
      model: 'tiny',
      spec: { name: 'pets', version: 1 },
      createdAt: new Date(now - ageDays * day).toISOString(),
      tenant,
    });
    await t.engine.store.update((d) => {
      d.queries.push(q('old', 'slack:T1', 40), q('new', 'slack:T1', 2), q('other', 'slack:T2', 40));
    });
    const quota = createQuota({ ...DEFAULT_LIMITS, historyDays: 30 });
    await quota.retain(t.engine, 'slack:T1', now);
    expect((await history(t.engine, { tenant: 'slack:T1' })).map((x) => x.id)).toEqual(['new']);
    expect((await history(t.engine, { tenant: 'slack:T2' })).map((x) => x.id)).toEqual(['other']);
    await t.engine.store.update((d) => void d.queries.push(q('older', 'slack:T1', 50)));
    await quota.retain(t.engine, 'slack:T1', now + 60_000);
    expect((await history(t.engine, { tenant: 'slack:T1' })).map((x) => x.id)).toContain('older');
    await quota.retain(t.engine, 'slack:T1', now + 2 * 3_600_000);
    expect((await history(t.engine, { tenant: 'slack:T1' })).map((x) => x.id)).toEqual(['new']);
  });
});
