/**
 * A/B of the mapper's latency on the real SmolLM2-135M, paired: two source trees (or two option sets on two
 * copies of one tree) map the eval-dev tasks in one process, alternating which side goes first per task, so the
 * load of a shared 2-core machine hits both sides alike (separate runs minutes apart differed 2× under load 3-6).
 * Per spec and overall: endpoint / exact / valid for both sides, p50 / p95 / mean ms, model steps per call, the
 * answers that differ, and the load average. Asserts nothing.
 *
 *   npx tsx bench/mapper-ab.ts --a DIR --b DIR [--a-opts JSON] [--b-opts JSON] [--quant f32|q8|q4]
 *                              [--a-quant Q] [--b-quant Q] [--a-runtime JSON] [--b-runtime JSON]
 *                              [--specs a,b] [--adapters DIR]
 * A side is a source tree holding src/ (a `git worktree add`, or `git archive <rev> src | tar -x -C DIR`, with
 * node_modules linked). Both sides must be different trees: one module instance would share the runtime, its
 * prefix cache and its answer history (drafts) between the sides; for an options-only comparison give --b a copy.
 * `--a-opts` / `--b-opts`: extra MapOptions as JSON, e.g. '{"speculate":{"draftTokens":16}}'.
 * `--a-quant` / `--b-quant`: one side's weight mode (default `--quant`), to compare f32 against q4 on one tree.
 * `--a-runtime` / `--b-runtime`: one side's extra runtime options (JSON), e.g. '{"f32From":0}' for all-int8 i8.
 * `--adapters`: a bench/mapper.ts --dir (adapters in models/adapters/<spec>-*), default its default dir.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EVAL_DEV, EVAL_DEV_OPTION, SPECS } from './eval-dev.js';
import { loadAverages, REAL_MODEL } from './real-model.js';

type Facade = typeof import('../src/engine/index.js');
type MapOptions = import('../src/engine/index.js').MapOptions;
type WeightQuant = import('../src/engine/index.js').WeightQuant;

const { values } = parseArgs({
  options: {
    ...EVAL_DEV_OPTION,
    a: { type: 'string', default: path.resolve(import.meta.dirname, '..') },
    b: { type: 'string' },
    'a-opts': { type: 'string', default: '{}' },
    'b-opts': { type: 'string', default: '{}' },
    quant: { type: 'string', default: 'q4' },
    'a-quant': { type: 'string' },
    'b-quant': { type: 'string' },
    'a-runtime': { type: 'string', default: '{}' },
    'b-runtime': { type: 'string', default: '{}' },
    specs: { type: 'string', default: Object.keys(SPECS).join(',') },
    adapters: { type: 'string', default: path.join(os.tmpdir(), 'smolmap-bench-mapper') },
  },
});
const bDir = values.b ?? '';
if (bDir === '' || path.resolve(bDir) === path.resolve(values.a)) {
  throw new Error(
    '--b must be a second source tree (one tree would share caches and drafts between the sides)',
  );
}
const gguf = REAL_MODEL;
const load = loadAverages;

interface Side {
  name: string;
  engine: Facade;
  rt: Awaited<ReturnType<Facade['loadRuntime']>>;
  extra: Partial<MapOptions>;
  ms: number[];
  steps: number[];
  scores: ReturnType<Facade['scoreCalls']>[];
}

async function side(name: string, dir: string, opts: string, quant: string, runtime: string): Promise<Side> {
  const engine = (await import(path.join(path.resolve(dir), 'src/engine/index.js'))) as Facade;
  const rt = await engine.loadRuntime(gguf, {
    ...(JSON.parse(runtime) as object),
    quant: quant as WeightQuant,
  });
  return { name, engine, rt, extra: JSON.parse(opts) as Partial<MapOptions>, ms: [], steps: [], scores: [] };
}

const pct = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? 0;
};
const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
const percent = (x: number): string => `${(100 * x).toFixed(1)}%`;

function summary(s: Side, ms: readonly number[], steps: readonly number[]): string {
  return `${s.name}: p50 ${pct(ms, 50).toFixed(0)} p95 ${pct(ms, 95).toFixed(0)} mean ${mean(ms).toFixed(0)} ms, steps ${mean(steps).toFixed(2)}`;
}

async function main(): Promise<void> {
  const quantA = values['a-quant'] ?? values.quant;
  const quantB = values['b-quant'] ?? values.quant;
  const sides = [
    await side('A', values.a, values['a-opts'], quantA, values['a-runtime']),
    await side('B', bDir, values['b-opts'], quantB, values['b-runtime']),
  ];
  console.log(
    `A = ${values.a} ${values['a-opts']} ${quantA} ${values['a-runtime']}\nB = ${bDir} ${values['b-opts']} ${quantB} ${values['b-runtime']}`,
  );
  const differ: string[] = [];
  let total = 0;
  for (const spec of values.specs.split(',')) {
    const file = SPECS[spec];
    if (!file) throw new Error(`unknown eval-dev spec ${spec}`);
    const dirs = readdirSync(path.join(values.adapters, 'models/adapters'));
    const adapterDir = dirs.find((d) => d.startsWith(`${spec}-`));
    if (!adapterDir) throw new Error(`no ${spec} adapter in ${values.adapters}/models/adapters`);
    const per = await Promise.all(
      sides.map(async (s) => {
        const { catalog } = await s.engine.loadSpecFile(`${EVAL_DEV}/specs/${file}`);
        const adapter = await s.engine.loadAdapter(path.join(values.adapters, 'models/adapters', adapterDir));
        const text = readFileSync(`${EVAL_DEV}/tasks/${spec}.jsonl`, 'utf8');
        return { catalog, adapter, examples: s.engine.parseTaskFile(text, catalog) };
      }),
    );
    const examples = per[0]!.examples;
    const ms = sides.map(() => [] as number[]);
    const steps = sides.map(() => [] as number[]);
    const items = sides.map(
      () =>
        [] as {
          predicted: import('../src/engine/index.js').ApiCall | null;
          expected: (typeof examples)[number]['expected'];
        }[],
    );
    for (const [i, ex] of examples.entries()) {
      const order = i % 2 === 0 ? [0, 1] : [1, 0];
      const texts: string[] = [];
      for (const k of order) {
        const s = sides[k]!;
        const { catalog, adapter } = per[k]!;
        const r = await s.engine.mapTask(s.rt, ex.task, { catalog, adapter, untrained: false, ...s.extra });
        ms[k]!.push(r.latencyMs);
        steps[k]!.push(r.modelSteps);
        items[k]!.push({ predicted: r.call, expected: ex.expected });
        texts[k] = r.text;
      }
      total++;
      if (texts[0] !== texts[1]) differ.push(`${spec} ${i}\n    A ${texts[0]}\n    B ${texts[1]}`);
    }
    sides.forEach((s, k) => {
      const sc = s.engine.scoreCalls(items[k]!, per[k]!.catalog);
      s.scores.push(sc);
      s.ms.push(...ms[k]!);
      s.steps.push(...steps[k]!);
      console.log(
        `${spec.padEnd(13)} ${summary(s, ms[k]!, steps[k]!)}; endpoint ${percent(sc.endpointAccuracy)} exact ${percent(sc.exactMatch)} valid ${percent(sc.validRate)}  (load ${load()})`,
      );
    });
  }
  console.log(`\nanswers differing: ${differ.length}/${total}`);
  for (const d of differ) console.log(`  ${d}`);
  for (const s of sides) {
    const m = s.engine.meanScores(s.scores);
    console.log(
      `all           ${summary(s, s.ms, s.steps)} (p50 ${pct(s.steps, 50)}); mean endpoint ${percent(m.endpointAccuracy)} exact ${percent(m.exactMatch)} valid ${percent(m.validRate)}`,
    );
  }
  console.log(`load now ${load()}`);
}

await main();
