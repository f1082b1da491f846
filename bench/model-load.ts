/**
 * Base-model import and load: `importModel` (header-only validation + hard link/copy) and `loadBaseModel`
 * (read, dequantise, un-permute to f32) of a GGUF — the real SmolLM2-135M-Instruct one when given as the
 * argument or SMOLMAP_REAL_MODEL, otherwise the tiny q8_0 model. Prints wall times, per-phase times of the
 * load and peak RSS; asserts nothing.
 *
 *   npx tsx bench/model-load.ts [file.gguf]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { importModel, loadBaseModel, openEngine } from '../src/engine/index.js';
import { writeTinyModel } from '../src/engine/model/tiny.js';
import { dequantize } from '../src/engine/model/weights/dequant.js';
import { readGgufHeader, readGgufTensorRaw } from '../src/engine/model/weights/gguf.js';

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
const peakRss = () => process.resourceUsage().maxRSS * 1024;

const tmp = await mkdtemp(path.join(os.tmpdir(), 'smolmap-bench-load-'));
try {
  const source =
    process.argv[2] ??
    process.env['SMOLMAP_REAL_MODEL'] ??
    (await writeTinyModel(path.join(tmp, 'tiny'), { seed: 1, layout: 'gguf', quant: 'q8_0' }));
  const engine = await openEngine({
    dataDir: path.join(tmp, 'data'),
    modelsDir: path.join(tmp, 'models'),
    logger: pino({ level: 'silent' }),
  });
  console.log(`source: ${source}`);
  console.log(`baseline peak RSS: ${mb(peakRss())}`);

  let t = performance.now();
  const imported = await importModel(engine, source, { name: 'bench' });
  console.log(
    `import: ${(performance.now() - t).toFixed(0)} ms (${imported.transfer}, ${mb(imported.bytes)}, ` +
      `${(imported.parameters / 1e6).toFixed(1)}M parameters)`,
  );
  console.log(`  config: ${JSON.stringify(imported.config)}`);
  console.log(`  peak RSS after import: ${mb(peakRss())}`);

  t = performance.now();
  const { weights } = await loadBaseModel(engine, 'bench');
  const loadMs = performance.now() - t;
  let f32Bytes = 0;
  for (const w of weights.values()) f32Bytes += w.data.byteLength;
  console.log(`load to f32: ${loadMs.toFixed(0)} ms, ${weights.size} tensors, ${mb(f32Bytes)} of f32`);
  console.log(`  peak RSS after load: ${mb(peakRss())} (f32 weights alone: ${mb(f32Bytes)})`);

  // Where the load time goes: raw reads vs dequantisation per ggml type.
  const file = path.join(imported.dir, imported.files[0]!);
  const header = await readGgufHeader(file);
  const byType = new Map<string, { read: number; dequant: number; elements: number }>();
  for (const info of header.tensors) {
    const s = byType.get(info.typeName) ?? { read: 0, dequant: 0, elements: 0 };
    let t0 = performance.now();
    const raw = await readGgufTensorRaw(file, header, info.name);
    s.read += performance.now() - t0;
    const elements = info.dims.reduce((a, b) => a * b, 1);
    t0 = performance.now();
    dequantize(info.type, raw.data, elements, info.name);
    s.dequant += performance.now() - t0;
    s.elements += elements;
    byType.set(info.typeName, s);
  }
  for (const [type, s] of byType) {
    console.log(
      `  ${type}: ${(s.elements / 1e6).toFixed(1)}M values, read ${s.read.toFixed(0)} ms, dequantise ` +
        `${s.dequant.toFixed(0)} ms (${(s.elements / 1e6 / (s.dequant / 1000)).toFixed(0)} M values/s)`,
    );
  }
  await engine.close();
} finally {
  await rm(tmp, { recursive: true, force: true });
}
