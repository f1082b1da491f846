/** Shared fixtures for the MCP tests: temp data dirs, the example petstore, a tiny local spec. */
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

export const PETSTORE = readFileSync(new URL('../../examples/petstore.yaml', import.meta.url), 'utf8');

/** A two-operation spec whose server is `base` (e.g. a local test server). */
export function tinySpec(base: string): string {
  return JSON.stringify({
    openapi: '3.0.3',
    info: { title: 'Tiny Notes', version: '1.0' },
    servers: [{ url: base }],
    components: { securitySchemes: { key: { type: 'apiKey', in: 'header', name: 'X-Api-Key' } } },
    security: [{ key: [] }],
    paths: {
      '/notes/{id}': {
        get: {
          operationId: 'getNote',
          summary: 'Get one note',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
          responses: { '200': { description: 'ok' } },
        },
      },
      '/notes': {
        post: {
          operationId: 'addNote',
          summary: 'Add a note',
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: { type: 'object', required: ['text'], properties: { text: { type: 'string' } } },
              },
            },
          },
          responses: { '201': { description: 'created' } },
        },
      },
    },
  });
}

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `smolmap-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function text(result: unknown): string {
  const r = result as CallToolResult;
  const first = r.content[0];
  return first && first.type === 'text' ? first.text : '';
}

export function structured<T = Record<string, unknown>>(result: unknown): T {
  return (result as CallToolResult).structuredContent as T;
}
