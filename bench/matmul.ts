/**
 * ORT MatMul throughput on this machine for LLM-shaped products (SmolLM2-135M: H 576, I 1536, V 49152),
 * with 1 and 2 intra-op threads, weights as constant initializers (ORT prepacks them) and as run-time inputs
 * (no prepacking, as LoRA tensors are fed). Prints GFLOP/s = 2·M·K·N / seconds; asserts nothing.
 *
 * Then MatMulNBits (model/quant.ts) on decode- and prefill-shaped products: 4-bit with uint8 zero points
 * (round-to-nearest re-quantisation), 4-bit with float zero points (GGUF Q4_1 exactly), 8-bit (GGUF Q8_0),
 * each at accuracy_level 1 (f32 compute) and 4 (int8 activations).
 *
 *   npx tsx bench/matmul.ts            # all shapes
 *   npx tsx bench/matmul.ts --nbits    # MatMulNBits only
 *   import { measureMatmul } from './matmul.js'   # a peak figure for other benches (training)
 */
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';

import { Graph } from '../src/engine/model/graph/builder.js';
import {
  emitNBits,
  quantizeNBits,
  withFloatZeroPoints,
  type NBitsWeight,
} from '../src/engine/model/quant.js';
import { serialize } from '../src/engine/model/graph/serialize.js';
import { createSession, f32, run } from '../src/engine/infer/ort.js';

export interface MatmulResult {
  m: number;
  k: number;
  n: number;
  threads: number;
  weights: 'initializer' | 'input';
  msPerRun: number;
  gflops: number;
}

function filled(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (((i * 2654435761 + seed) >>> 0) % 1000) / 1000 - 0.5;
  return a;
}

/** Times `[m, k]·[k, n]` in one ORT session: a warm-up run, then as many runs as fit in ~`budgetMs`. */
export async function measureMatmul(
  m: number,
  k: number,
  n: number,
  threads: number,
  weights: 'initializer' | 'input' = 'initializer',
  budgetMs = 1500,
): Promise<MatmulResult> {
  const g = new Graph();
  const x = g.input('x', 'float32', [m, k]);
  const wData = filled(k * n, 2);
  const w =
    weights === 'initializer'
      ? g.initializer('w', { shape: [k, n], data: wData })
      : g.input('w', 'float32', [k, n]);
  g.output('y', g.matmul(x, w));
  const s = await createSession(serialize(g).model, { threads });
  const feeds = {
    x: f32(filled(m * k, 1), [m, k]),
    ...(weights === 'input' ? { w: f32(wData, [k, n]) } : {}),
  };
  await run(s, feeds);
  let runs = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < budgetMs || runs < 3) {
    await run(s, feeds);
    runs++;
  }
  const ms = (performance.now() - t0) / runs;
  await s.release();
  return { m, k, n, threads, weights, msPerRun: ms, gflops: (2 * m * k * n) / (ms * 1e6) };
}

const SHAPES: [string, number, number, number][] = [
  ['q/o proj   [1024,576]x[576,576]', 1024, 576, 576],
  ['k/v proj   [1024,576]x[576,192]', 1024, 576, 192],
  ['gate/up    [1024,576]x[576,1536]', 1024, 576, 1536],
  ['down       [1024,1536]x[1536,576]', 1024, 1536, 576],
  ['lm head    [1024,576]x[576,49152]', 1024, 576, 49152],
  ['decode up  [1,576]x[576,1536]', 1, 576, 1536],
];

/** ms per run of x [m, k] · dequant(W)ᵀ through MatMulNBits. */
async function measureNBits(m: number, q: NBitsWeight, threads: number, accuracy: number, budgetMs = 1000) {
  const g = new Graph();
  const x = g.input('x', 'float32', [m, q.k]);
  g.output('y', emitNBits(g, x, 'w', q, accuracy));
  const s = await createSession(serialize(g).model, { threads });
  const feeds = { x: f32(filled(m * q.k, 1), [m, q.k]) };
  await run(s, feeds);
  let runs = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < budgetMs || runs < 3) {
    await run(s, feeds);
    runs++;
  }
  const ms = (performance.now() - t0) / runs;
  await s.release();
  return { ms, gflops: (2 * m * q.k * q.n) / (ms * 1e6) };
}

const NBITS_SHAPES: [string, number, number, number][] = [
  ['decode q|k|v [1,576]x[576,960]', 1, 576, 960],
  ['decode gate|up [1,576]x[576,3072]', 1, 576, 3072],
  ['decode lm head [1,576]x[576,49152]', 1, 576, 49152],
  ['prefill gate|up [128,576]x[576,3072]', 128, 576, 3072],
  ['prefill down [128,1536]x[1536,576]', 128, 1536, 576],
];

async function nbits(): Promise<void> {
  console.log(`ORT MatMulNBits, 2 threads; load average ${loadavg()[0]!.toFixed(2)}`);
  console.log('shape                                  weights          acc  ms/run   GFLOP/s');
  for (const [label, m, k, n] of NBITS_SHAPES) {
    const w = { shape: [n, k], data: filled(n * k, 3) };
    const q4 = quantizeNBits(w, 4);
    const variants: [string, NBitsWeight][] = [
      ['4-bit u8 zp', q4],
      ['4-bit float zp', withFloatZeroPoints(q4)],
      ['8-bit', quantizeNBits(w, 8)],
    ];
    for (const [name, q] of variants) {
      for (const acc of [1, 4]) {
        const r = await measureNBits(m, q, 2, acc);
        console.log(
          `${label.padEnd(38)} ${name.padEnd(16)} ${acc}  ${r.ms.toFixed(3).padStart(7)} ${r.gflops.toFixed(1).padStart(9)}`,
        );
      }
    }
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--nbits')) return nbits();
  // Other processes on a 2-core box halve these figures; the load average says how quiet the run was.
  console.log(
    `ORT MatMul, float32, CPU EP (GFLOP/s = 2·M·K·N / time); load average ${loadavg()[0]!.toFixed(2)}`,
  );
  console.log('shape                                threads  weights      ms/run   GFLOP/s');
  for (const threads of [1, 2]) {
    for (const [label, m, k, n] of SHAPES) {
      for (const weights of ['initializer', 'input'] as const) {
        const r = await measureMatmul(m, k, n, threads, weights);
        console.log(
          `${label.padEnd(36)} ${String(threads).padStart(7)}  ${weights.padEnd(11)} ${r.msPerRun.toFixed(3).padStart(8)} ${r.gflops.toFixed(1).padStart(9)}`,
        );
      }
    }
  }
  await nbits();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
