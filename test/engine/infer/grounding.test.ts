import { describe, expect, it } from 'vitest';

import {
  groundedCatalog,
  needsUuid,
  ruledOutSiblings,
  withinOneEdit,
} from '../../../src/engine/infer/grounding.js';
import type { Catalog } from '../../../src/engine/specs/types.js';
import { devCatalog } from './grammar-helpers.js';

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
    expect(groundedCatalog(catalog, 'crawl 3C59DC04-8E2B-4E6D-B4A1-1F0E2D3C4B5A state', false)).toBe(catalog);
    // A near-UUID (one digit short) is not one.
    expect(groundedCatalog(catalog, 'crawl 3c59dc04-8e2b-4e6d-b4a1-1f0e2d3c4b5 state', false)).not.toBe(
      catalog,
    );
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

  it('keeps the sub-resource the task names, typos within one edit included, and drops its siblings', async () => {
    const catalog = await devCatalog('firecrawl.json');
    const errors = ids(groundedCatalog(catalog, `show erors for batch scrape ${uuid}`));
    expect(errors).toContain('GET /batch/scrape/{id}/errors');
    expect(errors).not.toContain('GET /batch/scrape/{id}');
    // Other methods and other first segments stay: the model still chooses those.
    expect(errors).toContain('DELETE /batch/scrape/{id}');
    expect(errors).toContain('POST /batch/scrape');
    const status = ids(groundedCatalog(catalog, `What's the status of batch scrape ${uuid}?`));
    expect(status).toContain('GET /batch/scrape/{id}');
    expect(status).not.toContain('GET /batch/scrape/{id}/errors');
    const deepl = await devCatalog('deepl.yaml');
    const entries = ids(groundedCatalog(deepl, `get teh entries of glosary ${uuid}`));
    expect(entries).toContain('GET /glossaries/{glossary_id}/entries');
    expect(entries).not.toContain('GET /glossaries/{glossary_id}');
    expect(entries).toContain('DELETE /glossaries/{glossary_id}');
  });

  it('leaves a family whole when no member, or more than one, has the most distinguishing words', async () => {
    const catalog = await devCatalog('firecrawl.json');
    // "batch scrape" is shared by the whole family: nothing tells them apart.
    expect(ruledOutSiblings(catalog, `look at batch scrape ${uuid}`)).toEqual([]);
    // Status and errors both named: a tie.
    const tie = ruledOutSiblings(catalog, `status and errors of batch scrape ${uuid}`).map(
      (o) => `${o.method} ${o.path}`,
    );
    expect(tie).not.toContain('GET /batch/scrape/{id}');
    expect(tie).not.toContain('GET /batch/scrape/{id}/errors');
    expect(groundedCatalog(catalog, `look at batch scrape ${uuid}`)).toBe(catalog);
    // Quoted text is a value, not a request.
    expect(ruledOutSiblings(catalog, `scrape with the prompt "list the errors" for batch ${uuid}`)).toEqual(
      [],
    );
  });

  it('hands out one catalog object per set of dropped operations (the grammar is cached per object)', async () => {
    const catalog = await devCatalog('firecrawl.json');
    const a = groundedCatalog(catalog, `show erors for batch scrape ${uuid}`);
    expect(groundedCatalog(catalog, `list the errors of batch scrape ${uuid}`)).toBe(a);
    expect(groundedCatalog(catalog, `show erors for batch scrape ${uuid}`, false)).toBe(catalog);
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
