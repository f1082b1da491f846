/**
 * The output grammar's string formats on real spec fields: values a user pastes must be writable. firecrawl's
 * `POST /scrape` body `url` is `format: uri`.
 */
import { describe, expect, it } from 'vitest';

import { isCompleteTarget } from '../../../../src/engine/infer/grammar/target.js';
import { devCatalog } from '../grammar-helpers.js';

const scrape = (url: string): string => `{"op":"POST /scrape","body":{"url":${JSON.stringify(url)}}}`;

describe('uri format', () => {
  it('accepts hosts with inner hyphens, subdomains and ports', async () => {
    const catalog = await devCatalog('firecrawl.json');
    for (const url of [
      'https://example.com',
      'https://my-site.example.com/pricing',
      'http://docs.acme-corp.io:8080/a/b?x=1',
      'https://a-b-c.co.uk',
    ]) {
      expect(isCompleteTarget(catalog, scrape(url)), url).toBe(true);
    }
  });

  it('refuses hosts a URL cannot have', async () => {
    const catalog = await devCatalog('firecrawl.json');
    for (const url of [
      'https://-site.com',
      'https://site-.com',
      'https://exa mple.com',
      'ftp://example.com',
      'https://example.com:',
    ]) {
      expect(isCompleteTarget(catalog, scrape(url)), url).toBe(false);
    }
  });
});
