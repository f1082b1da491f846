import { describe, expect, it } from 'vitest';

import { callGrammar } from '../../../src/engine/infer/grammar/call-grammar.js';
import {
  groundedCatalog,
  needsUuid,
  ruledOutSiblings,
  siblingMask,
} from '../../../src/engine/infer/grounding.js';
import { applyMask } from '../../../src/engine/infer/sample.js';
import { withinOneEdit } from '../../../src/engine/data/words.js';
import type { Catalog } from '../../../src/engine/specs/types.js';
import { devCatalog, maskIds, runBias, smolTokenizer } from './grammar-helpers.js';

const ids = (c: Catalog): string[] => c.operations.map((o) => `${o.method} ${o.path}`);

describe('groundedCatalog', () => {
  it('drops the operations that need a UUID path parameter when the task holds none', async () => {
    const catalog = await devCatalog('firecrawl.json');
    const idless = groundedCatalog(catalog, 'whcih crawls are runing right now?');
    expect(ids(idless)).toContain('GET /crawl/active');
    expect(ids(idless)).toContain('POST /crawl');
    expect(ids(idless)).not.toContain('GET /crawl/{id}');
    expect(ids(idless)).not.toContain('DELETE /batch/scrape/{id}');
    expect(idless.operations.some(needsUuid)).toBe(false);
    expect(catalog.operations.filter(needsUuid).length + idless.operations.length).toBe(
      catalog.operations.length,
    );
    // The same filtered object every time: its grammar is built once (call-grammar.ts caches per catalog).
    expect(groundedCatalog(catalog, 'list the active crawls')).toBe(idless);
  });

  it('keeps every operation when the task holds a UUID, in either case', async () => {
    const catalog = await devCatalog('firecrawl.json');
    expect(groundedCatalog(catalog, 'How is crawl 3c59dc04-8e2b-4e6d-b4a1-1f0e2d3c4b5a going?')).toBe(
      catalog,
    );
    expect(groundedCatalog(catalog, 'crawl 3C59DC04-8E2B-4E6D-B4A1-1F0E2D3C4B5A status')).toBe(catalog);
    // A near-UUID (one digit short) is not one.
    expect(groundedCatalog(catalog, 'crawl 3c59dc04-8e2b-4e6d-b4a1-1f0e2d3c4b5 status')).not.toBe(catalog);
  });

  it('keeps the catalog when every operation needs an id (nothing better to choose) or none does', async () => {
    const catalog = await devCatalog('firecrawl.json');
    const onlyIds: Catalog = { ...catalog, operations: catalog.operations.filter(needsUuid) };
    expect(onlyIds.operations.length).toBeGreaterThan(2);
    expect(groundedCatalog(onlyIds, 'show the crawl')).toBe(onlyIds);
    const noIds: Catalog = { ...catalog, operations: catalog.operations.filter((o) => !needsUuid(o)) };
    expect(groundedCatalog(noIds, 'show the crawl')).toBe(noIds);
  });
});

describe('sibling filter', () => {
  const uuid = 'c9f0f895-fb98-4b91-99f5-1e1c4b2e6a7d';
  const out = async (file: string, task: string): Promise<string[]> =>
    ruledOutSiblings(await devCatalog(file), task).map((o) => `${o.method} ${o.path}`);

  it('rules out the siblings of the sub-resource the task names, typos within one edit included', async () => {
    const errors = await out('firecrawl.json', `show erors for batch scrape ${uuid}`);
    expect(errors).toContain('GET /batch/scrape/{id}');
    expect(errors).not.toContain('GET /batch/scrape/{id}/errors');
    // Other methods and other first segments stay: the model still chooses those.
    expect(errors).not.toContain('DELETE /batch/scrape/{id}');
    expect(errors).not.toContain('POST /batch/scrape');
    const status = await out('firecrawl.json', `What's the status of batch scrape ${uuid}?`);
    expect(status).toContain('GET /batch/scrape/{id}/errors');
    expect(status).not.toContain('GET /batch/scrape/{id}');
    const entries = await out('deepl.yaml', `get teh entries of glosary ${uuid}`);
    expect(entries).toContain('GET /glossaries/{glossary_id}');
    expect(entries).not.toContain('GET /glossaries/{glossary_id}/entries');
    expect(entries).not.toContain('DELETE /glossaries/{glossary_id}');
  });

  it('leaves a family whole when no member, or more than one, has the most distinguishing words', async () => {
    // "batch scrape" is shared by the whole family: nothing tells them apart.
    expect(await out('firecrawl.json', `look at batch scrape ${uuid}`)).toEqual([]);
    // Status and errors both named: a tie.
    const tie = await out('firecrawl.json', `status and errors of batch scrape ${uuid}`);
    expect(tie).not.toContain('GET /batch/scrape/{id}');
    expect(tie).not.toContain('GET /batch/scrape/{id}/errors');
    // Quoted text is a value and a negated word is not asked for.
    expect(await out('firecrawl.json', `scrape with the prompt "list the errors" for batch ${uuid}`)).toEqual(
      [],
    );
    const omitting = await out(
      'deepl.yaml',
      `Retrieve meta information for glossary ${uuid}, omitting the entries`,
    );
    expect(omitting).not.toContain('GET /glossaries/{glossary_id}');
  });

  it('masks, while the operation is written, the tokens that lead only to ruled-out operations', async () => {
    const catalog = await devCatalog('deepl.yaml');
    const tok = await smolTokenizer();
    const task = `get teh entries of glosary ${uuid}`;
    const m = callGrammar(catalog, tok).matcher({ copyFrom: task });
    for (const id of tok.encode('{"op":"GET /glossaries/{glossary_id', { addSpecialTokens: false }))
      m.accept(id);
    const hook = siblingMask(catalog, tok, ruledOutSiblings(catalog, task), () => m.text())!;
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
    expect(
      siblingMask(catalog, tok, ruledOutSiblings(catalog, `look at glossary ${uuid}`), () => m.text()),
    ).toBeNull();
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
