import { describe, expect, it } from 'vitest';

import { groundedCatalog, needsUuid } from '../../../src/engine/infer/grounding.js';
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
