import { describe, expect, it } from 'vitest';
import { fitNumber, numericBounds, patternString } from '../../../src/engine/data/fit.js';
import { Rng } from '../../../src/engine/rng.js';

// Patterns from specs of the APIs.guru directory (source spec in each comment).
const PATTERNS: [string, { minLength?: number; maxLength?: number }][] = [
  ['^DG[0-9a-fA-F]{32}$', {}], // twilio.com/twilio_events_v1 SinkSid
  ['^[0-9a-zA-Z]+$', { minLength: 10, maxLength: 10 }], // amazonaws.com/runtime.lex.v2 botId
  // amazonaws.com/chime-sdk-identity AppInstanceUserArn: a 1023-long tail is cut to a sayable length
  ['arn:[a-z0-9-\\.]{1,63}:[a-z0-9-\\.]{0,63}:[a-z0-9-\\.]{0,63}:[a-z0-9-\\.]{0,63}:[^/].{0,1023}', {}],
  ['^[a-zA-Z0-9-]{2,5}$', {}], // amadeus.com/amadeus-hotel-search lang
  // amazonaws.com/ivs-realtime sessionId: a literal prefix and one run that must fill the fixed length
  ['^st-[a-zA-Z0-9]+$', { minLength: 16, maxLength: 16 }],
];

describe('patternString', () => {
  it.each(PATTERNS)('draws strings matching %s within the length limits', (pattern, limits) => {
    const rng = new Rng(11);
    const re = new RegExp(pattern);
    for (let i = 0; i < 20; i++) {
      const s = patternString({ type: 'string', pattern, ...limits }, rng);
      expect(s).not.toBeNull();
      expect(s).toMatch(re);
      if (limits.minLength !== undefined) expect(s!.length).toBeGreaterThanOrEqual(limits.minLength);
      if (limits.maxLength !== undefined) expect(s!.length).toBeLessThanOrEqual(limits.maxLength);
      expect(s!.length).toBeLessThan(80);
    }
  });

  // A run of 8 cannot reach a minLength of 16 or fill an ARN of 70–75 characters; runs grow to minLength.
  it.each([
    ['^st-[a-zA-Z0-9]+$', 16, 16], // amazonaws.com/ivs-realtime sessionId
    ['^arn:aws:appsync:[A-Za-z0-9_/.-]{0,63}:\\d{12}:apis/[0-9A-Za-z_-]{26}$', 70, 75], // amazonaws.com/appsync resourceArn
  ] as const)('reaches the minLength of %s in most draws', (pattern, minLength, maxLength) => {
    const rng = new Rng(11);
    const drawn = Array.from({ length: 50 }, () => patternString({ pattern, minLength, maxLength }, rng));
    const found = drawn.filter((s): s is string => s !== null);
    expect(found.length).toBeGreaterThanOrEqual(35);
    for (const s of found)
      expect(s.length >= minLength && s.length <= maxLength && new RegExp(pattern).test(s)).toBe(true);
  });

  it('is deterministic for a seed', () => {
    const a = patternString({ pattern: '^[a-z]{3}-\\d{4}$' }, new Rng(3));
    const b = patternString({ pattern: '^[a-z]{3}-\\d{4}$' }, new Rng(3));
    expect(a).toBe(b);
  });

  it('gives null for a pattern JavaScript cannot compile', () => {
    expect(patternString({ pattern: '(?<=' }, new Rng(1))).toBeNull();
  });
});

describe('numeric fitting', () => {
  it('reads OpenAPI 3.0 boolean and 2020-12 numeric exclusive bounds', () => {
    expect(numericBounds({ minimum: 0, exclusiveMinimum: true as unknown as number }, true)).toEqual({
      lo: 1,
    });
    expect(numericBounds({ exclusiveMaximum: 10 }, true)).toEqual({ hi: 9 });
  });

  it('moves a number into range and onto the multipleOf grid', () => {
    expect(fitNumber({ minimum: 5, maximum: 8 }, 300, true)).toBe(8);
    expect(fitNumber({ minimum: 0, multipleOf: 15 }, 50, true)).toBe(45);
    expect(fitNumber({ minimum: 0.5, maximum: 1 }, 0.1, false)).toBe(0.5);
  });
});
