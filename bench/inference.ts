/**
 * Inference speed and the accuracy cost of weight quantisation on a real base model.
 *   npx tsx bench/inference.ts [file.gguf|hf-dir] [--modes f32,q8,q4] [--threads N] [--spin] [--accuracy 1|4]
 *     [--graph fast|standard]
 * Each mode runs in its own child process (so peak RSS is per mode): runtime load time, prefill tokens/s of a
 * 128-token prompt, decode tokens/s over 64 greedy tokens, time to first token, peak RSS (median of 3 runs
 * after a warm-up), a chat answer, and the perplexity of a fixed paragraph. The parent then compares every
 * mode's teacher-forced logits on that paragraph with f32: max |Δlogit| and top-1 agreement. Prints figures,
 * asserts nothing; prints the load average, since other work on a 2-core machine skews every number.
 */
import { fork } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Engine modules directly, not the facade: a bench should not depend on every facade export compiling.
import { decode } from '../src/engine/infer/decode.js';
import { promptIds } from '../src/engine/infer/generate.js';
import { loadRuntime } from '../src/engine/infer/runtime.js';
import type { WeightQuant } from '../src/engine/model/quant.js';
import { perplexity, tokenLogProbs } from '../src/engine/infer/score.js';
import { REAL_MODEL } from './real-model.js';

const PARAGRAPH =
  'The river runs through the middle of the old town, and most of the houses were built along its banks. ' +
  'In the summer, families walk by the water in the evening, and children play on the small bridges.';
const PROSE =
  'The history of the harbour goes back many centuries. Merchants brought salt, wool and timber, and the ' +
  'town grew around the quays, where ships from distant ports waited for the tide. ';

interface ModeResult {
  mode: WeightQuant;
  loadSeconds: number;
  prefillTokS: number;
  decodeTokS: number;
  ttftMs: number;
  chatTtftMs: number;
  peakRssMb: number;
  ppl: number;
  answer: string;
  positions: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function child(
  mode: WeightQuant,
  source: string,
  out: string,
  threads?: number,
  spinning = false,
  accuracyLevel: 1 | 4 = 4,
  graph: 'fast' | 'standard' = 'fast',
): Promise<void> {
  const rt = await loadRuntime(source, { quant: mode, threads, spinning, accuracyLevel, graph });
  const prompt = rt.tokenizer.encode(PROSE.repeat(8)).slice(0, 128);
  // Plain model throughput, as llama.cpp's peer bench measures it: no prefix reuse and no speculation. With
  // them on (decode's defaults) the repeated prompt came from the prefix cache and the repeated answer was
  // drafted from the answer history, which inflated prefill and decode several-fold (bench/latency measures
  // what those features save on real mapper tasks).
  const plain = { stopTokens: [], prefixCache: false, speculate: false } as const;
  await decode(rt, prompt, { ...plain, maxTokens: 4 }); // warm-up: first-run allocations
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await decode(rt, prompt, { ...plain, maxTokens: 64 }));
  const chat = await decode(rt, promptIds(rt.tokenizer, 'What is the capital of France?'), { maxTokens: 24 });
  const ids = rt.tokenizer.encode(PARAGRAPH);
  const v = rt.config.vocab_size;
  const logits = new Float32Array((ids.length - 1) * v);
  const lp = await tokenLogProbs(rt, ids, { onLogits: (t, row) => logits.set(row, (t - 1) * v) });
  await writeFile(`${out}.bin`, new Uint8Array(logits.buffer));
  const res: ModeResult = {
    mode,
    loadSeconds: rt.loadSeconds,
    prefillTokS: median(runs.map((r) => r.timings.prefillTokensPerSecond)),
    decodeTokS: median(runs.map((r) => r.timings.decodeTokensPerSecond)),
    ttftMs: median(runs.map((r) => r.timings.timeToFirstTokenMs)),
    chatTtftMs: chat.timings.timeToFirstTokenMs,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    ppl: perplexity(lp),
    answer: rt.tokenizer.decode(
      chat.tokens.map((t) => t.id),
      { skipSpecialTokens: true },
    ),
    positions: ids.length - 1,
  };
  await writeFile(out, JSON.stringify(res));
}

