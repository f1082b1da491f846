/**
 * A temporary engine holding the tiny reference model ('tiny') and its PEFT adapter stored as model 'tt-a' of
 * spec 'tt' — the set-up the export tests (engine and CLI) share.
 */
import { cp, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';

import { importModel, openEngine, type Engine } from '../../../src/engine/index.js';
import { REF } from '../model/tiny-ref.js';

export async function engineWithTinyAdapter(
  prefix: string,
  logger?: Logger,
): Promise<{ dir: string; engine: Engine }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  const engine = await openEngine({
    dataDir: path.join(dir, 'data'),
    modelsDir: path.join(dir, 'models'),
    ...(logger ? { logger } : {}),
  });
  await importModel(engine, `${REF}/model`, { name: 'tiny' });
  await cp(`${REF}/adapter`, path.join(dir, 'models', 'adapters', 'tt-a'), { recursive: true });
  await engine.store.update((d) => {
    d.models.push({
      id: 'tt-a',
      spec: { name: 'tt', version: 1 },
      baseModel: 'tiny',
      datasetId: null,
      dir: 'adapters/tt-a',
      lora: { r: 4, alpha: 8, dropout: 0, targets: ['q_proj'] },
      metrics: null,
      lossHistory: [],
      status: 'ready',
      active: true,
      jobId: null,
      createdAt: new Date().toISOString(),
    });
  });
  return { dir, engine };
}
