import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ExpectedCall } from '../../../src/engine/calls.js';
import type { AllowedLogits } from '../../../src/engine/infer/decode.js';
import { allowedOf } from '../../../src/engine/infer/head.js';
import { loadTokenizer } from '../../../src/engine/model/tokenizer/index.js';
import type { Tokenizer } from '../../../src/engine/model/tokenizer/types.js';
import { loadSpecFile } from '../../../src/engine/specs/ingest.js';
import type { Catalog } from '../../../src/engine/specs/types.js';
import { FIXTURES, fixtureSpec, HELD_OUT_DIR, TINY_MODEL_DIR } from '../../fixtures/paths.js';

/** The fixture specs as [name, file]: real public specs from examples/ and test/fixtures/specs/. */
export const DEV_SPECS = [
  ['train-travel', 'train-travel.yaml'],
  ['alertmanager', 'alertmanager.yaml'],
  ['deepl', 'deepl.yaml'],
  ['firecrawl', 'firecrawl.json'],
] as const;

let tokenizer: Promise<Tokenizer> | undefined;
export function smolTokenizer(): Promise<Tokenizer> {
  tokenizer ??= loadTokenizer(TINY_MODEL_DIR);
  return tokenizer;
}

const catalogs = new Map<string, Promise<Catalog>>();
export function devCatalog(file: string): Promise<Catalog> {
  let c = catalogs.get(file);
  if (!c) {
    c = loadSpecFile(fixtureSpec(file)).then((s) => s.catalog);
    catalogs.set(file, c);
  }
  return c;
}

/** Hand-written tasks with their expected calls for a fixture spec (test/fixtures/tasks/<name>.jsonl). */
export function devTasks(name: string): { task: string; expected: ExpectedCall }[] {
  return readTaskLines(path.join(FIXTURES, 'tasks', `${name}.jsonl`));
}

/** The opt-in held-out tasks of a spec (SMOLMAP_EVAL_DEV), or none when that set is not given. */
export function heldOutTasks(name: string): { task: string; expected: ExpectedCall }[] {
  return HELD_OUT_DIR ? readTaskLines(path.join(HELD_OUT_DIR, 'tasks', `${name}.jsonl`)) : [];
}

function readTaskLines(file: string): { task: string; expected: ExpectedCall }[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { task: string; expected: ExpectedCall });
}

/** Ids whose bit is set in a vocabulary mask. */
export function maskIds(mask: Uint32Array): number[] {
  const ids: number[] = [];
  for (let w = 0; w < mask.length; w++) {
    let bits = mask[w] ?? 0;
    while (bits !== 0) {
      const low = bits & -bits;
      ids.push(w * 32 + 31 - Math.clz32(low));
      bits ^= low;
    }
  }
  return ids;
}

/** mulberry32: a small seeded PRNG so failing walks can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs a `biasAllowed` hook on a masked full row: its finite entries in, the moved logits written back. */
export function runBias(hook: (allowed: AllowedLogits) => void, row: Float32Array): void {
  const allowed = allowedOf(row);
  hook(allowed);
  allowed.ids.forEach((id, k) => (row[id] = allowed.logits[k]!));
}
