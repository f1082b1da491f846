import { describe, expect, it } from 'vitest';

import { callGrammar } from '../../../../src/engine/infer/grammar/call-grammar.js';
import {
  groundedCatalog,
  needsUuid,
  ruledOutSiblings,
  taskPrior,
} from '../../../../src/engine/infer/processors/index.js';
import { applyMask } from '../../../../src/engine/infer/sample.js';
import { withinOneEdit } from '../../../../src/engine/language/lexicon.js';
import type { Catalog, Operation } from '../../../../src/engine/specs/types.js';
import { maskIds, runBias, smolTokenizer } from '../grammar-helpers.js';
import { ownCatalog } from '../own-specs.js';

const ids = (c: Catalog): string[] => c.operations.map((o) => `${o.method} ${o.path}`);

/** An operation with required path parameters, enough for the catalog filters. */
const op = (method: string, path: string, params: { name: string; schema: object }[]): Operation =>
  ({
    method,
    path,
    operationId: `${method}${path}`,
    parameters: params.map((p) => ({ ...p, in: 'path', required: true })),
  }) as unknown as Operation;
const DEEPL = 'examples/deepl.yaml';

describe('groundedCatalog', () => {
  it('drops the operations that need a UUID path parameter when the task holds none', async () => {
    const catalog = await ownCatalog('site');
    const idless = groundedCatalog(catalog, 'wich exports are stil runing?');
    expect(ids(idless)).toContain('GET /exports/running');
    expect(ids(idless)).toContain('POST /exports');
    expect(ids(idless)).not.toContain('GET /exports/{id}');
    expect(ids(idless)).not.toContain('DELETE /exports/{id}');
    expect(idless.operations.some(needsUuid)).toBe(false);
    expect(catalog.operations.filter(needsUuid).length + idless.operations.length).toBe(
      catalog.operations.length,
    );
    // The same filtered object every time: its grammar is built once (call-grammar.ts caches per catalog).
    expect(groundedCatalog(catalog, 'list the running exports')).toBe(idless);
  });

  it('drops the read of one item beside its listing when the task holds no id-like value', async () => {
    const spec: Catalog = {
      ...(await ownCatalog('site')),
      operations: [
        op('GET', '/sims', []),
        op('GET', '/sims/{Sid}', [{ name: 'Sid', schema: { type: 'string' } }]),
        op('POST', '/sims/{Sid}', [{ name: 'Sid', schema: { type: 'string' } }]),
        op('GET', '/sims/{SimSid}/usage', [{ name: 'SimSid', schema: { type: 'string' } }]),
        op('GET', '/plans/{name}', [{ name: 'name', schema: { type: 'string' } }]),
        op('GET', '/plans', []),
        op('GET', '/regions/{regionId}', [
          { name: 'regionId', schema: { type: 'string', enum: ['ON', 'QC'] } },
        ]),
        op('GET', '/regions', []),
      ],
    };
    const kept = ids(groundedCatalog(spec, 'all the suspended SIM cards'));
    // The reads of one sim and of its usage go; the update stays (an update is asked for), and a name is no id parameter.
    // An enum path value is said by name ("holidays in Ontario"), so its reads stay too.
    expect(kept).toEqual([
      'GET /sims',
      'POST /sims/{Sid}',
      'GET /plans/{name}',
      'GET /plans',
      'GET /regions/{regionId}',
      'GET /regions',
    ]);
    expect(ids(groundedCatalog(spec, 'show sim DE12ab34'))).toHaveLength(8);
    expect(ids(groundedCatalog(spec, 'sim number 7'))).toHaveLength(8);
  });

  it('keeps every operation when the task holds a UUID, in either case', async () => {
    const catalog = await ownCatalog('site');
    expect(groundedCatalog(catalog, `Is export ${ID} done yet?`)).toBe(catalog);
    expect(groundedCatalog(catalog, `export ${ID.toUpperCase()} status`)).toBe(catalog);
    // A near-UUID (one digit short) is not one.
    expect(groundedCatalog(catalog, `export ${ID.slice(0, -1)} status`)).not.toBe(catalog);
  });

  it('keeps the catalog when every operation needs an id (nothing better to choose) or none does', async () => {
    const catalog = await ownCatalog('site');
    const onlyIds: Catalog = { ...catalog, operations: catalog.operations.filter(needsUuid) };
    expect(onlyIds.operations.length).toBeGreaterThan(2);
    expect(groundedCatalog(onlyIds, 'show the export')).toBe(onlyIds);
    const noIds: Catalog = { ...catalog, operations: catalog.operations.filter((o) => !needsUuid(o)) };
    expect(groundedCatalog(noIds, 'show the export')).toBe(noIds);
  });
});

