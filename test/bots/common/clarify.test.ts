/** Reading a chat reply as the values an answer asked for (a table of replies and what they give). */
import { describe, expect, it } from 'vitest';
import { answersFrom, type Awaiting, stillOpen } from '../../../src/bots/common/clarify.js';
import type { Need } from '../../../src/engine/index.js';

const pet: Need = { in: 'path', name: 'petId', question: 'Which pet id?' };
const user: Need = { in: 'path', name: 'username', question: 'Which username?' };
const status: Need = { in: 'query', name: 'status', question: 'Which status?' };

describe('answersFrom', () => {
  it.each([
    ['42', [pet], { 'path:petId': '42' }],
    ['Rex, the big dog', [pet], { 'path:petId': 'Rex, the big dog' }],
    ['petId: 42', [pet], { 'path:petId': '42' }],
    ['PETID = 42', [pet], { 'path:petId': '42' }],
    ['jdoe, sold', [user, status], { 'path:username': 'jdoe', 'query:status': 'sold' }],
    ['status: sold\njdoe', [user, status], { 'path:username': 'jdoe', 'query:status': 'sold' }],
    ['status=sold', [user, status], { 'query:status': 'sold' }],
    [
      'username: a long name with many words in it',
      [user],
      { 'path:username': 'a long name with many words in it' },
    ],
  ])('%j for %j', (reply, needs, values) => {
    expect(answersFrom(reply, needs as Need[])?.values).toEqual(values);
  });

  it('says whether the reply named its questions', () => {
    expect(answersFrom('petId: 42', [pet])?.named).toBe(true);
    expect(answersFrom('42', [pet])?.named).toBe(false);
  });

  it('reads a long reply without named values as a new task', () => {
    expect(answersFrom('list every pet that was sold in the shop', [pet])).toBeNull();
    expect(answersFrom('   ', [pet])).toBeNull();
  });
});

describe('stillOpen', () => {
  it('lists the questions no value answers yet', () => {
    const a: Awaiting = { queryId: 'q', needs: [user, status], values: { 'path:username': 'jdoe' } };
    expect(stillOpen(a)).toEqual([status]);
    expect(stillOpen({ ...a, values: { ...a.values, 'query:status': ' ' } })).toEqual([status]);
  });
});
