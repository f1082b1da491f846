import { describe, expect, it } from 'vitest';
import { SmolmapError, internal, toSmolmapError } from '../../src/engine/errors.js';

describe('SmolmapError', () => {
  it('prints one line starting with its code', () => {
    const e = new SmolmapError('spec_not_found', 'no spec named "pets";\n run `smolmap spec list`');
    expect(e.toLine()).toBe('spec_not_found: no spec named "pets"; run `smolmap spec list`');
  });
  it('keeps the cause and marks internal errors', () => {
    const cause = new Error('boom');
    const e = internal('graph has a dangling value', cause);
    expect(e.code).toBe('internal');
    expect(e.message.startsWith('internal:')).toBe(true);
    expect(e.cause).toBe(cause);
    expect(toSmolmapError(e)).toBe(e);
    expect(toSmolmapError(new Error('x'), 'io_error').code).toBe('io_error');
  });
});
