/**
 * Small specs written for the tests (a ferry booking API and a site-export API), the repo's example specs, and
 * tasks generated from them: the infer tests' own material, so no test depends on a test set's sentences.
 */
import type { ExpectedCall } from '../../../src/engine/calls.js';
import { generateDataset } from '../../../src/engine/data/generate.js';
import { ingestSpecText, loadSpecFile } from '../../../src/engine/specs/ingest.js';
import type { Catalog } from '../../../src/engine/specs/types.js';

const uuid = (description: string, required = true) => ({
  required,
  description,
  schema: { type: 'string', format: 'uuid' },
});
const flag = (name: string, description: string) => ({
  name,
  in: 'query',
  description,
  schema: { type: 'boolean', default: false },
});

/** Sailings between ports (flags for bicycles and dogs, a page and a count), bookings and their payment. */
export const FERRY_SPEC = {
  openapi: '3.0.3',
  info: { title: 'Harbour Ferries', version: '1.0.0' },
  servers: [{ url: 'https://ferries.example.com/v1' }],
  paths: {
    '/sailings': {
      get: {
        operationId: 'listSailings',
        summary: 'Search sailings between two ports',
        parameters: [
          {
            name: 'page',
            in: 'query',
            description: 'Page of results',
            schema: { type: 'integer', minimum: 1 },
          },
          {
            name: 'limit',
            in: 'query',
            description: 'Maximum number of sailings to return',
            schema: { type: 'integer', minimum: 1, maximum: 100 },
          },
          { name: 'origin', in: 'query', ...uuid('Port the sailing leaves from') },
          { name: 'destination', in: 'query', ...uuid('Port the sailing arrives at') },
          {
            name: 'date',
            in: 'query',
            required: true,
            description: 'Earliest departure',
            schema: { type: 'string', format: 'date-time' },
          },
          flag('bicycles', 'Only sailings that carry bicycles'),
          flag('dogs', 'Only sailings that allow dogs'),
        ],
        responses: { '200': { description: 'Sailings' } },
      },
    },
    '/bookings': {
      get: {
        operationId: 'listBookings',
        summary: 'List your bookings',
        responses: { '200': { description: 'Bookings' } },
      },
      post: {
        operationId: 'createBooking',
        summary: 'Book a seat on a sailing',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['sailing_id'],
                properties: {
                  sailing_id: { type: 'string', format: 'uuid', description: 'The sailing to book' },
                  passenger_name: { type: 'string', description: 'Name of the passenger' },
                  has_bicycle: { type: 'boolean', description: 'The passenger brings a bicycle' },
                  has_dog: { type: 'boolean', description: 'The passenger brings a dog' },
                },
              },
            },
          },
        },
        responses: { '201': { description: 'Booked' } },
      },
    },
    '/bookings/{bookingId}': {
      get: {
        operationId: 'getBooking',
        summary: 'Show one booking',
        parameters: [{ name: 'bookingId', in: 'path', ...uuid('The booking') }],
        responses: { '200': { description: 'The booking' } },
      },
    },
    '/bookings/{bookingId}/payment': {
      post: {
        operationId: 'payBooking',
        summary: 'Pay for a booking',
        parameters: [{ name: 'bookingId', in: 'path', ...uuid('The booking') }],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['amount', 'currency'],
                properties: {
                  amount: { type: 'number', description: 'Amount to pay' },
                  currency: { type: 'string', enum: ['EUR', 'GBP', 'USD'], description: 'Currency' },
                },
              },
            },
          },
        },
        responses: { '200': { description: 'Paid' } },
      },
    },
  },
};

const exportId = [{ name: 'id', in: 'path', ...uuid('The export job') }];

/** Exports of a website: a link map, export jobs with a status, their errors, and a list of active ones. */
export const SITE_SPEC = {
  openapi: '3.0.3',
  info: { title: 'Site Export', version: '2.0.0' },
  servers: [{ url: 'https://export.example.com' }],
  paths: {
    '/links': {
      post: {
        operationId: 'mapLinks',
        summary: 'List the links of a website',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['url'],
                properties: {
                  url: { type: 'string', format: 'uri', description: 'The website to map' },
                  search: { type: 'string', description: 'Only links related to this search term' },
                  sitemapOnly: { type: 'boolean', description: 'Use the sitemap alone' },
                  limit: { type: 'integer', description: 'Maximum number of links to return' },
                },
              },
            },
          },
        },
        responses: { '200': { description: 'Links' } },
      },
    },
    '/exports': {
      post: {
        operationId: 'startExport',
        summary: 'Start an export of a website',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['url'],
                properties: { url: { type: 'string', format: 'uri', description: 'The website to export' } },
              },
            },
          },
        },
        responses: { '200': { description: 'Started' } },
      },
    },
    '/exports/running': {
      get: {
        operationId: 'listRunningExports',
        summary: 'List the running exports',
        responses: { '200': { description: 'Running exports' } },
      },
    },
    '/exports/{id}': {
      get: {
        operationId: 'getExportStatus',
        summary: 'Get the status of an export',
        parameters: exportId,
        responses: { '200': { description: 'Status' } },
      },
      delete: {
        operationId: 'cancelExport',
        summary: 'Cancel an export',
        parameters: exportId,
        responses: { '200': { description: 'Cancelled' } },
      },
    },
    '/exports/{id}/failures': {
      get: {
        operationId: 'getExportFailures',
        summary: 'Get the failures of an export',
        parameters: exportId,
        responses: { '200': { description: 'Failures' } },
      },
    },
  },
};

const built = new Map<string, Promise<Catalog>>();

/** The catalog of one of this module's specs or of a spec file in the repo (`examples/…`), built once. */
export function ownCatalog(spec: 'ferry' | 'site' | string): Promise<Catalog> {
  let c = built.get(spec);
  if (!c) {
    const inline = spec === 'ferry' ? FERRY_SPEC : spec === 'site' ? SITE_SPEC : null;
    c = (inline === null ? loadSpecFile(spec) : ingestSpecText(JSON.stringify(inline), `${spec}.json`)).then(
      (s) => s.catalog,
    );
    built.set(spec, c);
  }
  return c;
}

/** The specs the data-wide checks walk: the two written here and the repo's examples. */
export const OWN_SPECS = [
  'ferry',
  'site',
  'examples/petstore.yaml',
  'examples/alertmanager.yaml',
  'examples/deepl.yaml',
];

/** `n` generated tasks of a catalog (seeded), as task-file lines. */
export function ownTasks(catalog: Catalog, n: number, seed = 11): { task: string; expected: ExpectedCall }[] {
  return generateDataset(catalog, { count: Math.max(n, 20), seed })
    .examples.slice(0, n)
    .map(({ task, expected }) => ({ task, expected }));
}
