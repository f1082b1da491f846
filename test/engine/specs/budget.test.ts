import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { addSpec, listSpecs, openEngine, SmolmapError, type Engine } from '../../../src/engine/index.js';
import { ingestSpecText } from '../../../src/engine/specs/ingest.js';
import { SPEC_LIMITS } from '../../../src/engine/specs/budget.js';

const ok = { responses: { '200': { description: 'ok' } } };
const doc = (paths: Record<string, unknown>, components: Record<string, unknown> = {}) => ({
  openapi: '3.1.0',
  info: { title: 'Blow-up', version: '1' },
  paths,
  components,
});

/** `ops` operations whose bodies all use one `$ref` tree `depth` levels deep with `fan` children per node. */
function sharedTreeSpec(ops: number, depth: number, fan: number): string {
  const schemas: Record<string, unknown> = {};
  for (let level = 0; level < depth; level++) {
    const child = level + 1 < depth ? { $ref: `#/components/schemas/L${level + 1}` } : { type: 'string' };
    schemas[`L${level}`] = {
      type: 'object',
      properties: Object.fromEntries(Array.from({ length: fan }, (_, i) => [`p${i}`, child])),
    };
  }
  const paths: Record<string, unknown> = {};
  for (let i = 0; i < ops; i++)
    paths[`/r${i}`] = {
      post: {
        ...ok,
        operationId: `op${i}`,
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/L0' } } } },
      },
    };
  return JSON.stringify(doc(paths, { schemas }));
}

/** One anchored path item (its body `width` properties wide) aliased as `ops` paths. */
function aliasFanOutSpec(ops: number, width: number): string {
  const properties = Object.fromEntries(
    Array.from({ length: width }, (_, i) => [`f${i}`, { type: 'string' }]),
  );
  const item = {
    post: {
      ...ok,
      requestBody: { content: { 'application/json': { schema: { type: 'object', properties } } } },
    },
  };
  const { components: _none, ...top } = doc({});
  const head = stringify(top).replace('paths: {}', 'paths:');
  const aliases = Array.from({ length: ops - 1 }, (_, i) => `  /r${i + 1}: *item`);
  return [head + `  /r0: &item ${JSON.stringify(item)}`, ...aliases].join('\n') + '\n';
}

function patternSpec(patterns: string[]): string {
  const parameters = patterns.map((pattern, i) => ({
    name: `q${i}`,
    in: 'query',
    schema: { type: 'string', pattern },
  }));
  return JSON.stringify(doc({ '/s': { get: { ...ok, operationId: 'search', parameters } } }));
}

async function refusal(text: string): Promise<SmolmapError> {
  const e = await ingestSpecText(text, 'blow-up').then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SmolmapError);
  return e as SmolmapError;
}

describe('spec budgets', () => {
  let engine: Engine | null = null;
  afterEach(async () => {
    await engine?.close();
    engine = null;
  });

  it('refuses many operations sharing one deep $ref tree, by the whole catalog, storing nothing', async () => {
    const text = sharedTreeSpec(300, 4, 8);
    expect(text.length).toBeLessThan(64 * 1024);
    const e = await refusal(text);
    expect(e.code).toBe('spec_too_large');
    expect(e.message).toContain('catalogNodes');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'smolmap-budget-'));
    const file = path.join(dir, 'blow.json');
    await (await import('node:fs/promises')).writeFile(file, text);
    engine = await openEngine({ dataDir: path.join(dir, 'data'), modelsDir: path.join(dir, 'models') });
    await expect(addSpec(engine, file)).rejects.toMatchObject({ code: 'spec_too_large' });
    expect(await listSpecs(engine)).toEqual([]);
    const specsDir = await readdir(path.join(dir, 'data', 'specs')).catch(() => []);
    expect(specsDir).toEqual([]);
  }, 60_000);

  it('accepts the same tree under fewer operations', async () => {
    const { catalog } = await ingestSpecText(sharedTreeSpec(10, 4, 8), 'fits');
    expect(catalog.operations).toHaveLength(10);
  }, 30_000);

  it('refuses a YAML alias fanned out over many operations', async () => {
    const text = aliasFanOutSpec(900, 400);
    expect(text.length).toBeLessThan(64 * 1024);
    const e = await refusal(text);
    expect(e.code).toBe('spec_too_large');
    expect(e.details).toMatchObject({ limit: expect.stringMatching(/^catalog(Nodes|Bytes)$/) });
  }, 60_000);

  it('refuses patterns whose grammar multiplies out, one by one and in total', async () => {
    const nested = await refusal(patternSpec(['((a{64}){64}){64}']));
    expect(nested.code).toBe('spec_pattern_unsupported');
    const wide = await refusal(patternSpec(['(x{1,30}y{1,30}z{1,30}){30}']));
    expect(wide.code).toBe('spec_too_large');
    expect(wide.message).toContain('patternStates');
    const each = '(x{1,30}y{1,30}){30}'; // about 3,700 states: under the one-pattern limit
    const many = Array.from({ length: Math.ceil(SPEC_LIMITS.specPatternStates / 3_000) }, () => each);
    const total = await refusal(patternSpec(many));
    expect(total.message).toContain('specPatternStates');
    const { catalog } = await ingestSpecText(patternSpec([each, '^[a-z0-9-]{1,64}$']), 'fits');
    expect(catalog.operations[0]?.parameters).toHaveLength(2);
  }, 60_000);

  it('keeps a spec whose pattern a linear-time engine cannot run, without that pattern and with a warning', async () => {
    const { catalog, warnings } = await ingestSpecText(patternSpec(['^(?=.*\\d)\\w+$', '^[a-z]+$']), 'look');
    const patterns = catalog.operations[0]!.parameters.map((p) => p.schema.pattern);
    expect(patterns).toEqual([undefined, '^[a-z]+$']);
    expect(warnings.join('\n')).toMatch(/pattern "\^\(\?=\.\*\\\\d\)\\\\w\+\$" is not enforced/);
    expect(catalog.warnings).toEqual(warnings);
  }, 30_000);
});
