import { describe, expect, it } from 'vitest';

import { taskEvidence } from '../../../src/engine/language/evidence.js';
import { cutAtStart, labelledValues } from '../../../src/engine/language/naming.js';

describe('cutAtStart', () => {
  it('tells a copy that would begin inside a word of the task', () => {
    expect(cutAtStart('log in as olduser77', 'user77')).toBe(true);
    expect(cutAtStart('serial SN-88213', '88213')).toBe(true);
    expect(cutAtStart('serial SN-88213', '8')).toBe(true);
    expect(cutAtStart('serial SN-88213', 'SN')).toBe(false);
    // One place where the copy begins a word is enough; text not in the task says nothing.
    expect(cutAtStart('user77 or olduser77', 'user77')).toBe(false);
    expect(cutAtStart('serial SN-88213', 'X')).toBe(false);
    expect(cutAtStart('tag #general', 'general')).toBe(false);
  });
});

describe('labelledValues', () => {
  it('gives a stated value to the keys whose name words stand right before it, the most words winning', () => {
    const task = 'asset named Forklift, number FA-0042, serial SN-88213, price 450';
    const out = labelledValues(task, taskEvidence(task).values, [
      'assetNumber',
      'serialNumber',
      'purchasePrice',
      'assetName',
    ]);
    expect(out.get('serialNumber')).toEqual(['FA-0042', 'SN-88213']);
    expect(out.get('assetNumber')).toEqual(['FA-0042']);
    expect(out.get('purchasePrice')).toEqual(['450']);
    expect(out.has('assetName')).toBe(false); // "Forklift" is no stated value kind (not quoted, no digit)
  });
});