describe('sibling filter', () => {
  const out = async (spec: string, task: string): Promise<string[]> =>
    ruledOutSiblings(await ownCatalog(spec), task).map((o) => `${o.method} ${o.path}`);

  it('rules out the siblings of the sub-resource the task names, typos within one edit included', async () => {
    const failures = await out('site', `what were the failurs of export ${ID}`);
    expect(failures).toContain('GET /exports/{id}');
    expect(failures).not.toContain('GET /exports/{id}/failures');
    // Other methods and other first segments stay: the model still chooses those.
    expect(failures).not.toContain('DELETE /exports/{id}');
    expect(failures).not.toContain('POST /exports');
    const status = await out('site', `Where does export ${ID} stand, what status?`);
    expect(status).toContain('GET /exports/{id}/failures');
    expect(status).not.toContain('GET /exports/{id}');
    const entries = await out(DEEPL, `print the entires in glosary ${ID}`);
    expect(entries).toContain('GET /glossaries/{glossary_id}');
    expect(entries).not.toContain('GET /glossaries/{glossary_id}/entries');
    expect(entries).not.toContain('DELETE /glossaries/{glossary_id}');
  });

  it('leaves a family whole when no member, or more than one, has the most distinguishing words', async () => {
    // "export" is shared by the whole family: nothing tells them apart.
    expect(await out('site', `look at export ${ID}`)).toEqual([]);
    // Status and failures both named: a tie.
    const tie = await out('site', `status and failures of export ${ID}`);
    expect(tie).not.toContain('GET /exports/{id}');
    expect(tie).not.toContain('GET /exports/{id}/failures');
    // Quoted text is a value and a negated word is not asked for.
    expect(await out('site', `export ${ID} with the note "no failures please"`)).toEqual([]);
    const omitting = await out(DEEPL, `Show what glossary ${ID} is, without its entries`);
    expect(omitting).not.toContain('GET /glossaries/{glossary_id}');
  });

  it('masks, while the operation is written, the tokens that lead only to ruled-out operations', async () => {
    const catalog = await ownCatalog(DEEPL);
    const tok = await smolTokenizer();
    const task = `print the entires in glosary ${ID}`;
    const m = callGrammar(catalog, tok).matcher({ copyFrom: task });
    for (const id of tok.encode('{"op":"GET /glossaries/{glossary_id', { addSpecialTokens: false }))
      m.accept(id);
    const mask = (t: string) =>
      taskPrior(catalog, tok, t, () => m.text(), { keyBias: 0, ruledOut: ruledOutSiblings(catalog, t) });
    const hook = mask(task)!;
    const row = new Float32Array(tok.vocabSize);
    applyMask(row, m.allowed());
    const before = maskIds(m.allowed());
    runBias(hook, row);
    const text = (id: number): string => new TextDecoder().decode(tok.tokenBytes(id));
    const left = before.filter((id) => row[id] !== -Infinity).map(text);
    const gone = before.filter((id) => row[id] === -Infinity).map(text);
    expect(left.length).toBeGreaterThan(0);
    for (const t of left) expect('}/entries"'.startsWith(t) || t.startsWith('}/entries"')).toBe(true);
    expect(gone.some((t) => t.startsWith('}"'))).toBe(true);
    // After the operation, and for tasks that rule nothing out, the hook does nothing or does not exist.
    expect(mask(`look at glossary ${ID}`)).toBeNull();
  });

  it('measures edits as one insertion, deletion, substitution or swap', () => {
    expect(withinOneEdit('eror', 'error')).toBe(true);
    expect(withinOneEdit('glosary', 'glossary')).toBe(true);
    expect(withinOneEdit('sttaus', 'status')).toBe(true);
    expect(withinOneEdit('statsu', 'status')).toBe(true);
    expect(withinOneEdit('stat', 'status')).toBe(false);
    expect(withinOneEdit('entry', 'entri')).toBe(true);
    expect(withinOneEdit('abcd', 'dcba')).toBe(false);
  });
});

const ID = '5e2d8a61-93c4-4f0b-b7a2-61d0c9e4f3a8';
