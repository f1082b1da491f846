/**
 * How closely a weight mode follows f32 on the mapper's own kind of text, without eval-dev tasks: per eval-dev
 * spec, synthetic examples (the training generator, a seed the adapters were not trained on) are fed as the
 * mapper feeds them — the prompt in one run, then the answer's tokens in runs of `--chunk` (default 9, a
 * verification step) — through f32 and each mode, with the spec's adapter. Per mode: share of answer positions
 * whose argmax matches f32's, mean KL(f32 ‖ mode) in nats, and max |Δlogit|. Prints figures; asserts nothing.
 *
 *   npx tsx bench/quant-fidelity.ts [--modes i8,q4] [--opts JSON] [--specs a,b] [--examples N] [--chunk K]
 *                                   [--adapters DIR]
 *
 * `--opts`: extra runtime options for the modes (e.g. '{"smoothing":0.75,"f32From":0}').
 * `--adapters`: a bench/mapper.ts --dir (adapters in models/adapters/<spec>-*); without one, no adapter.
 */
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import {
  callToTarget,
  generateDataset,
  loadRuntime,
  loadSpecFile,
  releaseRuntimes,
  type BaseRuntime,
  type RuntimeOptions,
  type WeightQuant,
} from '../src/engine/index.js';
import { KvCache } from '../src/engine/infer/kv.js';
import { mapperPromptIds } from '../src/engine/infer/mapper.js';
import { loadAdapter, type LoraAdapter } from '../src/engine/model/lora.js';
import { EVAL_DEV, EVAL_DEV_OPTION, SPECS } from './eval-dev.js';
import { loadAverages, REAL_MODEL } from './real-model.js';

const { values } = parseArgs({
  options: {
    ...EVAL_DEV_OPTION,
    modes: { type: 'string', default: 'i8' },
    opts: { type: 'string', default: '{}' },
    specs: { type: 'string', default: Object.keys(SPECS).join(',') },
    examples: { type: 'string', default: '24' },
    chunk: { type: 'string', default: '9' },
    adapters: { type: 'string', default: path.join(os.tmpdir(), 'smolmap-bench-mapper') },
  },
});
const chunk = Number(values.chunk);
const perSpec = Number(values.examples);

/** Logits of every answer position: the prompt in one run, the answer in runs of `chunk` tokens. */
async function answerLogits(
  rt: BaseRuntime,
  adapter: LoraAdapter | null,
  prompt: readonly number[],
  answer: readonly number[],
): Promise<Float32Array[]> {
  const kv = new KvCache(rt, 1, rt.loraFeeds(adapter));
  const rows: Float32Array[] = [];
  const first = await kv.stepRows([...prompt]);
  rows.push(await first.row(0));
  for (let at = 0; at + 1 < answer.length; at += chunk) {
    const part = answer.slice(at, Math.min(answer.length - 1, at + chunk));
    rows.push(...(await (await kv.stepKeepRows(part, part.length)).all()));
  }
  return rows;
}

function compare(want: Float32Array, got: Float32Array): { agree: boolean; kl: number; maxDiff: number } {
  const lse = (l: Float32Array): number => {
    let m = -Infinity;
    for (const v of l) if (v > m) m = v;
    let s = 0;
    for (const v of l) s += Math.exp(v - m);
    return m + Math.log(s);
  };
  const a = lse(want);
  const b = lse(got);
  let kl = 0;
  let maxDiff = 0;
  let wi = 0;
  let gi = 0;
  for (let i = 0; i < want.length; i++) {
    const p = Math.exp(want[i]! - a);
    kl += p * (want[i]! - a - (got[i]! - b));
    maxDiff = Math.max(maxDiff, Math.abs(want[i]! - got[i]!));
    if (want[i]! > want[wi]!) wi = i;
    if (got[i]! > got[gi]!) gi = i;
  }
  return { agree: wi === gi, kl, maxDiff };
}

async function main(): Promise<void> {
  const modes = values.modes.split(',') as WeightQuant[];
  const extra = JSON.parse(values.opts) as RuntimeOptions;
  const base = await loadRuntime(REAL_MODEL, {});
  const rts = new Map<WeightQuant, BaseRuntime>();
  for (const m of modes) rts.set(m, await loadRuntime(REAL_MODEL, { ...extra, quant: m }));
  const totals = new Map(modes.map((m) => [m, { n: 0, agree: 0, kl: 0, maxDiff: 0 }]));
  const loads: string[] = [loadAverages()];
  for (const spec of values.specs.split(',')) {
    const { catalog } = await loadSpecFile(path.join(EVAL_DEV, 'specs', SPECS[spec]!));
    const dir = path.join(values.adapters, 'models/adapters');
    const name = existsSync(dir) ? readdirSync(dir).find((d) => d.startsWith(`${spec}-`)) : undefined;
    const adapter = name ? await loadAdapter(path.join(dir, name)) : null;
    // seed 9: not the training runs' seed, so these are examples the adapters have not seen
    const { examples } = generateDataset(catalog, { count: perSpec, seed: 9 });
    const rows = new Map(modes.map((m) => [m, { n: 0, agree: 0, kl: 0, maxDiff: 0 }]));
    for (const ex of examples.slice(0, perSpec)) {
      const prompt = mapperPromptIds(base, ex.task, catalog, adapter === null);
      const answer = base.tokenizer.encode(callToTarget(ex.expected, catalog));
      const want = await answerLogits(base, adapter, prompt, answer);
      for (const m of modes) {
        const got = await answerLogits(rts.get(m)!, adapter, prompt, answer);
        const r = rows.get(m)!;
        want.forEach((w, i) => {
          const c = compare(w, got[i]!);
          r.n++;
          r.agree += c.agree ? 1 : 0;
          r.kl += c.kl;
          r.maxDiff = Math.max(r.maxDiff, c.maxDiff);
        });
      }
    }
    for (const m of modes) {
      const r = rows.get(m)!;
      const t = totals.get(m)!;
      t.n += r.n;
      t.agree += r.agree;
      t.kl += r.kl;
      t.maxDiff = Math.max(t.maxDiff, r.maxDiff);
      console.log(
        `${spec.padEnd(13)} ${m.padEnd(4)} adapter ${name ?? 'none'}: ${r.n} positions, top-1 ${((100 * r.agree) / r.n).toFixed(1)} %, mean KL ${(r.kl / r.n).toFixed(4)}, max |Δlogit| ${r.maxDiff.toFixed(2)}`,
      );
    }
  }
  loads.push(loadAverages());
  for (const m of modes) {
    const t = totals.get(m)!;
    console.log(
      `all           ${m.padEnd(4)} ${values.opts}: ${t.n} positions, top-1 ${((100 * t.agree) / t.n).toFixed(2)} %, mean KL ${(t.kl / t.n).toFixed(4)}, max |Δlogit| ${t.maxDiff.toFixed(2)}  (load ${loads.join(' → ')})`,
    );
  }
  await releaseRuntimes();
}

await main();
