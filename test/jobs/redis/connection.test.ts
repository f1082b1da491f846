/** Redis URLs, the worker token rules and how failures travel through the queue. */
import { describe, expect, it } from 'vitest';

import { checkTokenStrength, redisOptions, tokenMatches } from '../../../src/jobs/redis/connection.js';
import { parseFailure } from '../../../src/jobs/redis/failure.js';
import { queueSetting } from '../../../src/jobs/queue.js';

describe('redis queue settings', () => {
  it('reads host, port, credentials and database from a redis:// URL', () => {
    expect(redisOptions('redis://:s%40cret@cache.internal:6380/2')).toMatchObject({
      host: 'cache.internal',
      port: 6380,
      password: 's@cret',
      db: 2,
      maxRetriesPerRequest: null,
    });
    expect(redisOptions('redis://127.0.0.1')).toMatchObject({ host: '127.0.0.1', port: 6379 });
    expect(() => redisOptions('http://x:1')).toThrow(/redis:\/\//);
    expect(() => redisOptions('redis://x:1/zero')).toThrow(/must be a number/);
  });

  it('chooses embedded unless a queue is given', () => {
    expect(queueSetting(undefined, {})).toBe('embedded');
    expect(queueSetting(undefined, { SMOLMAP_QUEUE: 'redis://r:6379' })).toBe('redis://r:6379');
    expect(queueSetting('embedded', { SMOLMAP_QUEUE: 'redis://r:6379' })).toBe('embedded');
  });

  it('wants a long worker token and compares it exactly', () => {
    expect(() => checkTokenStrength('short', 'serve')).toThrow(/SMOLMAP_WORKER_TOKEN/);
    const t = 'a'.repeat(32);
    expect(checkTokenStrength(t, 'serve')).toBe(t);
    expect(tokenMatches(t, t)).toBe(true);
    expect(tokenMatches(`${t}b`, t)).toBe(false);
    expect(tokenMatches('', t)).toBe(false);
  });

  it('turns a worker failure and a stall-limit failure into coded errors', () => {
    expect(parseFailure('dataset_unknown: no dataset "d"', 3)).toEqual({
      code: 'dataset_unknown',
      message: 'no dataset "d"',
    });
    expect(parseFailure('job stalled more than allowable limit', 3)).toMatchObject({
      code: 'job_crash_loop',
      message: expect.stringContaining('3 times'),
    });
    expect(parseFailure('Something odd', 3)).toEqual({ code: 'job_worker_failed', message: 'Something odd' });
  });
});