function runChild(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = fork(fileURLToPath(import.meta.url), args, { stdio: 'inherit' });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`child ${args[1]} exited ${code}`))));
  });
}

function compare(f32: Float32Array, q: Float32Array, vocab: number): { maxDiff: number; top1: number } {
  let maxDiff = 0;
  let agree = 0;
  const rows = f32.length / vocab;
  for (let r = 0; r < rows; r++) {
    let a = 0;
    let b = 0;
    for (let i = 0; i < vocab; i++) {
      const x = f32[r * vocab + i]!;
      const y = q[r * vocab + i]!;
      maxDiff = Math.max(maxDiff, Math.abs(x - y));
      if (x > f32[r * vocab + a]!) a = i;
      if (y > q[r * vocab + b]!) b = i;
    }
    if (a === b) agree++;
  }
  return { maxDiff, top1: agree / rows };
}

function defaultSource(): string {
  return REAL_MODEL;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const threads = opt('--threads') ? Number(opt('--threads')) : undefined;
  const spinning = argv.includes('--spin');
  const accuracy = opt('--accuracy') === '1' ? 1 : 4;
  const graph = opt('--graph') === 'standard' ? 'standard' : 'fast';
  if (argv[0] === '--child')
    return child(argv[1] as WeightQuant, argv[2]!, argv[3]!, threads, spinning, accuracy, graph);
  const source = argv[0] && !argv[0].startsWith('--') ? argv[0] : defaultSource();
  const modes = (opt('--modes') ?? 'f32,q8,q4').split(',') as WeightQuant[];
  const dir = await mkdtemp(path.join(os.tmpdir(), 'smolmap-bench-inference-'));
  console.log(
    `source ${source}; graph ${graph}; spinning ${spinning}; MatMulNBits accuracy_level ${accuracy}; ${os.cpus().length} CPUs; load average before ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  const results: ModeResult[] = [];
  for (const m of modes) {
    const out = path.join(dir, `${m}.json`);
    const extra = [
      ...(threads ? ['--threads', String(threads)] : []),
      ...(spinning ? ['--spin'] : []),
      '--accuracy',
      String(accuracy),
      '--graph',
      graph,
    ];
    await runChild(['--child', m, source, out, ...extra]);
    results.push(JSON.parse(await readFile(out, 'utf8')) as ModeResult);
  }
  console.log(
    `load average after ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  const base = modes.includes('f32')
    ? new Float32Array((await readFile(path.join(dir, 'f32.json.bin'))).buffer.slice(0))
    : null;
  const rows = [];
  for (const r of results) {
    const q = new Float32Array((await readFile(path.join(dir, `${r.mode}.json.bin`))).buffer.slice(0));
    const cmp = base && r.mode !== 'f32' ? compare(base, q, q.length / r.positions) : null;
    rows.push({
      mode: r.mode,
      'load s': r.loadSeconds.toFixed(1),
      'prefill tok/s (128)': r.prefillTokS.toFixed(0),
      'decode tok/s': r.decodeTokS.toFixed(1),
      'TTFT ms (128)': r.ttftMs.toFixed(0),
      'TTFT ms (chat)': r.chatTtftMs.toFixed(0),
      'peak RSS MB': r.peakRssMb.toFixed(0),
      perplexity: r.ppl.toFixed(2),
      'max |Δlogit| vs f32': cmp ? cmp.maxDiff.toFixed(3) : '-',
      'top-1 agree vs f32': cmp ? `${(cmp.top1 * 100).toFixed(1)} %` : '-',
    });
  }
  console.table(rows);
  for (const r of results) console.log(`${r.mode} chat answer: ${JSON.stringify(r.answer)}`);
  await rm(dir, { recursive: true, force: true });
}

await main();
