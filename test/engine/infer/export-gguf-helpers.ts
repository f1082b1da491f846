/** Shared by the gguf-lora export tests: a registered adapter with every B non-zero, so nothing is a no-op. */
import path from 'node:path';

import {
  createAdapter,
  loraConfigSchema,
  saveAdapter,
  type Engine,
  type LlamaConfig,
  type LoraAdapter,
  type LoraTarget,
} from '../../../src/engine/index.js';
import { Rng } from '../../../src/engine/rng.js';

/**
 * Registers adapter `id` on `baseModel`: PEFT init for A, B uniform in ±bScale (PEFT's B is zero at init, which
 * would hide a wrong B layout or a missing permutation).
 */
export async function registerRandomAdapter(
  engine: Engine,
  id: string,
  config: LlamaConfig,
  baseModel: string,
  lora: {
    r: number;
    alpha: number;
    rslora?: boolean;
    seed?: number;
    bScale: number;
    targets?: LoraTarget[];
  },
): Promise<LoraAdapter> {
  const adapter = createAdapter(
    config,
    loraConfigSchema.parse({
      r: lora.r,
      alpha: lora.alpha,
      rslora: lora.rslora ?? false,
      seed: lora.seed ?? 1,
      ...(lora.targets ? { targets: lora.targets } : {}),
    }),
  );
  const rng = new Rng((lora.seed ?? 1) + 1000);
  for (const m of adapter.modules) {
    const b = adapter.tensors.get(m.b)!.data;
    for (let i = 0; i < b.length; i++) b[i] = rng.uniform(-lora.bScale, lora.bScale);
  }
  const dir = `adapters/${id}`;
  await saveAdapter(path.join(engine.modelsDir, dir), adapter, { baseModel });
  await engine.store.update((d) => {
    d.models.push({
      id,
      spec: { name: 'tt', version: 1 },
      baseModel,
      datasetId: null,
      dir,
      lora: { r: lora.r, alpha: lora.alpha, dropout: 0, targets: [...adapter.config.targets] },
      metrics: null,
      lossHistory: [],
      status: 'ready',
      active: false,
      jobId: null,
      createdAt: new Date().toISOString(),
    });
  });
  return adapter;
}
