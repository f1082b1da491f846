import { describe, expect, it } from 'vitest';
import { ingestSpecText } from '../../../src/engine/specs/ingest.js';

const op = {
  get: { operationId: 'listThings', responses: { '200': { description: 'OK' } } },
};

describe('ingest of specs with schema errors outside the operations', () => {
  it('keeps a spec whose only errors are in info or a stray top-level key, with warnings', async () => {
    // The shape of directory specs refused before: a termsOfService that is not a URI, an unknown top-level key.
    const doc = {
      openapi: '3.0.0',
      info: { title: 'Things', version: '1', termsOfService: 'see our website' },
      'stray-key': true,
      paths: { '/things': op },
    };
    const { catalog, warnings } = await ingestSpecText(JSON.stringify(doc), 'things.json');
    expect(catalog.operations).toHaveLength(1);
    expect(warnings.length).toBeGreaterThan(0);
    expect(catalog.warnings).toEqual(warnings);
    expect(warnings.join(' ')).toMatch(/termsOfService|stray-key/);
  });

  it('keeps a spec whose only errors inside paths are in responses (as gambitcomm mimic links)', async () => {
    const doc = {
      openapi: '3.0.0',
      info: { title: 'Links', version: '1' },
      paths: {
        '/things': {
          get: {
            operationId: 'getThing',
            responses: {
              '200': { description: 'OK', links: { next: { operationRef: 'not a uri ref {{' } } },
            },
          },
        },
      },
    };
    const { catalog, warnings } = await ingestSpecText(JSON.stringify(doc), 'links.json');
    expect(catalog.operations).toHaveLength(1);
    expect(warnings.join(' ')).toMatch(/responses/);
  });

  it('still refuses a spec whose operation is malformed', async () => {
    const doc = {
      openapi: '3.0.0',
      info: { title: 'Broken', version: '1' },
      paths: { '/things': { get: { operationId: 'x', responses: 'none' } } },
    };
    await expect(ingestSpecText(JSON.stringify(doc), 'broken.json')).rejects.toMatchObject({
      code: 'spec_invalid',
    });
  });

  it('says so when a spec describes only webhooks', async () => {
    const doc = {
      openapi: '3.1.0',
      info: { title: 'Hooks', version: '1' },
      webhooks: { newThing: { post: { responses: { '200': { description: 'OK' } } } } },
    };
    await expect(ingestSpecText(JSON.stringify(doc), 'hooks.json')).rejects.toMatchObject({
      code: 'spec_webhooks_only',
      message: expect.stringMatching(/only webhooks \(newThing\)/),
    });
  });
});
