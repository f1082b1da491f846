/**
 * Quality of synthetic training data per eval-dev spec: lexical diversity, template repetition,
 * operation/parameter coverage, and overlap with the human-written tasks (which must not be copied: they are the
 * held-out test set). Prints a table; asserts nothing.
 *   npx tsx bench/data-quality.ts [count] [seed] [--eval-dev DIR]
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import {
  datasetStats,
  generateDataset,
  loadSpecFile,
  optionalCount,
  parseTaskFile,
  unstatedValues,
  type TaskExample,
} from '../src/engine/index.js';
import { argsWithoutEvalDev, EVAL_DEV } from './eval-dev.js';

const DEV = EVAL_DEV;
const [countArg, seedArg] = argsWithoutEvalDev();
const count = countArg ? Number(countArg) : undefined;
const seed = seedArg ? Number(seedArg) : 1;

const words = (t: string): string[] => t.toLowerCase().match(/[a-z0-9]+/g) ?? [];

function ngrams(ws: string[], n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i + n <= ws.length; i++) out.push(ws.slice(i, i + n).join(' '));
  return out;
}

/** distinct n-grams / all n-grams over the whole set (higher = more varied). */
function distinctRatio(tasks: string[], n: number): number {
  const all = tasks.flatMap((t) => ngrams(words(t), n));
  return all.length === 0 ? 0 : new Set(all).size / all.length;
}

/** A task's template: values (ids, numbers, urls, quoted text, the call's own values) replaced by a slot. */
function template(e: TaskExample): string {
  let t = e.task;
  const values = [
    ...Object.values(e.expected.pathParams),
    ...Object.values(e.expected.query).flat(),
    ...(JSON.stringify(e.expected.body ?? null)
      .match(/"[^"]{2,}"/g)
      ?.map((s) => s.slice(1, -1)) ?? []),
  ].sort((a, b) => b.length - a.length);
  for (const v of values) if (v.length > 1) t = t.split(v).join('<v>');
  return t
    .replace(/https?:\/\/\S+/g, '<v>')
    .replace(/["'“][^"'”]*["'”]/g, '<v>')
    .replace(/\b[0-9a-f]{8}-[0-9a-f-]{27}\b/gi, '<v>')
    .replace(/\d+(\.\d+)?/g, '<v>')
    .toLowerCase();
}

function repeatedTemplateShare(examples: TaskExample[]): number {
  const counts = new Map<string, number>();
  for (const e of examples) counts.set(template(e), (counts.get(template(e)) ?? 0) + 1);
  return examples.filter((e) => (counts.get(template(e)) ?? 0) > 1).length / Math.max(1, examples.length);
}

const jaccard = (a: Set<string>, b: Set<string>): number => {
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return inter / Math.max(1, a.size + b.size - inter);
};

