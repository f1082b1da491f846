/**
 * Spec ingest speed: parse + validate + catalog for the example specs, and for synthetic specs with many
 * operations sharing recursive and allOf schemas (the shape of large real specs). Prints figures only.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ingestSpecText } from '../src/engine/specs/ingest.js';

const EXAMPLES = path.resolve(import.meta.dirname, '../examples');

function synthetic(operations: number): string {
  const schemas: Record<string, unknown> = {
    Node: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        children: { type: 'array', items: { $ref: '#/components/schemas/Node' } },
      },
    },
    Base: {
      type: 'object',
      properties: { id: { type: 'string' }, created: { type: 'string', format: 'date-time' } },
    },
  };
  const paths: Record<string, unknown> = {};
  for (let i = 0; i < operations / 2; i++) {
    schemas[`Item${i}`] = {
      allOf: [
        { $ref: '#/components/schemas/Base' },
        {
          type: 'object',
          properties: { name: { type: 'string' }, tree: { $ref: '#/components/schemas/Node' } },
        },
      ],
    };
    const body = { content: { 'application/json': { schema: { $ref: `#/components/schemas/Item${i}` } } } };
    const ok = { responses: { '200': { description: 'ok' } } };
    paths[`/items${i}/{id}`] = {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: {
        ...ok,
        operationId: `getItem${i}`,
        parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer' } }],
      },
      put: { ...ok, operationId: `putItem${i}`, requestBody: body },
    };
  }
  return JSON.stringify({
    openapi: '3.1.0',
    info: { title: 'bench', version: '1' },
    paths,
    components: { schemas },
  });
}

async function time(label: string, text: string, runs: number): Promise<void> {
  const ms: number[] = [];
  let ops = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    ops = (await ingestSpecText(text, label)).catalog.operations.length;
    ms.push(performance.now() - t);
  }
  const first = ms[0]!;
  const rest = ms.slice(1).sort((a, b) => a - b);
  const median = rest[Math.floor(rest.length / 2)] ?? first;
  console.log(
    `${label.padEnd(22)} ${(text.length / 1024).toFixed(0).padStart(6)} KB  ${String(ops).padStart(5)} ops  ` +
      `first ${first.toFixed(0).padStart(6)} ms  median of next ${rest.length}: ${median.toFixed(0).padStart(5)} ms`,
  );
}

console.log(
  `load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${os.cpus().length} cores`,
);
for (const file of ['alertmanager.yaml', 'deepl.yaml', 'petstore.yaml'])
  await time(file, await readFile(path.join(EXAMPLES, file), 'utf8'), 5);
for (const n of [200, 2000]) await time(`synthetic-${n}`, synthetic(n), 3);
