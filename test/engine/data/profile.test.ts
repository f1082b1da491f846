import { describe, expect, it } from 'vitest';
import { profileOperation } from '../../../src/engine/data/profile.js';
import { loadSpecFile } from '../../../src/engine/specs/ingest.js';
import { fixtureSpec } from '../../fixtures/paths.js';

const ops = new Map<string, Awaited<ReturnType<typeof loadSpecFile>>['catalog']['operations'][number]>();
for (const f of ['firecrawl.json', 'train-travel.yaml', 'alertmanager.yaml', 'deepl.yaml'])
  for (const op of (await loadSpecFile(fixtureSpec(f))).catalog.operations) ops.set(op.operationId, op);

describe('profileOperation', () => {
  it.each([
    ['get-stations', 'list', null],
    ['get-booking', 'get', null],
    ['delete-booking', 'delete', null],
    ['create-booking', 'create', null],
    ['cancelCrawl', 'cancel', null],
    ['getCrawlStatus', 'status', null],
    ['getStatus', 'get', null],
    ['scrapeAndExtractFromUrl', 'action', 'scrape'],
    ['translateText', 'action', 'translate'],
    ['getGlossaryEntries', 'get', null],
  ])('%s is %s', (id, kind, verb) => {
    const p = profileOperation(ops.get(id)!, 'Some API');
    expect(p.kind).toBe(kind);
    expect(p.verb).toBe(verb);
    expect(p.nouns.length).toBeGreaterThan(0);
  });

  it('names path resources from the path, the parameter name and its description', () => {
    expect(profileOperation(ops.get('get-booking')!).resources['bookingId']).toContain('booking');
    expect(profileOperation(ops.get('getBatchScrapeErrors')!).resources['id']).toEqual(
      expect.arrayContaining(['batch scrape', 'batch scrape job']),
    );
    expect(profileOperation(ops.get('getBatchScrapeErrors')!).sub).toBe('errors');
    // A parameter named only by an id word ("Sid") is the resource of its path segment, never "sid".
    const plan = {
      method: 'DELETE',
      path: '/v1/RatePlans/{Sid}',
      operationId: 'DeleteRatePlan',
      tags: [],
      parameters: [{ name: 'Sid', in: 'path', required: true, schema: { type: 'string' } }],
    } as unknown as Parameters<typeof profileOperation>[0];
    expect(profileOperation(plan).resources['Sid']).toEqual(['rate plan']);
    expect(profileOperation(ops.get('getStatus')!, 'Alertmanager API').nouns).toContain(
      'alertmanager status',
    );
  });
});
