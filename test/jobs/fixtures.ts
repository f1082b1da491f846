/** A store with the petstore spec and the seeded tiny Llama registered as base model `tiny`. */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { addSpec, openEngine, type Engine } from '../../src/engine/index.js';
import { tinyConfig, writeTinyModel } from '../../src/engine/model/tiny.js';

export async function tinyEngine(): Promise<{ engine: Engine; root: string }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'smolmap-jobs-'));
  const engine = await openEngine({ dataDir: path.join(root, 'data'), modelsDir: path.join(root, 'models') });
  await addSpec(engine, 'examples/petstore.yaml', { name: 'petstore' });
  await writeTinyModel(path.join(engine.modelsDir, 'base', 'tiny'), { seed: 1, layout: 'hf' });
  await engine.store.update((data) => {
    data.baseModels.push({
      name: 'tiny',
      source: 'tiny.ts seed 1',
      format: 'hf',
      dir: 'base/tiny',
      files: ['config.json', 'model.safetensors', 'tokenizer.json'],
      config: tinyConfig(),
      addedAt: new Date().toISOString(),
    });
  });
  return { engine, root };
}
