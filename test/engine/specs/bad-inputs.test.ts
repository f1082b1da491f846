/**
 * The bad-input corpus: everything a user can get wrong when adding a spec yields its
 * coded error and leaves the store byte for byte as it was. The CLI exit codes are checked for a sample of
 * these in test/cli/spec.test.ts; here the facade is called directly to keep the suite fast.
 */
import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSpec, openEngine, type Engine } from '../../../src/engine/index.js';
import { loadSpecSource } from '../../../src/engine/specs/ingest.js';

const EXAMPLES = path.resolve(import.meta.dirname, '../../../examples');

const info = { title: 'Bad', version: '1' };
const ok = { responses: { '200': { description: 'ok' } } };
const json = (doc: unknown) => JSON.stringify(doc);
const v31 = (extra: object) => json({ openapi: '3.1.0', info, ...extra });
const bodyRef = (ref: string) =>
  v31({
    paths: {
      '/a': { post: { ...ok, requestBody: { content: { 'application/json': { schema: { $ref: ref } } } } } },
    },
  });

/** A YAML billion-laughs: 9 levels of 9 aliases each would expand to 9^9 strings. */
function aliasBomb(): string {
  const lines = ['openapi: 3.1.0', 'a0: &a0 ["lol"]'];
  for (let i = 1; i < 10; i++)
    lines.push(
      `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  return lines.join('\n') + '\n';
}

/** [case, file content, expected code]; content null means "no file is written" (the path is used as is). */
const FILE_CASES: [string, string | Buffer, string][] = [
  ['invalid JSON', '{"openapi": "3.1.0", "info": ', 'spec_parse_error'],
  ['JSON with a trailing comma', '{"openapi": "3.1.0",}', 'spec_parse_error'],
  ['invalid YAML (indentation)', 'openapi: 3.1.0\ninfo:\n  title: x\n version: 1\n', 'spec_parse_error'],
  ['invalid YAML (unclosed flow)', 'openapi: 3.1.0\ntags: [a, b\n', 'spec_parse_error'],
  ['YAML duplicate keys', 'openapi: 3.1.0\nopenapi: 3.0.0\n', 'spec_parse_error'],
  ['YAML anchor inside itself', 'openapi: 3.1.0\na: &a [*a]\n', 'spec_parse_error'],
  ['YAML alias bomb', aliasBomb(), 'spec_yaml_aliases'],
  ['empty file', '', 'spec_empty'],
  ['whitespace only', '  \n\n\t\n', 'spec_empty'],
  ['YAML scalar', 'just some text\n', 'spec_not_openapi'],
  ['JSON array', '[{"openapi": "3.1.0"}]', 'spec_not_openapi'],
  ['no version field', json({ info, paths: { '/a': { get: ok } } }), 'spec_version_missing'],
  ['openapi 4.0.0', json({ openapi: '4.0.0', info, paths: {} }), 'spec_version_unsupported'],
  [
    'openapi as a number',
    'openapi: 3.1\ninfo: {title: x, version: "1"}\npaths: {}\n',
    'spec_version_unsupported',
  ],
  ['swagger 1.2', json({ swagger: '1.2', info, paths: {} }), 'spec_version_unsupported'],
  [
    'swagger and openapi both',
    json({ swagger: '2.0', openapi: '3.0.0', info, paths: {} }),
    'spec_version_unsupported',
  ],
  ['3.0 without paths', json({ openapi: '3.0.3', info }), 'spec_invalid'],
  ['no info', json({ openapi: '3.0.3', paths: { '/a': { get: ok } } }), 'spec_invalid'],
  [
    'parameter without "in"',
    v31({ paths: { '/a': { get: { ...ok, parameters: [{ name: 'q' }] } } } }),
    'spec_invalid',
  ],
  [
    'unknown schema type',
    json({
      openapi: '3.0.3',
      info,
      paths: {
        '/a': { get: { ...ok, parameters: [{ name: 'q', in: 'query', schema: { type: 'strin' } }] } },
      },
    }),
    'spec_invalid',
  ],
  [
    'Swagger 2.0 with a bad body',
    json({ swagger: '2.0', info, paths: { '/a': { get: { responses: 7 } } } }),
    'spec_invalid',
  ],
  ['3.1 without paths', v31({ webhooks: {} }), 'spec_no_operations'],
  ['empty paths', v31({ paths: {} }), 'spec_no_operations'],
  ['paths without methods', v31({ paths: { '/a': { summary: 'nothing here' } } }), 'spec_no_operations'],
  ['external $ref (file) in a body', bodyRef('./schemas.yaml#/Pet'), 'spec_external_ref'],
  ['external $ref (URL) in a body', bodyRef('https://example.com/s.json#/Pet'), 'spec_external_ref'],
  [
    'external $ref for a parameter',
    v31({ paths: { '/a': { get: { ...ok, parameters: [{ $ref: 'params.yaml#/Q' }] } } } }),
    'spec_external_ref',
  ],
  ['external $ref for a path item', v31({ paths: { '/a': { $ref: 'paths.yaml#/a' } } }), 'spec_external_ref'],
  ['missing local $ref', bodyRef('#/components/schemas/Nope'), 'spec_ref_unresolved'],
  ['malformed local $ref', bodyRef('#components/schemas/A'), 'spec_ref_unresolved'],
  [
    'circular $ref with nothing in between',
    json({
      openapi: '3.1.0',
      info,
      paths: {
        '/a': {
          post: {
            ...ok,
            requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/A' } } } },
          },
        },
      },
      components: {
        schemas: { A: { $ref: '#/components/schemas/B' }, B: { $ref: '#/components/schemas/A' } },
      },
    }),
    'spec_ref_cycle',
  ],
  [
    'parameter $ref pointing at itself',
    v31({
      paths: { '/a': { get: { ...ok, parameters: [{ $ref: '#/components/parameters/P' }] } } },
      components: { parameters: { P: { $ref: '#/components/parameters/P' } } },
    }),
    'spec_ref_cycle',
  ],
  [
    'duplicate operationIds',
    v31({
      paths: { '/a': { get: { ...ok, operationId: 'same' } }, '/b': { get: { ...ok, operationId: 'same' } } },
    }),
    'spec_duplicate_operation_id',
  ],
  [
    'binary file',
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]),
    'spec_binary',
  ],
  [
    'Latin-1 text',
    Buffer.from('openapi: 3.1.0\ninfo: {title: "caf\xe9", version: "1"}\n', 'latin1'),
    'spec_binary',
  ],
];

let dir: string;
let engine: Engine;
let server: Server;
let base: string;

/** sha256 of every file under the data dir, keyed by relative path. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    out[path.relative(root, full)] = createHash('sha256')
      .update(await readFile(full))
      .digest('hex');
  }
  return out;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'smolmap-bad-'));
  engine = await openEngine({
    dataDir: path.join(dir, 'data'),
    modelsDir: path.join(dir, 'models'),
    // The test server is on loopback, which only an operator's allowance opens.
    net: { allow: ['127.0.0.1'] },
  });
  await addSpec(engine, path.join(EXAMPLES, 'petstore.yaml'));
  await mkdir(path.join(dir, 'in'));
  server = createServer((req, res) => {
    if (req.url === '/huge.yaml') {
      // No content-length: the cap must hold while streaming.
      res.writeHead(200, { 'content-type': 'text/yaml' });
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      for (let i = 0; i < 11; i++) res.write(chunk);
      res.end();
    } else if (req.url === '/slow.yaml') {
      setTimeout(() => res.end('openapi: 3.1.0\n'), 3000).unref();
    } else {
      res.writeHead(404).end('not here');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function expectRefused(source: string, code: string, options: { name?: string } = {}): Promise<void> {
  const before = await snapshot(engine.dataDir);
  const err = await addSpec(engine, source, options).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, `${source} should be refused`).toMatchObject({ name: 'SmolmapError', code });
  expect(await snapshot(engine.dataDir)).toEqual(before);
}

describe('bad spec inputs: coded error, store unchanged', () => {
  it.each(FILE_CASES)('%s', async (label, content, code) => {
    const file = path.join(dir, 'in', label.replace(/\W+/g, '-') + '.spec');
    await writeFile(file, content);
    // Under the existing spec's name too: a bad new version must not touch the good one.
    await expectRefused(file, code, { name: 'petstore' });
  });

  it('a 20 MB file', async () => {
    const file = path.join(dir, 'in', 'big.yaml');
    await writeFile(file, 'openapi: 3.1.0\n' + '#'.repeat(20 * 1024 * 1024));
    await expectRefused(file, 'spec_too_large');
  });

  it('a missing file and a directory', async () => {
    await expectRefused(path.join(dir, 'in', 'nope.yaml'), 'spec_not_found');
    await expectRefused(path.join(dir, 'in'), 'spec_read_error');
  });

  it('URLs: non-http, unreachable, 404, too large', async () => {
    await expectRefused('ftp://example.com/openapi.yaml', 'spec_bad_url');
    await expectRefused('file:///etc/hostname', 'spec_bad_url');
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    await expectRefused('http://127.0.0.1:1/openapi.yaml', 'spec_fetch_failed');
    await expectRefused(`${base}/missing.yaml`, 'spec_fetch_failed');
    await expectRefused(`${base}/huge.yaml`, 'spec_too_large');
  });

  it('a URL on loopback, a private network or a metadata address, unless the operator allows it', async () => {
    const strict = await openEngine({
      dataDir: engine.dataDir,
      modelsDir: engine.modelsDir,
      net: { allow: [] },
    });
    for (const url of [
      `${base}/openapi.yaml`,
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/x.json',
    ]) {
      const before = await snapshot(engine.dataDir);
      await expect(addSpec(strict, url)).rejects.toMatchObject({ code: 'net_blocked_address' });
      expect(await snapshot(engine.dataDir)).toEqual(before);
    }
  });

  it('a URL that does not answer in time', async () => {
    const net = { allow: ['127.0.0.1'] };
    await expect(loadSpecSource(`${base}/slow.yaml`, { timeoutMs: 200, net })).rejects.toMatchObject({
      code: 'spec_fetch_timeout',
    });
  });

  it('a bad spec name', async () => {
    await expectRefused(path.join(EXAMPLES, 'deepl.yaml'), 'spec_bad_name', { name: 'Not A Name' });
    await expectRefused(path.join(EXAMPLES, 'deepl.yaml'), 'spec_bad_name', { name: '../escape' });
  });

  it('has at least 30 cases', () => {
    expect(FILE_CASES.length + 10).toBeGreaterThanOrEqual(30);
  });
});
