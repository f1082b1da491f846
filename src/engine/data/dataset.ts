import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Engine } from '../engine.js';
import { SmolmapError } from '../errors.js';
import { getSpec } from '../specs/registry.js';
import { LOCAL_TENANT, ownedBy, type TenantOption } from '../tenant.js';
import { sha256 } from '../store.js';
import type { DatasetRecord, DatasetStats } from '../store/records.js';
import type { Catalog } from '../specs/types.js';
import { generateDataset } from './generate.js';
import { datasetStats, type DatasetReport } from './stats.js';
import { combineExamples, parseTaskFile, toTaskLine } from './taskfile.js';
import type { RejectedExamples, SkippedOperation, TaskExample } from './types.js';

/**
 * Datasets in the store: generate from a spec, import a user task file (replace or mix), show, load for training.
 * The stored file keeps each example's `meta` (split, family) next to the task-file fields; `--out` files are
 * plain task files.
 */
export interface DatasetResult {
  dataset: string;
  examples: number;
  operationsCovered: number;
  /** Absolute path of the task file written (`out`, else the stored file). */
  path: string;
  spec: { name: string; version: number };
  kind: DatasetRecord['kind'];
  skipped: SkippedOperation[];
}

export interface GenerateDataOptions extends TenantOption {
  spec: string;
  version?: number;
  count?: number;
  seed?: number;
  out?: string;
}

export interface ImportDataOptions extends TenantOption {
  spec: string;
  version?: number;
  mode?: 'replace' | 'mix';
  /** Used when mixing: how many synthetic examples, and their seed. */
  count?: number;
  seed?: number;
}

function checkCount(count: number | undefined): void {
  if (count !== undefined && (!Number.isInteger(count) || count < 1 || count > 100_000))
    throw new SmolmapError('data_bad_count', `count must be a whole number from 1 to 100000 (got ${count})`);
}

function recordStats(
  examples: TaskExample[],
  catalog: Catalog,
  skipped: SkippedOperation[],
  rejected: RejectedExamples,
): DatasetStats {
  const byOperation: Record<string, number> = {};
  for (const e of examples) {
    const key = e.expected.operationId ?? `${e.expected.method} ${e.expected.path}`;
    byOperation[key] = (byOperation[key] ?? 0) + 1;
  }
  const covered = catalog.operations.filter((op) =>
    examples.some((e) => e.expected.method === op.method && e.expected.path === op.path),
  );
  return {
    operationsCovered: covered.length,
    byOperation,
    train: examples.filter((e) => e.meta.split === 'train').length,
    validation: examples.filter((e) => e.meta.split === 'validation').length,
    skipped,
    rejected,
  };
}

/** Stores examples as a dataset of a spec version (content-addressed: the same examples are stored once). */
export async function storeDataset(
  engine: Engine,
  spec: { name: string; version: number },
  kind: DatasetRecord['kind'],
  seed: number | null,
  examples: TaskExample[],
  catalog: Catalog,
  skipped: SkippedOperation[],
  rejected: RejectedExamples,
  tenant: string | undefined,
): Promise<DatasetRecord> {
  const text =
    examples.map((e) => JSON.stringify({ task: e.task, expected: e.expected, meta: e.meta })).join('\n') +
    '\n';
  // Ids are global (they name the file); another tenant's identical data gets its own id and file.
  const owner = tenant ?? LOCAL_TENANT;
  const id = `${spec.name}-${sha256(owner === LOCAL_TENANT ? text : `${owner}\u0000${text}`).slice(0, 10)}`;
  return engine.store.update(async (data) => {
    const existing = data.datasets.find((d) => d.id === id && ownedBy(d, owner));
    if (existing) return existing;
    const file = await engine.store.writeFile(`datasets/${id}.jsonl`, text);
    const record: DatasetRecord = {
      tenant: owner,
      id,
      spec,
      kind,
      file,
      examples: examples.length,
      seed,
      stats: recordStats(examples, catalog, skipped, rejected),
      createdAt: new Date().toISOString(),
    };
    data.datasets.push(record);
    return record;
  });
}

async function writeOut(out: string, examples: TaskExample[]): Promise<string> {
  const abs = path.resolve(out);
  try {
    await mkdir(path.dirname(abs), { recursive: true });
    await writeFile(abs, examples.map(toTaskLine).join('\n') + '\n');
  } catch (e) {
    throw new SmolmapError(
      'data_out_unwritable',
      `cannot write ${abs}: ${(e as Error).message}; choose another --out path`,
      { cause: e },
    );
  }
  return abs;
}

