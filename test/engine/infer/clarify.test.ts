/**
 * Don't invent: ask. The missing-value check on calls written by hand, then the tiny random Llama through
 * mapTask and the facade's ask / evaluate on a spec written here: an unstated required value becomes a question.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ApiCall } from '../../../src/engine/calls.js';
import {
  addSpec,
  ask,
  evaluate,
  importModel,
  missingValues,
  openEngine,
  releaseRuntimes,
  unstatedOptionals,
  withoutNeeds,
  type Engine,
} from '../../../src/engine/index.js';
import { ingestSpecText } from '../../../src/engine/specs/ingest.js';
import type { Catalog } from '../../../src/engine/specs/types.js';
import { REF } from '../model/tiny-ref.js';

const SPEC = {
  openapi: '3.0.3',
  info: { title: 'Help desk', version: '1' },
  servers: [{ url: 'https://desk.example.com' }],
  paths: {
    '/accounts/{username}': {
      get: {
        operationId: 'getAccount',
        summary: 'Show an account',
        parameters: [
          {
            name: 'username',
            in: 'path',
            required: true,
            description: 'Login name.',
            schema: { type: 'string' },
          },
          {
            name: 'region',
            in: 'query',
            required: true,
            schema: { type: 'string', enum: ['eu', 'us'], default: 'eu' },
          },
        ],
        responses: { '200': { description: 'The account' } },
      },
    },
    '/tickets/{ticketId}': {
      get: {
        operationId: 'getTicket',
        summary: 'Show a ticket',
        parameters: [
          {
            name: 'ticketId',
            in: 'path',
            required: true,
            description: 'The ticket.',
            schema: { type: 'integer' },
          },
        ],
        responses: { '200': { description: 'The ticket' } },
      },
    },
    '/tickets': {
      post: {
        operationId: 'openTicket',
        summary: 'Open a ticket',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['email', 'priority'],
                properties: {
                  email: {
                    type: 'string',
                    format: 'email',
                    description: 'Where replies go.',
                    example: 'someone@example.com',
                  },
                  priority: { type: 'string', enum: ['low', 'high'] },
                  note: { type: 'string' },
                },
              },
            },
          },
        },
        responses: { '201': { description: 'Opened' } },
      },
    },
  },
};

let catalog: Catalog;
beforeAll(async () => {
  catalog = (await ingestSpecText(JSON.stringify(SPEC), 'desk.json')).catalog;
});

const call = (c: Partial<ApiCall> & Pick<ApiCall, 'method' | 'path'>): ApiCall => ({
  operationId: null,
  pathParams: {},
  query: {},
  headers: {},
  body: null,
  url: '',
  ...c,
});
const names = (task: string, c: ApiCall): string[] =>
  missingValues(task, c, catalog).map((n) => `${n.in}.${n.name}`);

describe('missingValues', () => {
  it('asks for a required value the task never states, and for nothing the task or the spec gives', () => {
    const account = (username: string, region = 'eu') =>
      call({ method: 'GET', path: '/accounts/{username}', pathParams: { username }, query: { region } });
    expect(names('show the account of botfan12', account('botfan12'))).toEqual([]);
    expect(names('show my account', account('user1'))).toEqual(['path.username']);
    // A value cut from inside a longer word was not told: "user77" of "olduser77", "d" of "delete".
    expect(names('show the account of olduser77', account('user77'))).toEqual(['path.username']);
    expect(names('delete my account', account('d'))).toEqual(['path.username']);
    // A word naming the operation itself (its verb or resource) is no id: "show the account" has none.
    expect(names('show the account', account('account'))).toEqual(['path.username']);
    expect(names('show the account of alice', account('alice'))).toEqual([]);
    // The spec's default is the operation's, not the task's; another value must be said.
    expect(names('account botfan12 in the us', account('botfan12', 'us'))).toEqual([]);
    expect(names('account botfan12', account('botfan12', 'us'))).toEqual(['query.region']);
    const ticket = (body: unknown) => call({ method: 'POST', path: '/tickets', body });
    // A spec's example is no value the user gave; an enum value said as a word is.
    expect(
      names(
        'open an urgent ticket, priority high',
        ticket({ email: 'someone@example.com', priority: 'high' }),
      ),
    ).toEqual(['body.email']);
    expect(
      names(
        'ticket for kim@desk.example.org, low priority',
        ticket({ email: 'kim@desk.example.org', priority: 'low' }),
      ),
    ).toEqual([]);
    expect(
      names(
        'show ticket 1024',
        call({ method: 'GET', path: '/tickets/{ticketId}', pathParams: { ticketId: '1024' } }),
      ),
    ).toEqual([]);
  });

  it('writes one question per value, from the field and its description, and takes the value out of the call', () => {
    const c = call({ method: 'GET', path: '/tickets/{ticketId}', pathParams: { ticketId: '7' } });
    const needs = missingValues('show my ticket', c, catalog);
    expect(needs).toEqual([{ in: 'path', name: 'ticketId', question: 'Which ticket id? (The ticket)' }]);
    const have = withoutNeeds(c, needs, catalog);
    expect(have.pathParams).toEqual({});
    expect(have.url).toBe('https://desk.example.com/tickets/{ticketId}');
  });
});

describe('unstatedOptionals', () => {
  const optional = (task: string, c: ApiCall): string[] =>
    unstatedOptionals(task, c, catalog).map((n) => `${n.in}.${n.name}`);
  const ticket = (body: unknown) => call({ method: 'POST', path: '/tickets', body });

  it('finds the optional values the task never states, and keeps the ones it does', () => {
    const guessed = { email: 'kim@desk.example.org', priority: 'low', note: 'Printer on fire' };
    expect(optional('ticket for kim@desk.example.org, low priority', ticket(guessed))).toEqual(['body.note']);
    expect(
      optional('ticket for kim@desk.example.org, low priority, note "Printer on fire"', ticket(guessed)),
    ).toEqual([]);
    // Required values are the question's business (missingValues), never dropped here.
    expect(optional('a ticket please', ticket({ email: 'someone@example.com', priority: 'high' }))).toEqual(
      [],
    );
  });

  it('takes them out of the call', () => {
    const c = ticket({ email: 'kim@desk.example.org', priority: 'low', note: 'guess' });
    const out = withoutNeeds(
      c,
      unstatedOptionals('ticket for kim@desk.example.org, low', c, catalog),
      catalog,
    );
    expect(out.body).toEqual({ email: 'kim@desk.example.org', priority: 'low' });
  });
});

describe('ask and eval on the tiny model', () => {
  let dir: string;
  let engine: Engine;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'smolmap-clarify-'));
    engine = await openEngine({ dataDir: path.join(dir, 'data'), modelsDir: path.join(dir, 'models') });
    await importModel(engine, `${REF}/model`, { name: 'tiny' });
    const file = path.join(dir, 'desk.json');
    await writeFile(
      file,
      JSON.stringify({ ...SPEC, paths: { '/tickets/{ticketId}': SPEC.paths['/tickets/{ticketId}'] } }),
    );
    await addSpec(engine, file, { name: 'desk' });
  });
  afterAll(async () => {
    await releaseRuntimes();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers a task without the id with a question instead of an invented id', async () => {
    const r = await ask(engine, { spec: 'desk', task: 'show my ticket please' });
    expect(r.needs.map((n) => `${n.in}.${n.name}`)).toEqual(['path.ticketId']);
    expect(r.pathParams).toEqual({});
    expect(r.url).toContain('{ticketId}');
    expect(r.output).toMatch(/"ticketId":-?\d/); // the model did write an id: the one taken out
  }, 60_000);

  it('eval scores the question right when the expected call lacks that value, and a miss otherwise', async () => {
    const tasks = path.join(dir, 'tasks.jsonl');
    const line = (task: string, pathParams: Record<string, string>) =>
      JSON.stringify({
        task,
        expected: {
          method: 'GET',
          path: '/tickets/{ticketId}',
          operationId: 'getTicket',
          pathParams,
          query: {},
          body: null,
        },
      });
    await writeFile(
      tasks,
      [line('show my ticket please', {}), line('show my ticket please', { ticketId: '7' })].join('\n'),
    );
    const e = await evaluate(engine, { spec: 'desk', tasks, maxTokens: 32 });
    expect(e.n).toBe(2);
    expect(e.exactMatch).toBe(0.5);
    expect(e.failures.map((f) => f.asked)).toEqual([['path.ticketId']]);
  }, 60_000);
});
