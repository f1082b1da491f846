/**
 * Incremental training: continue a spec's active adapter on what changed since it was trained — the stored
 * corrections, and examples of the operations added or changed in the spec since (matched by endpoint, compared
 * by a hash of the whole catalog entry) — with a much smaller step count than a full training. The job keeps the
 * full dataset's validation split (every operation) as its held-out set: the worker scores the starting weights
 * and the result on it, and the new adapter becomes active only when it is not worse (job-records.ts).
 */
import { createHash } from 'node:crypto';

import { mixCorrections } from '../data/corrections.js';
import { generateData, loadDataset, storeDataset } from '../data/dataset.js';
import type { RejectedExamples, SkippedOperation, TaskExample } from '../data/types.js';
import type { Engine } from '../engine.js';
import { SmolmapError } from '../errors.js';
import { activeAdapter } from '../models.js';
import { getSpec, type TenantOption } from '../specs/registry.js';
import type { Catalog, Operation } from '../specs/types.js';
import type { ModelRecord } from '../store.js';
import { plannedSteps, type TrainOptions, type TrainOptionsInput } from './options.js';

/**
 * Synthetic examples of each unchanged operation kept in an incremental set: a little rehearsal, so the steps
 * spent on the corrected and changed operations do not pull the others' answers towards them.
 */
export const REPLAY_PER_OPERATION = 2;
/** Passes over the incremental set, and the fewest steps (a handful of corrections still gets its updates). */
export const INCREMENTAL_PASSES = 3;
export const INCREMENTAL_MIN_STEPS = 20;
/** An incremental run takes at most this share of the full recipe's steps. */
export const INCREMENTAL_MAX_SHARE = 0.25;

/** What an incremental job records (`TrainJobOptions.incremental`, and the `train --json` output). */
export interface IncrementalInfo {
  /** The adapter it continues from (the spec's active one when the job started). */
  from: string;
  /** Its spec version and the one trained now. */
  fromVersion: number;
  /** Operations (method + path) added or changed since `from` was trained. */
  added: string[];
  changed: string[];
  /** Distinct corrections in the training set. */
  corrections: number;
  /** Synthetic examples of the unchanged operations kept for rehearsal. */
  replay: number;
}

export interface IncrementalPlan {
  info: IncrementalInfo;
  /** The adapter folder to start from, relative to the models directory. */
  fromDir: string;
  baseModel: string;
  dataset: string;
  train: TrainOptions;
}

const endpoint = (op: { method: string; path: string }): string => `${op.method} ${op.path}`;
const opHash = (op: Operation): string => createHash('sha256').update(JSON.stringify(op)).digest('hex');

/** Operations of `to` that `from` lacks (added) or holds with another hash (changed), by endpoint. */
export function operationDiff(from: Catalog, to: Catalog): { added: string[]; changed: string[] } {
  const before = new Map(from.operations.map((op) => [endpoint(op), opHash(op)]));
  const added: string[] = [];
  const changed: string[] = [];
  for (const op of to.operations) {
    const old = before.get(endpoint(op));
    if (old === undefined) added.push(endpoint(op));
    else if (old !== opHash(op)) changed.push(endpoint(op));
  }
  return { added, changed };
}

function noActive(spec: string): SmolmapError {
  return new SmolmapError(
    'train_no_active_adapter',
    `spec "${spec}" has no active adapter to continue from; train one with \`smolmap train --spec ${spec}\` (or activate one with \`smolmap adapters activate <id>\`)`,
  );
}

/** The LoRA options of `from` (a continued adapter keeps its shape); a different one asked for is an error. */
function sameLora(from: ModelRecord, asked: TrainOptionsInput['lora'], train: TrainOptions): TrainOptions {
  const given = asked ?? {};
  for (const k of ['r', 'alpha', 'dropout'] as const)
    if (given[k] !== undefined && given[k] !== from.lora[k])
      throw new SmolmapError(
        'train_bad_option',
        `--incremental continues adapter ${from.id}, whose LoRA ${k} is ${from.lora[k]}; drop that option, or train a new adapter without --incremental`,
      );
  const lora = { ...train.lora, r: from.lora.r, alpha: from.lora.alpha, dropout: from.lora.dropout };
  return { ...train, lora: { ...lora, targets: [...from.lora.targets] } };
}

