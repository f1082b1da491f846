/**
 * Corrections: a person says which call a task should have produced. Each is validated against the spec like
 * a task-file line, stored with who and when, and mixed into the next training of that spec as a labelled
 * example (weighted, and replacing synthetic examples with the same task text).
 */
import { randomUUID } from 'node:crypto';
import type { ApiCall, ExpectedCall } from '../calls.js';
import type { Engine } from '../engine.js';
import { SmolmapError, isSmolmapError } from '../errors.js';
import { getSpec } from '../specs/registry.js';
import { ownedBy, tenantOf, type TenantOption } from '../tenant.js';
import type { Catalog } from '../specs/types.js';
import type { CorrectionRecord, Surface } from '../store/records.js';
import { loadDataset, storeDataset } from './dataset.js';
import { parseTaskFile } from './taskfile.js';
import type { RejectedExamples, SkippedOperation, TaskExample } from './types.js';

/**
 * Copies of each correction in a training set: a handful of corrections among hundreds of synthetic
 * examples would otherwise get too few gradient steps to change an answer.
 */
export const CORRECTION_WEIGHT = 3;

export interface AddCorrectionOptions extends TenantOption {
  spec: string;
  /** Default: the spec's latest version, or the corrected answer's. */
  version?: number;
  task: string;
  /** The call the task should produce (task-file `expected` fields; `operationId` is optional). */
  expected: unknown;
  /** The answer being corrected (`AskResult.queryId`). */
  queryId?: string;
  user?: string;
  surface: Surface;
}

/** Validates a call for a task against a catalog, with the task-file rules; throws `correction_invalid`. */
function validated(task: string, expected: unknown, catalog: Catalog): TaskExample {
  try {
    const [example] = parseTaskFile(JSON.stringify({ task, expected }), catalog);
    return example as TaskExample;
  } catch (e) {
    if (!isSmolmapError(e) || !e.code.startsWith('taskfile_')) throw e;
    throw new SmolmapError('correction_invalid', e.message.replace(/^line 1: /, ''), {
      cause: e,
      details: { reason: e.code },
    });
  }
}

/** Stores a correction; the next training of the spec uses it. */
export async function addCorrection(
  engine: Engine,
  options: AddCorrectionOptions,
): Promise<CorrectionRecord> {
  const task = options.task.trim();
  if (task === '')
    throw new SmolmapError('correction_invalid', 'the task is empty; give the task to correct');
  const { version, catalog } = await getSpec(engine, options.spec, options);
  const example = validated(task, options.expected, catalog);
  const record: CorrectionRecord = {
    tenant: tenantOf(options),
    id: `corr-${randomUUID().slice(0, 8)}`,
    spec: { name: options.spec, version: version.version },
    task,
    expected: example.expected,
    queryId: options.queryId ?? null,
    user: options.user ?? null,
    surface: options.surface,
    createdAt: new Date().toISOString(),
  };
  await engine.store.update((data) => {
    (data.corrections ??= []).push(record);
  });
  return record;
}

/** A tenant's corrections, oldest first, optionally of one spec. */
export async function listCorrections(
  engine: Engine,
  filter: TenantOption & { spec?: string } = {},
): Promise<CorrectionRecord[]> {
  const all = (await engine.store.read()).corrections ?? [];
  return all.filter(
    (c) => ownedBy(c, filter.tenant) && (filter.spec === undefined || c.spec.name === filter.spec),
  );
}

/** What a correction form starts from: the recorded answer (another tenant's is reported as unknown). */
export async function correctionDraft(
  engine: Engine,
  queryId: string,
  scope: TenantOption = {},
): Promise<{ queryId: string; task: string; spec: { name: string; version: number }; call: ApiCall | null }> {
  const q = (await engine.store.read()).queries.find((x) => x.id === queryId && ownedBy(x, scope.tenant));
  if (!q)
    throw new SmolmapError(
      'query_unknown',
      `no answer "${queryId}" here; ask again and correct the new answer`,
      { details: { queryId } },
    );
  return { queryId: q.id, task: q.input, spec: q.spec, call: q.call };
}

/**
 * Records a call a person completed from answer `queryId` (its questions answered, the call validated by the
 * caller) as an answer of its own, in the same tenant, session and spec version, so Copy curl, Correct and
 * Run act on the completed call. `task` states the values given. Returns the new answer's id.
 */
export async function recordCompletion(
  engine: Engine,
  queryId: string,
  completed: { task: string; call: ApiCall },
  scope: TenantOption = {},
): Promise<string> {
  const id = `q-${randomUUID().slice(0, 12)}`;
  await engine.store.update((data) => {
    const q = data.queries.find((x) => x.id === queryId && ownedBy(x, scope.tenant));
    if (!q)
      throw new SmolmapError('query_unknown', `no answer "${queryId}" here; ask again`, {
        details: { queryId },
      });
    data.queries.push({
      ...q,
      id,
      input: completed.task,
      output: JSON.stringify(completed.call),
      call: completed.call,
      valid: true,
      issues: [],
      latencyMs: 0,
      createdAt: new Date().toISOString(),
    });
  });
  return id;
}

const asExample = (task: string, expected: ExpectedCall): TaskExample => ({
  task,
  expected,
  meta: { family: 'correction', operationId: expected.operationId, source: 'user', split: 'train' },
});

/**
 * The dataset a training uses: `datasetId` with the spec's corrections mixed in (CORRECTION_WEIGHT copies
 * each, newest correction of a task winning, synthetic examples of the same task text dropped). Corrections
 * that no longer fit this spec version are left out. Returns `datasetId` itself when there is nothing to mix.
 */
export async function mixCorrections(
  engine: Engine,
  scope: TenantOption & { spec: string; version: number },
  datasetId: string,
): Promise<{ dataset: string; corrections: number }> {
  const corrections = await listCorrections(engine, scope);
  if (corrections.length === 0) return { dataset: datasetId, corrections: 0 };
  const { catalog } = await getSpec(engine, scope.spec, scope);
  const byTask = new Map<string, TaskExample>();
  for (const c of corrections) {
    try {
      byTask.set(c.task.toLowerCase(), asExample(c.task, validated(c.task, c.expected, catalog).expected));
    } catch (e) {
      if (!isSmolmapError(e) || e.code !== 'correction_invalid') throw e;
    }
  }
  if (byTask.size === 0) return { dataset: datasetId, corrections: 0 };
  const { record, examples } = await loadDataset(engine, datasetId, scope);
  const weighted = [...byTask.values()].flatMap((e) => Array.from({ length: CORRECTION_WEIGHT }, () => e));
  const rest = examples.filter((e) => !byTask.has(e.task.toLowerCase()));
  const mixed = await storeDataset(
    engine,
    { name: scope.spec, version: scope.version },
    'mixed',
    record.seed,
    [...weighted, ...rest],
    catalog,
    (record.stats['skipped'] ?? []) as SkippedOperation[],
    (record.stats['rejected'] ?? { total: 0, reasons: [] }) as RejectedExamples,
    scope.tenant,
  );
  return { dataset: mixed.id, corrections: byTask.size };
}
