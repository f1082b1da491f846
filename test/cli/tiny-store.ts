/** A data and models folder with the seeded tiny Llama imported as `tiny` and a two-operation spec `notes`. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { writeTinyModel } from '../../src/engine/model/tiny.js';
import { runInProcess } from './run-cli.js';

/** Two operations: the untrained prompt lists them, and it fits the tiny model's 512-token context. */
export const NOTES_SPEC = {
  openapi: '3.0.3',
  info: { title: 'Tiny Notes', version: '1.0' },
  servers: [{ url: 'http://localhost:1' }],
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
};

export interface TinyStore {
  root: string;
  /** `--data-dir … --models-dir …` for this store. */
  dirs: string[];
}

export async function tinyStore(prefix: string, options: { model?: boolean } = {}): Promise<TinyStore> {
  const root = mkdtempSync(path.join(os.tmpdir(), `smolmap-${prefix}-`));
  const dirs = ['--data-dir', path.join(root, 'data'), '--models-dir', path.join(root, 'models')];
  writeFileSync(path.join(root, 'notes.json'), JSON.stringify(NOTES_SPEC));
  const spec = await runInProcess(['spec', 'add', path.join(root, 'notes.json'), '--name', 'notes', ...dirs]);
  if (spec.code !== 0) throw new Error(spec.stderr);
  if (options.model !== false) {
    await writeTinyModel(path.join(root, 'tiny-src'), { seed: 1, layout: 'hf' });
    const m = await runInProcess(['model', 'import', path.join(root, 'tiny-src'), '--name', 'tiny', ...dirs]);
    if (m.code !== 0) throw new Error(m.stderr);
  }
  return { root, dirs };
}
