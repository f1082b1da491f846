/**
 * The value processors and the key evidence of stated values, on a small spec written here: a usage report with
 * a date range, a granularity enum and paging, and an asset register whose body labels its values.
 */
import { describe, expect, it } from 'vitest';

import type { AllowedLogits } from '../../../../src/engine/infer/decode.js';
import { callGrammar } from '../../../../src/engine/infer/grammar/call-grammar.js';
import { taskPrior } from '../../../../src/engine/infer/processors/index.js';
import { applyMask } from '../../../../src/engine/infer/sample.js';
import { ingestSpecText } from '../../../../src/engine/specs/ingest.js';
import type { Catalog } from '../../../../src/engine/specs/types.js';
import { maskIds, runBias, smolTokenizer } from '../grammar-helpers.js';

const query = (name: string, schema: object) => ({ name, in: 'query', schema });

const SPEC = {
  openapi: '3.0.3',
  info: { title: 'Fleet', version: '1' },
  servers: [{ url: 'https://fleet.example.com' }],
  paths: {
    '/usage': {
      get: {
        operationId: 'listUsage',
        summary: 'List usage records',
        parameters: [
          query('End', { type: 'string', format: 'date-time' }),
          query('Start', { type: 'string', format: 'date-time' }),
          query('Granularity', { type: 'string', enum: ['hourly', 'daily', 'all'] }),
          query('PageSize', { type: 'integer' }),
          query('Page', { type: 'integer' }),
          query('PageToken', { type: 'string' }),
        ],
        responses: { '200': { description: 'Usage' } },
      },
    },
    '/assets': {
      post: {
        operationId: 'createAsset',
        summary: 'Register an asset',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['assetName'],
                properties: {
                  assetName: { type: 'string' },
                  assetStatus: { type: 'string', enum: ['Draft', 'Registered', 'Disposed'] },
                  purchasePrice: { type: 'number' },
                  serialNumber: { type: 'string', example: '9876' },
                },
              },
            },
          },
        },
        responses: { '201': { description: 'Created' } },
      },
    },
  },
};

let catalog: Promise<Catalog> | undefined;
const fleet = (): Promise<Catalog> =>
  (catalog ??= ingestSpecText(JSON.stringify(SPEC), 'fleet.json').then((s) => s.catalog));

/** The processors of `task` after the answer `prefix`, run on a flat row (10 at `top` when given). */
async function at(task: string, prefix: string, knobs = { keyBias: 3, valueBias: 6 }) {
  const [cat, tok] = await Promise.all([fleet(), smolTokenizer()]);
  const m = callGrammar(cat, tok).matcher({ copyFrom: task });
  for (const id of tok.encode(prefix, { addSpecialTokens: false })) m.accept(id);
  const prior = taskPrior(cat, tok, task, () => m.text(), knobs)!;
  const text = (id: number): string => new TextDecoder().decode(tok.tokenBytes(id));
  return (top?: string): { raised: Map<string, number>; lowered: Map<string, number> } => {
    const row = new Float32Array(tok.vocabSize);
    applyMask(row, m.allowed());
    if (top !== undefined) {
      const id = maskIds(m.allowed()).find((i) => text(i) === top);
      if (id === undefined) throw new Error(`"${top}" is not allowed here`);
      row[id] = 10;
    }
    const before = Float32Array.from(row);
    runBias(prior as (allowed: AllowedLogits) => void, row);
    const moved = (sign: number): Map<string, number> =>
      new Map(
        [...row.keys()]
          .filter((i) => Math.sign(row[i]! - before[i]!) === sign)
          .map((i) => [text(i), row[i]! - before[i]!]),
      );
    return { raised: moved(1), lowered: moved(-1) };
  };
}

const RANGE = 'hourly usage from 2024-03-01T00:00:00Z to 2024-03-02T00:00:00Z';

describe('dates of a range', () => {
  it("gives the range's last date to the end key and its first to the start key", async () => {
    const end = await at(RANGE, '{"op":"GET /usage","query":{"End":"2024-03-0');
    const { raised, lowered } = end();
    expect([...raised.keys()].some((t) => t.startsWith('2'))).toBe(true);
    expect([...lowered.keys()].some((t) => t.startsWith('1'))).toBe(true);
    for (const t of raised.keys()) expect(t.startsWith('1')).toBe(false);
    const start = await at(RANGE, '{"op":"GET /usage","query":{"Start":"2024-03-0');
    expect([...start().raised.keys()]).toEqual(['1']);
  });

  it('raises the end key before the start key is written, so the range is not cut to one date', async () => {
    const { raised, lowered } = (await at(RANGE, '{"op":"GET /usage","query":{"'))('Start');
    expect([...raised.keys()].some((t) => 'End"'.startsWith(t))).toBe(true);
    expect(lowered.get('Start')).toBeLessThan(0);
  });
});

describe('key evidence', () => {
  it('is not silenced by a token that may begin a key nothing backs as well as others', async () => {
    // Heading for "Page" (PageSize, Page, PageToken: none backed, no number stated), the stated granularity
    // is still raised against them.
    const step = await at(
      RANGE,
      '{"op":"GET /usage","query":{"End":"2024-03-02T00:00:00Z","Start":"2024-03-01T00:00:00Z","',
    );
    const { raised } = step('Page');
    expect([...raised.keys()].some((t) => 'Granularity"'.startsWith(t))).toBe(true);
  });

  it('weighs a key whose enum value the task states by the value knob, a key it only names by the key knob', async () => {
    const prefix = '{"op":"POST /assets","body":{"assetName":"Forklift"';
    const stated = (await at('register the Forklift as a draft asset', prefix))();
    const named = (await at('register the Forklift, set its status', prefix))();
    const comma = (m: Map<string, number>): number =>
      Math.max(...[...m].filter(([t]) => t.startsWith(',')).map(([, d]) => d));
    expect(comma(stated.raised)).toBe(6);
    expect(comma(named.raised)).toBe(3);
  });
});

describe('ending a copy for the next key', () => {
  it('is not pushed while the task carries the copy on without a break', async () => {
    const task = 'register a draft asset named Fork.lift';
    const mid = (await at(task, '{"op":"POST /assets","body":{"assetName":"Fork'))();
    expect([...mid.raised.keys()].some((t) => t.startsWith('",'))).toBe(false);
    const end = (await at(task, '{"op":"POST /assets","body":{"assetName":"Fork.lift'))();
    expect([...end.raised.keys()].some((t) => t.startsWith('",'))).toBe(true);
  });
});

describe('values labelled by a key name', () => {
  const TASK = 'create a draft asset named Forklift with serial SN-88213';
  const PREFIX = '{"op":"POST /assets","body":{"assetName":"Forklift","assetStatus":"Draft","serialNumber":"';

  it('raises the labelled value and lowers copies that begin inside its word', async () => {
    const { raised, lowered } = (await at(TASK, PREFIX))();
    expect(raised.has('SN')).toBe(true);
    for (const t of raised.keys()) expect('SN-88213"'.startsWith(t)).toBe(true);
    expect(lowered.has('8')).toBe(true); // "88213" of "SN-88213" would be cut at its front
  });

  it('keeps the key open while its labelled value is unused', async () => {
    const open = (
      await at(TASK, '{"op":"POST /assets","body":{"assetName":"Forklift","assetStatus":"Draft"')
    )();
    expect([...open.raised.keys()].some((t) => t.startsWith(','))).toBe(true);
    const done = (await at(TASK, `${PREFIX}SN-88213"`))();
    expect([...done.raised.keys()].some((t) => t.startsWith(','))).toBe(false);
  });
});