/** Per human task: best word-bigram Jaccard against any generated task, and share of its 4-grams found anywhere. */
function overlap(human: string[], generated: string[]) {
  const gen2 = generated.map((t) => new Set(ngrams(words(t), 2)));
  const gen4 = new Set(generated.flatMap((t) => ngrams(words(t), 4)));
  const genExact = new Set(generated.map((t) => t.toLowerCase().trim()));
  const best: number[] = [];
  const contain: number[] = [];
  for (const h of human) {
    const h2 = new Set(ngrams(words(h), 2));
    best.push(Math.max(0, ...gen2.map((g) => jaccard(h2, g))));
    const h4 = ngrams(words(h), 4);
    contain.push(h4.length === 0 ? 0 : h4.filter((g) => gen4.has(g)).length / h4.length);
  }
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return {
    jaccardMean: mean(best),
    jaccardMax: Math.max(0, ...best),
    contain4Mean: mean(contain),
    contain4Max: Math.max(0, ...contain),
    exact: human.filter((h) => genExact.has(h.toLowerCase().trim())).length,
    worst: human[contain.indexOf(Math.max(0, ...contain))] ?? '',
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const rows: string[][] = [];
const notes: string[] = [];
for (const specFile of readdirSync(path.join(DEV, 'specs')).sort()) {
  const name = specFile.replace(/\.(ya?ml|json)$/, '');
  const { catalog } = await loadSpecFile(path.join(DEV, 'specs', specFile));
  const t0 = performance.now();
  const { examples, skipped } = generateDataset(catalog, { count, seed });
  const ms = performance.now() - t0;
  const tasks = examples.map((e) => e.task);
  const stats = datasetStats(examples, catalog);
  const covered = stats.perOperation.filter((o) => o.examples > 0).length;
  // Parameter coverage over the operations the generator can express (skipped ones are reported separately).
  const skippedKeys = new Set(skipped.map((s) => `${s.method} ${s.path}`));
  const params = stats.parameterCoverage.filter((c) => !skippedKeys.has(c.operation));
  const paramCov = params.filter((c) => c.examples > 0).length / Math.max(1, params.length);
  const never = params
    .filter((c) => c.examples === 0)
    .map((c) => `${c.operation.split(' ')[1]} ${c.location}.${c.name}`);
  if (never.length > 0) notes.push(`${name}: never stated: ${never.join(', ')}`);
  // How many optional values each task states (people: mostly 0–1), over operations that have 3+ optional ones.
  const hist = [0, 0, 0, 0];
  for (const e of examples) hist[Math.min(3, optionalCount(e, catalog))]! += 1;
  const unstated = examples.filter((e) => unstatedValues(e, catalog).length > 0).length;
  const humanFile = path.join(DEV, 'tasks', `${name}.jsonl`);
  const humanExamples = parseTaskFile(readFileSync(humanFile, 'utf8'), catalog);
  const human = humanExamples.map((e) => e.task);
  const humanHist = [0, 0, 0, 0];
  for (const e of humanExamples) humanHist[Math.min(3, optionalCount(e, catalog))]! += 1;
  const dist = (h: number[]): string =>
    h
      .map((n) =>
        Math.round(
          (100 * n) /
            Math.max(
              1,
              h.reduce((a, b) => a + b, 0),
            ),
        ),
      )
      .join('/');
  const ov = overlap(human, tasks);
  notes.push(`${name}: human task with the most 4-grams in the generated set: "${ov.worst}"`);
  rows.push([
    name,
    String(examples.length),
    `${covered}/${catalog.operations.length}${skipped.length ? ` (skip ${skipped.map((s) => s.operationId).join(',')})` : ''}`,
    pct(paramCov),
    [1, 2, 3].map((n) => distinctRatio(tasks, n).toFixed(3)).join(' / '),
    pct(repeatedTemplateShare(examples)),
    `${stats.length.words.p50}/${stats.length.words.p90}`,
    `${ov.jaccardMean.toFixed(3)} / ${ov.jaccardMax.toFixed(3)}`,
    `${pct(ov.contain4Mean)} / ${pct(ov.contain4Max)}`,
    String(ov.exact),
    `${dist(hist)} (human ${dist(humanHist)})`,
    String(unstated),
    `${ms.toFixed(0)} ms`,
  ]);
}

const header = [
  'spec',
  'examples',
  'ops covered',
  'param cov',
  'distinct 1/2/3-gram',
  'repeat tmpl',
  'words p50/p90',
  'human bigram Jaccard mean/max',
  'human 4-gram contain mean/max',
  'exact copies',
  'optional 0/1/2/3+ %',
  'unstated',
  'gen time',
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ');
console.log(`data-quality (seed ${seed}${count ? `, count ${count}` : ', default count'})`);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const r of rows) console.log(line(r));
for (const n of notes) console.log(n);
console.log('\nparam cov: declared path/query params and top-level body fields stated by ≥1 example.');
console.log('repeat tmpl: share of tasks whose value-masked text equals another task’s.');
console.log(
  'optional: share of tasks stating 0/1/2/3+ optional values (query + body at any depth), generated vs the human tasks.',
);
console.log('unstated: examples with a call value their task does not state (data/stated.ts; must be 0).');
console.log(
  'human overlap: per human task, best bigram Jaccard vs any generated task, and share of its word 4-grams found anywhere in the generated set.',
);
