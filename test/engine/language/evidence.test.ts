import { describe, expect, it } from 'vitest';

import { statesValue, taskEvidence, type ValueKind } from '../../../src/engine/language/evidence.js';

const kinds = (task: string): [string, ValueKind, string | null][] =>
  taskEvidence(task).values.map((v) => [v.text, v.kind, v.role]);

describe('taskEvidence: stated values and their kinds', () => {
  it('reads ids, emails, links, dates, numbers, quoted text and identifier-like tokens whole', () => {
    expect(
      kinds(
        'log in as olduser77 with pa55!word, mail rosa91@example.org, see https://ex.example.com/a?b=1. ' +
          `Ship 2026-03-05T10:00:00Z, ref 3d9a7e10-b4c2-4e85-9f16-0a7b2c8d5e34, note "Leave at door."`,
      ),
    ).toEqual([
      ['olduser77', 'identifier', null],
      ['pa55!word', 'identifier', null],
      ['rosa91@example.org', 'email', null],
      ['https://ex.example.com/a?b=1', 'url', null],
      ['2026-03-05T10:00:00Z', 'date', null],
      ['3d9a7e10-b4c2-4e85-9f16-0a7b2c8d5e34', 'uuid', null],
      ['Leave at door.', 'quoted', null],
    ]);
  });

  it('takes no digits out of dates said with a month name, ids or expiries, and hyphenated words are words', () => {
    expect(kinds('between February 11, 2026 and 7 April, card expires 08/2029, full-page shot')).toEqual([
      ['2026-02-11', 'date', null], // said with its month's name and a year: the date itself
    ]);
    expect(kinds('bought on March 3rd 2024, or 1 June 2023; not 31 February 2024')).toEqual([
      ['2024-03-03', 'date', null],
      ['2023-06-01', 'date', null],
    ]);
    expect(kinds('pay 12.50 for 3 seats')).toEqual([
      ['12.50', 'number', null],
      ['3', 'number', null],
    ]);
  });
});

describe('taskEvidence: roles said by plain English', () => {
  it('tells a quantity from an item, a page from its size, a count from an offset', () => {
    expect(kinds('buy 3 of item 5521')).toEqual([
      ['3', 'number', 'quantity'],
      ['5521', 'number', 'item'],
    ]);
    expect(kinds('page 4, 10 per page')).toEqual([
      ['4', 'number', 'page'],
      ['10', 'number', 'pageSize'],
    ]);
    expect(kinds('show 10, skipping the first 20')).toEqual([
      ['10', 'number', null],
      ['20', 'number', 'offset'],
    ]);
    expect(kinds('the 10 latest messages')).toEqual([['10', 'number', 'count']]);
    expect(kinds('at most 25 links')).toEqual([['25', 'number', 'count']]);
  });

  it('reads numbers said as words, and an ordinal before "page" as the page', () => {
    expect(kinds('the drafts, 50 a page, second page')).toEqual([
      ['50', 'number', 'pageSize'],
      ['2', 'number', 'page'],
    ]);
    expect(kinds('first ten results, three of item 12')).toEqual([
      ['10', 'number', 'count'],
      ['3', 'number', 'quantity'],
      ['12', 'number', 'item'],
    ]);
    // "one" is too often no number, a number word without a role cue states nothing, and an ordinal names a
    // page only before "page".
    expect(kinds('the one with the second tag, or the two exports')).toEqual([]);
  });

  it('marks the two ends of a range', () => {
    expect(kinds('from 2026-03-01 through 2026-03-09')).toEqual([
      ['2026-03-01', 'date', 'start'],
      ['2026-03-09', 'date', 'end'],
    ]);
    expect(kinds('ids between 100 and 200')).toEqual([
      ['100', 'number', 'start'],
      ['200', 'number', 'end'],
    ]);
    // Two values with no range word between them are no range.
    expect(kinds('from 2026-03-01, ship 2026-03-09').map((v) => v[2])).toEqual([null, null]);
  });
});

describe('statesValue', () => {
  it('finds a value verbatim (case aside) or a number in another notation, and nothing else', () => {
    const e = taskEvidence('Pay 7.50 for order 18 as OLDUSER77');
    expect(statesValue(e, 'olduser77')).toBe(true);
    expect(statesValue(e, 18)).toBe(true);
    expect(statesValue(e, 7.5)).toBe(true);
    expect(statesValue(e, 'user1')).toBe(false);
    expect(statesValue(e, 19)).toBe(false);
    expect(statesValue(e, '')).toBe(false);
  });

  it('finds no number inside a date, an id or an identifier-like token', () => {
    const e = taskEvidence('usage of olduser77 from 2024-03-01T00:00:00Z, page three');
    expect(statesValue(e, 2024)).toBe(false);
    expect(statesValue(e, 77)).toBe(false);
    expect(statesValue(e, 3)).toBe(true);
    expect(statesValue(e, '2024')).toBe(true); // a string is found verbatim
  });
});
