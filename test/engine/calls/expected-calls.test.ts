import { describe, expect, it } from 'vitest';
import { validateCall, type ApiCall, type ExpectedCall } from '../../../src/engine/calls.js';
import type { Catalog } from '../../../src/engine/specs/types.js';
import { HELD_OUT_DIR, HELD_OUT_SKIP } from '../../fixtures/paths.js';
import { DEV_SPECS, devCatalog, devTasks, heldOutTasks } from '../infer/grammar-helpers.js';

function expectValid(expected: ExpectedCall, catalog: Catalog): void {
  const call: ApiCall = { ...expected, headers: {}, url: '' };
  expect(validateCall(call, catalog), JSON.stringify(expected)).toEqual([]);
  expect(
    validateCall({ ...call, query: { ...call.query, notAParameter: 'x' } }, catalog).map((i) => i.code),
  ).toEqual(['unknown_parameter']);
}

describe.each(DEV_SPECS)('validateCall on the fixture tasks of %s', (name, file) => {
  it('accepts every expected call and flags an unknown parameter added to it', async () => {
    const catalog = await devCatalog(file);
    const tasks = devTasks(name);
    expect(tasks.length).toBeGreaterThan(0);
    for (const { expected } of tasks) expectValid(expected, catalog);
  });
});

if (!HELD_OUT_DIR) console.log(`expected-calls.test: held-out tasks skipped; ${HELD_OUT_SKIP}`);
describe.skipIf(!HELD_OUT_DIR).each(DEV_SPECS)('validateCall on the held-out tasks of %s', (name, file) => {
  // The held-out set's spec files are byte-for-byte the fixture specs of the same name.
  it('accepts every expected call and flags an unknown parameter added to it', async () => {
    const catalog = await devCatalog(file);
    for (const { expected } of heldOutTasks(name)) expectValid(expected, catalog);
  });
});
