/**
 * The lazy LM head (src/engine/infer/head.ts) on the real SmolLM2-135M, f32, 2 threads:
 * 1. one model step (one token after a 96-token prompt), interleaved, median ms: the graph with its head
 *    (`lazyHead: false`, today's path), the graph ending at the hidden rows, and the latter plus a full row from
 *    the head session or a 64-token masked row from JS;
 * 2. a masked row made in JS per allowed-set size next to the head session's row (where LAZY_MAX_TOKENS sits);
 * 3. JS rows against the head session's on real rows: max |Δlogit|, argmax agreement, close calls;
 * 4. with --adapters DIR (a bench/mapper.ts --dir): `mapTask` on --tasks N eval-dev tasks per spec, and how its
 *    rows were made (JS, close calls given back, head-session runs).
 *   npx tsx bench/head.ts [file.gguf] [--reps R] [--adapters DIR] [--tasks N]
 * Prints figures and the load average, asserts nothing. Needs ~6 GB (two f32 runtimes).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { LAZY_MAX_TOKENS } from '../src/engine/infer/head.js';
import { KvCache } from '../src/engine/infer/kv.js';
import { mapTask } from '../src/engine/infer/mapper.js';
import { loadRuntime, type BaseRuntime } from '../src/engine/infer/runtime.js';
import { applyMask, argmax } from '../src/engine/infer/sample.js';
import { parseTaskFile } from '../src/engine/data/taskfile.js';
import { loadAdapter } from '../src/engine/model/lora.js';
import { loadSpecFile } from '../src/engine/specs/ingest.js';
import { EVAL_DEV, EVAL_DEV_OPTION, SPECS } from './eval-dev.js';
import { loadAverages, REAL_MODEL } from './real-model.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    ...EVAL_DEV_OPTION,
    reps: { type: 'string', default: '25' },
    adapters: { type: 'string' },
    tasks: { type: 'string', default: '5' },
  },
});
const gguf = positionals[0] ?? REAL_MODEL;
const load = loadAverages;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** A mask of `n` tokens spread over the vocabulary (deterministic). */
function spreadMask(vocab: number, n: number, offset = 0): Uint32Array {
  const mask = new Uint32Array(Math.ceil(vocab / 32));
  for (let k = 0; k < n; k++) {
    const id = (offset + Math.floor((k * vocab) / n)) % vocab;
    mask[id >> 5]! |= 1 << (id & 31);
  }
  return mask;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function steps(full: BaseRuntime, lazy: BaseRuntime, prompt: number[], reps: number): Promise<void> {
  const mask = spreadMask(lazy.config.vocab_size, 64);
  const kvs = [full, lazy].map((rt) => new KvCache(rt, 1, rt.loraFeeds(null)));
  for (const kv of kvs) await kv.step([prompt]);
  const len = prompt.length;
  const variants: [string, () => Promise<unknown>][] = [
    ['graph with head (before)', () => kvs[0]!.stepRows([42])],
    ['graph to hidden rows', () => kvs[1]!.stepRows([42])],
    ['hidden + head-session row', async () => (await kvs[1]!.stepRows([42])).row(0)],
    ['hidden + 64-token JS row', async () => (await kvs[1]!.stepRows([42])).masked(0, mask)],
  ];
  const ms = variants.map(() => [] as number[]);
  for (let r = 0; r < reps + 2; r++) {
    for (const [k, [, fn]] of variants.entries()) {
      const t = await time(fn);
      if (r >= 2) ms[k]!.push(t);
      for (const kv of kvs) kv.truncate(len);
    }
  }
  console.log(`\none decode step after ${len} prompt tokens, median of ${reps} (load ${load()})`);
  variants.forEach(([name], k) => console.log(`  ${name.padEnd(28)} ${median(ms[k]!).toFixed(2)} ms`));
  const head = lazy.head!;
  const h = await kvs[1]!.stepKeepRows([42, 43, 44, 45, 46, 47, 48, 49], 8);
  for (const rows of [1, 8]) {
    const t: number[] = [];
    for (let r = 0; r < reps; r++)
      t.push(await time(() => head.logits(h.data.subarray(0, rows * head.width), rows)));
    console.log(`  head session alone, ${rows} row(s)  ${median(t).toFixed(2)} ms`);
  }
}

async function jsRows(lazy: BaseRuntime, prompt: number[], reps: number): Promise<void> {
  const head = lazy.head!;
  const v = lazy.config.vocab_size;
  const rows = await new KvCache(lazy, 1, lazy.loraFeeds(null)).stepKeepRows(prompt, 4);
  const hidden = rows.data;
  head.maskedRow(hidden, 0, spreadMask(v, 8), v); // row norms, once
  console.log(
    `\nmasked row from JS by allowed tokens (LAZY_MAX_TOKENS ${LAZY_MAX_TOKENS}), median of ${reps}`,
  );
  for (const n of [16, 256, 1024, 4096, 8192, 16384]) {
    const mask = spreadMask(v, n, 7);
    const t: number[] = [];
    for (let r = 0; r < reps; r++) t.push(await time(async () => head.maskedRow(hidden, r % 4, mask, v)));
    console.log(`  ${String(n).padStart(6)} tokens  ${median(t).toFixed(3)} ms  (load ${load()})`);
  }
  let maxDiff = 0;
  let agree = 0;
  let close = 0;
  let tried = 0;
  for (let i = 0; i < 4; i++) {
    const exact = await rows.row(i);
    for (const n of [2, 5, 20, 100, 1000, 4096]) {
      for (let off = 0; off < 40; off++) {
        const mask = spreadMask(v, n, off * 131 + i);
        tried++;
        const got = head.maskedRow(hidden, i, mask, v);
        if (!got) {
          close++;
          continue;
        }
        const want = exact.slice();
        applyMask(want, mask);
        if (argmax(got) === argmax(want)) agree++;
        for (let t = 0; t < v; t++)
          if (want[t] !== -Infinity) maxDiff = Math.max(maxDiff, Math.abs(got[t]! - want[t]!));
      }
    }
  }
  console.log(
    `  JS vs head session on ${tried} masked real rows: max |Δlogit| ${maxDiff.toExponential(2)}, argmax equal ${agree}/${tried - close}, close calls ${close}`,
  );
}

async function mapped(lazy: BaseRuntime, dir: string, n: number): Promise<void> {
  const before = { ...lazy.head!.stats };
  const dirs = readdirSync(path.join(dir, 'models/adapters'));
  let calls = 0;
  let stepsTotal = 0;
  for (const [spec, file] of Object.entries(SPECS)) {
    const adapterDir = dirs.find((d) => d.startsWith(`${spec}-`));
    if (!adapterDir) continue;
    const { catalog } = await loadSpecFile(`${EVAL_DEV}/specs/${file}`);
    const adapter = await loadAdapter(path.join(dir, 'models/adapters', adapterDir));
    const examples = parseTaskFile(readFileSync(`${EVAL_DEV}/tasks/${spec}.jsonl`, 'utf8'), catalog);
    for (const ex of examples.slice(0, n)) {
      const r = await mapTask(lazy, ex.task, { catalog, adapter, untrained: false });
      calls++;
      stepsTotal += r.modelSteps;
    }
  }
  const s = lazy.head!.stats;
  console.log(
    `\nmapTask on ${calls} eval-dev tasks (${(stepsTotal / Math.max(1, calls)).toFixed(2)} steps/call): rows from JS ${s.jsRows - before.jsRows}, close calls ${s.closeCalls - before.closeCalls}, head-session runs ${s.sessionRuns - before.sessionRuns} (${s.sessionRows - before.sessionRows} rows)  (load ${load()})`,
  );
}

async function main(): Promise<void> {
  const reps = Number(values.reps);
  console.log(`${gguf}, f32, load ${load()}`);
  const full = await loadRuntime(gguf, { lazyHead: false });
  const lazy = await loadRuntime(gguf);
  const prompt = lazy.tokenizer
    .encode('The history of the harbour goes back many centuries. '.repeat(8))
    .slice(0, 96);
  await steps(full, lazy, prompt, reps);
  await jsRows(lazy, prompt, reps);
  if (values.adapters) await mapped(lazy, values.adapters, Number(values.tasks));
  console.log(`load now ${load()}`);
}

await main();
