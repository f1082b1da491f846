/**
 * Hostile specs for bench/abuse.ts: generated, seeded blow-ups of every kind the spec budgets guard against —
 * a `$ref` tree shared by many operations, a YAML alias fanned out, `$ref` chains, huge enums, patterns whose
 * repeats multiply out, and backtracking patterns (with a long value validated against each accepted one). Each
 * spec is added through the facade; a refused one must leave the store as it was.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { addSpec, getSpec, toSmolmapError, validateCall, type Engine } from '../src/engine/index.js';

interface HostileSpec {
  kind: string;
  text: string;
  /** A query value to validate against the accepted spec's `q` parameter (the backtracking probe). */
  probe?: string;
}

const ok = { responses: { '200': { description: 'ok' } } };
const doc = (paths: Record<string, unknown>, components: Record<string, unknown> = {}) => ({
  openapi: '3.0.3',
  info: { title: 'hostile', version: '1' },
  paths,
  components,
});

/** `ops` operations sharing a `$ref` tree `depth` levels deep and `fan` properties wide. */
function refTree(ops: number, depth: number, fan: number): string {
  const schemas: Record<string, unknown> = {};
  for (let level = 0; level < depth; level++) {
    const child = level + 1 < depth ? { $ref: `#/components/schemas/L${level + 1}` } : { type: 'string' };
    schemas[`L${level}`] = {
      type: 'object',
      properties: Object.fromEntries(Array.from({ length: fan }, (_, i) => [`p${i}`, child])),
    };
  }
  const body = { content: { 'application/json': { schema: { $ref: '#/components/schemas/L0' } } } };
  const paths = Object.fromEntries(
    Array.from({ length: ops }, (_, i) => [
      `/r${i}`,
      { post: { ...ok, operationId: `op${i}`, requestBody: body } },
    ]),
  );
  return JSON.stringify(doc(paths, { schemas }));
}

/** One anchored path item aliased as `ops` paths. */
function aliasFanOut(ops: number, width: number): string {
  const properties = Object.fromEntries(
    Array.from({ length: width }, (_, i) => [`f${i}`, { type: 'string' }]),
  );
  const item = {
    post: { ...ok, requestBody: { content: { 'application/json': { schema: { properties } } } } },
  };
  const head = stringify({ openapi: '3.0.3', info: { title: 'hostile', version: '1' } });
  const aliases = Array.from({ length: ops - 1 }, (_, i) => `  /r${i + 1}: *item`);
  return [head + `paths:\n  /r0: &item ${JSON.stringify(item)}`, ...aliases].join('\n') + '\n';
}

/** A chain of `length` schemas, each a `$ref` to the next. */
function refChain(length: number): string {
  const schemas = Object.fromEntries(
    Array.from({ length }, (_, i) => [
      `C${i}`,
      i + 1 < length ? { $ref: `#/components/schemas/C${i + 1}` } : { type: 'string' },
    ]),
  );
  const parameters = [{ name: 'q', in: 'query', schema: { $ref: '#/components/schemas/C0' } }];
  return JSON.stringify(doc({ '/c': { get: { ...ok, operationId: 'chain', parameters } } }, { schemas }));
}

function queryParam(schema: Record<string, unknown>): string {
  const parameters = [{ name: 'q', in: 'query', schema }];
  return JSON.stringify(doc({ '/s': { get: { ...ok, operationId: 'search', parameters } } }));
}

/** 200 specs, 40 of each of five kinds, sizes spread by `i`. */
export function hostileSpecs(): HostileSpec[] {
  const out: HostileSpec[] = [];
  for (let i = 0; i < 40; i++) {
    out.push({ kind: 'ref tree', text: refTree(50 + 10 * i, 4, 6 + (i % 4)) });
    out.push({ kind: 'alias fan-out', text: aliasFanOut(200 + 20 * i, 100 + 10 * i) });
    out.push({ kind: 'ref chain', text: refChain(20 + 25 * i) });
    const size = 2_000 + 5_000 * i;
    out.push({
      kind: 'huge enum',
      text: queryParam({ type: 'string', enum: Array.from({ length: size }, (_, k) => `v${k}`) }),
    });
    const evil = [
      `((a{${8 + i}}){${8 + i}}){${8 + i}}`,
      '^(a+)+$',
      '^(a|aa)+$',
      '^(?=.*\\d)(a+)+$',
      `^([a-z]+\\d*){1,${10 + i}}$`,
    ][i % 5]!;
    out.push({
      kind: 'evil pattern',
      text: queryParam({ type: 'string', pattern: evil }),
      probe: 'a'.repeat(40) + '!',
    });
  }
  return out;
}

async function storeHash(dataDir: string): Promise<string> {
  const text = await readFile(path.join(dataDir, 'smolmap.json')).catch(() => Buffer.from(''));
  return createHash('sha256').update(text).digest('hex');
}

/** Adds every hostile spec; tallies `kind → code` (or `kind → accepted`), and any refusal that changed the store. */
export async function addHostileSpecs(
  engine: Engine,
  dir: string,
  tally: (key: string) => void,
): Promise<string[]> {
  const notes: string[] = [];
  let slowest = 0;
  let changedOnRefusal = 0;
  for (const [i, spec] of hostileSpecs().entries()) {
    const file = path.join(dir, `hostile-${i}.${spec.kind === 'alias fan-out' ? 'yaml' : 'json'}`);
    await writeFile(file, spec.text);
    const before = await storeHash(engine.dataDir);
    try {
      await addSpec(engine, file, { name: `hostile-${i}` });
      tally(`${spec.kind} → accepted`);
      if (spec.probe) {
        const { catalog } = await getSpec(engine, `hostile-${i}`);
        const t0 = performance.now();
        const call = { operationId: 'search', method: 'GET' as const, path: '/s', url: '/s' };
        validateCall({ ...call, pathParams: {}, query: { q: spec.probe }, headers: {}, body: null }, catalog);
        slowest = Math.max(slowest, performance.now() - t0);
      }
    } catch (e) {
      tally(`${spec.kind} → ${toSmolmapError(e).code}`);
      if ((await storeHash(engine.dataDir)) !== before) changedOnRefusal++;
    }
  }
  notes.push(`refused specs that changed the store: ${changedOnRefusal}`);
  notes.push(
    `slowest validation of a 41-character value against an accepted pattern: ${slowest.toFixed(1)} ms`,
  );
  return notes;
}