/** Train examples of the changed operations, REPLAY_PER_OPERATION of each other one, all validation examples. */
function selectExamples(
  examples: TaskExample[],
  touched: Set<string>,
): { kept: TaskExample[]; replay: number } {
  const perOp = new Map<string, number>();
  let replay = 0;
  const kept = examples.filter((e) => {
    if (e.meta.split === 'validation' || touched.has(endpoint(e.expected))) return true;
    const n = perOp.get(endpoint(e.expected)) ?? 0;
    if (n >= REPLAY_PER_OPERATION) return false;
    perOp.set(endpoint(e.expected), n + 1);
    replay++;
    return true;
  });
  return { kept, replay };
}

/** The step recipe of an incremental run, unless steps or epochs were given. */
function incrementalSteps(train: TrainOptions, trainExamples: number, operations: number): number {
  const full = plannedSteps({ ...train, steps: null, epochs: null }, { trainExamples, operations });
  const passes = Math.ceil((INCREMENTAL_PASSES * trainExamples) / (train.batchSize * train.gradAccum));
  return Math.max(INCREMENTAL_MIN_STEPS, Math.min(passes, Math.floor(full * INCREMENTAL_MAX_SHARE)));
}

/** The incremental set (changed operations, rehearsal, corrections) with the full dataset's validation split. */
async function incrementalDataset(
  engine: Engine,
  scope: TenantOption & { spec: string; version: number },
  catalog: Catalog,
  touched: Set<string>,
  synth: { count?: number; seed: number },
): Promise<{ mixed: { dataset: string; corrections: number }; replay: number; trainCount: number }> {
  const full = await generateData(engine, { ...scope, ...synth });
  const { record, examples } = await loadDataset(engine, full.dataset);
  const { kept, replay } = selectExamples(examples, touched);
  const subset = await storeDataset(
    engine,
    { name: scope.spec, version: scope.version },
    'mixed',
    record.seed,
    kept,
    catalog,
    (record.stats['skipped'] ?? []) as SkippedOperation[],
    (record.stats['rejected'] ?? { total: 0, reasons: [] }) as RejectedExamples,
    scope.tenant,
  );
  const mixed = await mixCorrections(engine, scope, subset.id);
  const trainCount = (await loadDataset(engine, mixed.dataset)).examples.filter(
    (e) => e.meta.split !== 'validation',
  ).length;
  return { mixed, replay, trainCount };
}

/**
 * Plans an incremental job for the spec's latest (or given) version: the adapter to continue, the dataset
 * (changed operations + rehearsal + corrections, with the full validation split) and the training options.
 */
export async function planIncremental(
  engine: Engine,
  options: TenantOption & { spec: string; version?: number; base?: string; count?: number },
  asked: TrainOptionsInput,
  parsed: TrainOptions,
): Promise<IncrementalPlan> {
  const from = activeAdapter(await engine.store.read(), options.spec, options.tenant);
  if (!from) throw noActive(options.spec);
  if (options.base !== undefined && options.base !== from.baseModel)
    throw new SmolmapError(
      'train_bad_option',
      `--incremental continues adapter ${from.id} of base model ${from.baseModel}; drop --base or train without --incremental`,
    );
  const { version, catalog } = await getSpec(engine, options.spec, options);
  let old: Catalog;
  try {
    old = (await getSpec(engine, options.spec, { tenant: options.tenant, version: from.spec.version }))
      .catalog;
  } catch (e) {
    throw new SmolmapError(
      'train_incremental_no_base_version',
      `adapter ${from.id} was trained on ${options.spec} v${from.spec.version}, which is no longer stored, so the spec diff cannot be made; train a full adapter with \`smolmap train --spec ${options.spec}\``,
      { cause: e },
    );
  }
  const { added, changed } = operationDiff(old, catalog);
  const scope = { spec: options.spec, version: version.version, tenant: options.tenant };
  const touched = new Set([...added, ...changed]);
  const { mixed, replay, trainCount } = await incrementalDataset(engine, scope, catalog, touched, {
    count: options.count,
    seed: parsed.seed,
  });
  if (added.length + changed.length === 0 && mixed.corrections === 0)
    throw new SmolmapError(
      'train_nothing_new',
      `nothing is new for ${options.spec} since adapter ${from.id}: no corrections and no added or changed operations; correct an answer first (\`smolmap correct <answer-id> …\`)`,
    );
  let train = sameLora(from, asked.lora, parsed);
  if (train.steps === null && train.epochs === null)
    train = { ...train, steps: incrementalSteps(train, trainCount, catalog.operations.length) };
  if (asked.evalEvery === undefined) train = { ...train, evalEvery: 0 };
  return {
    info: {
      from: from.id,
      fromVersion: from.spec.version,
      added,
      changed,
      corrections: mixed.corrections,
      replay,
    },
    fromDir: from.dir,
    baseModel: from.baseModel,
    dataset: mixed.dataset,
    train,
  };
}