function result(
  engine: Engine,
  record: DatasetRecord,
  outPath: string | null,
  skipped: SkippedOperation[],
): DatasetResult {
  return {
    dataset: record.id,
    examples: record.examples,
    operationsCovered: record.stats.operationsCovered,
    path: outPath ?? engine.store.resolve(record.file.path),
    spec: record.spec,
    kind: record.kind,
    skipped,
  };
}

/** Synthesises a dataset for a stored spec and records it; writes a task file to `out` when given. */
export async function generateData(engine: Engine, options: GenerateDataOptions): Promise<DatasetResult> {
  checkCount(options.count);
  const { version, catalog } = await getSpec(engine, options.spec, options);
  const seed = options.seed ?? 1;
  const { examples, skipped, rejected } = generateDataset(catalog, { count: options.count, seed });
  if (examples.length === 0)
    throw new SmolmapError(
      'data_no_examples',
      `no operation of spec "${options.spec}" can be expressed as a task: ${skipped.map((s) => `${s.operationId} (${s.reason})`).join('; ')}`,
    );
  const record = await storeDataset(
    engine,
    { name: options.spec, version: version.version },
    'synthetic',
    seed,
    examples,
    catalog,
    skipped,
    rejected,
    options.tenant,
  );
  const outPath = options.out ? await writeOut(options.out, examples) : null;
  return result(engine, record, outPath, skipped);
}

/** Imports a user task file for a spec: validated line by line, then stored alone (`replace`) or mixed in. */
export async function importDataset(
  engine: Engine,
  file: string,
  options: ImportDataOptions,
): Promise<DatasetResult> {
  checkCount(options.count);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new SmolmapError('data_file_unreadable', `cannot read ${file}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const { version, catalog } = await getSpec(engine, options.spec, options);
  const user = parseTaskFile(text, catalog);
  const mode = options.mode ?? 'replace';
  const synthetic =
    mode === 'mix'
      ? generateDataset(catalog, { count: options.count, seed: options.seed ?? 1 })
      : { examples: [], skipped: [], rejected: { total: 0, reasons: [] } };
  const examples = combineExamples(user, synthetic.examples, mode);
  const kind = mode === 'mix' ? 'mixed' : 'imported';
  const record = await storeDataset(
    engine,
    { name: options.spec, version: version.version },
    kind,
    mode === 'mix' ? (options.seed ?? 1) : null,
    examples,
    catalog,
    synthetic.skipped,
    synthetic.rejected,
    options.tenant,
  );
  return result(engine, record, null, synthetic.skipped);
}

async function findDataset(engine: Engine, id: string, scope: TenantOption): Promise<DatasetRecord> {
  const record = (await engine.store.read()).datasets.find((d) => d.id === id && ownedBy(d, scope.tenant));
  if (!record)
    throw new SmolmapError(
      'dataset_unknown',
      `no dataset "${id}"; \`smolmap data generate --spec S\` creates one`,
      { details: { id } },
    );
  return record;
}

/** A stored dataset's examples (with their split), e.g. for training. */
export async function loadDataset(
  engine: Engine,
  id: string,
  scope: TenantOption = {},
): Promise<{ record: DatasetRecord; examples: TaskExample[] }> {
  const record = await findDataset(engine, id, scope);
  const text = (await engine.store.readFile(record.file)).toString('utf8');
  const examples = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as TaskExample);
  return { record, examples };
}

export interface ShowDatasetResult {
  dataset: string;
  spec: { name: string; version: number };
  kind: DatasetRecord['kind'];
  seed: number | null;
  createdAt: string;
  path: string;
  report: DatasetReport;
  /** Drafts the generator did not keep, by defect (absent for imported data and older datasets). */
  rejected: RejectedExamples | null;
}

/** Stats of a stored dataset: examples per operation, parameter coverage, length distribution, 10 samples. */
export async function showDataset(
  engine: Engine,
  id: string,
  scope: TenantOption = {},
): Promise<ShowDatasetResult> {
  const { record, examples } = await loadDataset(engine, id, scope);
  const { catalog } = await getSpec(engine, record.spec.name, {
    version: record.spec.version,
    tenant: record.tenant,
  });
  return {
    dataset: record.id,
    spec: record.spec,
    kind: record.kind,
    seed: record.seed,
    createdAt: record.createdAt,
    path: engine.store.resolve(record.file.path),
    report: datasetStats(examples, catalog),
    rejected: (record.stats['rejected'] as RejectedExamples | undefined) ?? null,
  };
}
