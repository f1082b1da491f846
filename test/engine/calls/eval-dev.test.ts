import { describe, expect, it } from 'vitest';
import { validateCall, type ApiCall } from '../../../src/engine/calls.js';
import { DEV_SPECS, devCatalog, devTasks } from '../infer/grammar-helpers.js';

describe.each(DEV_SPECS)('validateCall on eval-dev %s', (name, file) => {
  it('accepts every expected call and flags an unknown parameter added to it', async () => {
    const catalog = await devCatalog(file);
    for (const { expected } of devTasks(name)) {
      const call: ApiCall = { ...expected, headers: {}, url: '' };
      expect(validateCall(call, catalog)).toEqual([]);
      expect(
        validateCall({ ...call, query: { ...call.query, notAParameter: 'x' } }, catalog).map((i) => i.code),
      ).toEqual(['unknown_parameter']);
    }
  });
});
