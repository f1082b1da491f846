/**
 * LoRA training speed on a real base model: SmolLM2-135M by default (the GGUF in
 * $SMOLMAP_REAL_MODEL, else ~/.cache/smolmap/gguf/SmolLM2-135M-Instruct.Q4_1.gguf, dequantised to f32),
 * r 16 on all seven projections, batch 8 × 128 tokens, through the same trainLoop + training graph as a job.
 * Prints graph build and session times, seconds per step (wall and CPU), tokens/s, peak RSS, and achieved
 * GFLOP/s against the ORT MatMul peak measured in the same run. Asserts nothing.
 *
 *   npx tsx bench/train.ts [model] [--steps N] [--batch B] [--seq T] [--label-frac F] [--threads N]
 *                          [--tokens-per-run N] [--fuse on|off] [--dropout P]
 *                          [--arena on|off] [--prepack on|off] [--pattern on|off]   (override TRAINING_SESSION)
 */
import os from 'node:os';
import { parseArgs } from 'node:util';

import { loraConfigSchema } from '../src/engine/model/lora.js';
import type { LlamaConfig } from '../src/engine/model/types.js';
import { IGNORE_INDEX, type Sequence } from '../src/engine/train/batching.js';
import { trainLoop } from '../src/engine/train/loop.js';
import { parseTrainOptions } from '../src/engine/train/options.js';
import { Rng } from '../src/engine/rng.js';
import { openTrainingStep, TOKENS_PER_RUN, TRAINING_SESSION } from '../src/engine/train/step.js';
import { measureMatmul } from './matmul.js';
import { REAL_MODEL } from './real-model.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    steps: { type: 'string', default: '4' },
    batch: { type: 'string', default: '8' },
    seq: { type: 'string', default: '128' },
    'label-frac': { type: 'string', default: '1' },
    threads: { type: 'string', default: '0' },
    'tokens-per-run': { type: 'string', default: String(TOKENS_PER_RUN) },
    fuse: { type: 'string', default: 'off' },
    dropout: { type: 'string', default: '0' },
    arena: { type: 'string' },
    prepack: { type: 'string' },
    pattern: { type: 'string' },
  },
});
const source = positionals[0] ?? REAL_MODEL;
const steps = Number(values.steps);
const batch = Number(values.batch);
const seq = Number(values.seq);
const labelFrac = Number(values['label-frac']);
const threads = Number(values.threads);
const tokensPerRun = Number(values['tokens-per-run']);
const fuse = values.fuse === 'on';
const dropout = Number(values.dropout);
const flag = (v: string | undefined): boolean | undefined => (v === undefined ? undefined : v === 'on');
const sessionOptions = {
  ...TRAINING_SESSION,
  ...(values.arena !== undefined ? { memArena: flag(values.arena) } : {}),
  ...(values.prepack !== undefined ? { prepacking: flag(values.prepack) } : {}),
  ...(values.pattern !== undefined ? { memPattern: flag(values.pattern) } : {}),
};

/**
 * Matrix FLOPs of one training step, 2·M·K·N per product: the forward projections and attention of every
 * token, the LM head at label positions, and a backward pass of the same products again for the activation
 * gradients (frozen weights get no weight gradient); LoRA's rank-16 products are under 3% and left out.
 */
function stepFlops(c: LlamaConfig, tokens: number, labels: number, seqLen: number): number {
  const h = c.hidden_size;
  const q = c.num_attention_heads * c.head_dim;
  const kv = c.num_key_value_heads * c.head_dim;
  const perTokenLayer = 2 * (h * q + 2 * h * kv + q * h + 3 * h * c.intermediate_size) + 2 * 2 * seqLen * q;
  const forward = tokens * c.num_hidden_layers * perTokenLayer + 2 * labels * h * c.vocab_size;
  return 2 * forward;
}

function synthetic(n: number, vocab: number): Sequence[] {
  const rng = new Rng(1);
  return Array.from({ length: n }, () => {
    const ids = Array.from({ length: seq }, () => 3 + Math.floor(rng.next() * (vocab - 3)));
    const firstLabel = Math.round(seq * (1 - labelFrac));
    return { ids, labels: ids.map((t, i) => (i >= firstLabel ? t : IGNORE_INDEX)) };
  });
}

async function main(): Promise<void> {
  console.log(`session ${JSON.stringify(sessionOptions)}, ${tokensPerRun} tokens per run, fuse ${fuse}`);
  console.log(`model ${source}; load average ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} cores`);
  const lora = loraConfigSchema.parse({ r: 16, alpha: 32, dropout });
  const gb = (b: number): string => (b / 1e9).toFixed(2);
  const peakGb = (): string => gb(process.resourceUsage().maxRSS * 1024);
  // As a job opens it: load, graph, session, then the f32 weights are dropped and collected.
  const t = performance.now();
  const { config, adapter, step } = await openTrainingStep(source, lora, {
    threads,
    session: sessionOptions,
    tokensPerRun,
    fuse,
  });
  console.log(`weights + training graph + ORT session: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  console.log(`RSS after session creation ${gb(process.memoryUsage().rss)} GB, peak so far ${peakGb()} GB`);

  const options = parseTrainOptions({
    lora,
    steps,
    batchSize: batch,
    maxLen: seq,
    evalEvery: 0,
    checkpointEvery: 0,
    warmupSteps: 0,
  });
  const times: number[] = [];
  // CPU seconds (user + system, all threads) per step: steadier than wall time when other processes share the
  // cores, though spinning intra-op threads count too.
  const cpu: number[] = [];
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  const result = await trainLoop(
    {
      options,
      train: synthetic(batch * (steps + 1), config.vocab_size),
      validation: [],
      padId: 0,
      lora: adapter.tensors,
      checkpointDir: null,
      resume: false,
    },
    {
      step: step.step,
      evalLoss: step.evalLoss,
      onProgress: (p) => {
        const now = performance.now();
        times.push((now - last) / 1000);
        last = now;
        const used = process.cpuUsage(lastCpu);
        lastCpu = process.cpuUsage();
        cpu.push((used.user + used.system) / 1e6);
        console.log(
          `step ${p.step}: loss ${p.loss.toFixed(4)}, ${times.at(-1)!.toFixed(2)} s (CPU ${cpu.at(-1)!.toFixed(2)} s), RSS ${gb(process.memoryUsage().rss)} GB, peak ${peakGb()} GB, load ${os.loadavg()[0]!.toFixed(1)}`,
        );
      },
    },
  );
  await step.release();

  // The first step includes ORT's first-run allocations; report the steady state.
  const steady = times.length > 1 ? times.slice(1) : times;
  const secPerStep = steady.reduce((a, b) => a + b, 0) / steady.length;
  const steadyCpu = cpu.length > 1 ? cpu.slice(1) : cpu;
  const cpuPerStep = steadyCpu.reduce((a, b) => a + b, 0) / steadyCpu.length;
  const tokens = batch * seq;
  const labels = batch * Math.round(seq * labelFrac);
  const gflops = stepFlops(config, tokens, Math.min(labels, batch * (seq - 1)), seq) / secPerStep / 1e9;
  const peak = await measureMatmul(1024, 576, 1536, threads === 0 ? os.cpus().length : threads);
  const rssGb = (process.resourceUsage().maxRSS * 1024) / 1e9;
  console.log(
    [
      `r 16, all 7 targets, batch ${batch} × ${seq} tokens, ${Math.round(labelFrac * 100)}% label positions, dropout ${dropout}; load average ${os.loadavg()[0]!.toFixed(2)}`,
      `seconds/step ${secPerStep.toFixed(2)} (steady, ${steady.length} steps; first ${times[0]!.toFixed(2)})`,
      `tokens/s ${(tokens / secPerStep).toFixed(1)} (loop's own figure over all steps: ${result.tokensPerSecond.toFixed(1)})`,
      `CPU seconds/step ${cpuPerStep.toFixed(2)} (steady), ${(tokens / cpuPerStep).toFixed(1)} tokens per CPU second`,
      `peak RSS ${rssGb.toFixed(2)} GB`,
      `achieved ${gflops.toFixed(1)} GFLOP/s vs ORT MatMul peak ${peak.gflops.toFixed(1)} GFLOP/s ([1024,576]x[576,1536], ${peak.threads} threads) = ${((100 * gflops) / peak.gflops).toFixed(0)}%`,
    ].join('\n'),
  );
}

await main();
