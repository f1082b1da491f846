/**
 * The adapter registry (facade functions): trained LoRA adapters per spec, the one active adapter per spec that
 * `ask` uses by default, rollback to the previously active one, and loading an adapter once per process.
 * Training registers adapters (train/jobs.ts `finishTrainingJob`); the first of a spec becomes active.
 * Activation history lives in a payload file (`activations.json`: per spec, the ids activated before, oldest
 * first) so rollback can go back more than one step; it is written inside the store's queue.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import type { Engine } from './engine.js';
import { SmolmapError } from './errors.js';
import { loadAdapter, type LoraAdapter } from './model/lora.js';
import { LOCAL_TENANT, ownedBy, type TenantOption } from './tenant.js';
import type { EvalMetrics, ModelRecord, StoreData } from './store.js';

const HISTORY_FILE = 'activations.json';
type History = Record<string, string[]>;

export interface AdapterSummary {
  id: string;
  spec: { name: string; version: number };
  baseModel: string;
  status: ModelRecord['status'];
  active: boolean;
  r: number;
  metrics: EvalMetrics | null;
  createdAt: string;
}

export interface AdapterDetails extends AdapterSummary {
  /** Absolute path of the PEFT folder. */
  path: string;
  lora: ModelRecord['lora'];
  datasetId: string | null;
  jobId: string | null;
  finalLoss: number | null;
}

export interface ActivationResult {
  spec: string;
  /** The adapter active before (null when none was). */
  previous: string | null;
  active: string;
}

// `local`'s key is the bare spec name, so activation files without tenants read as `local`'s.
const historyKey = (spec: string, tenant: string | undefined): string =>
  (tenant ?? LOCAL_TENANT) === LOCAL_TENANT ? spec : `${tenant}\u0000${spec}`;

function summary(m: ModelRecord): AdapterSummary {
  return {
    id: m.id,
    spec: { ...m.spec },
    baseModel: m.baseModel,
    status: m.status,
    active: m.active,
    r: m.lora.r,
    metrics: m.metrics,
    createdAt: m.createdAt,
  };
}

export function findAdapter(data: StoreData, id: string, tenant?: string): ModelRecord {
  const m = data.models.find((x) => x.id === id && ownedBy(x, tenant));
  if (!m) {
    throw new SmolmapError(
      'adapter_not_found',
      `no trained model "${id}"; \`smolmap adapters list\` shows them (train one with \`smolmap train\`)`,
      { details: { id } },
    );
  }
  return m;
}

/** The active adapter of a spec, or null when the spec has none yet. */
export function activeAdapter(data: StoreData, spec: string, tenant?: string): ModelRecord | null {
  return data.models.find((m) => m.spec.name === spec && ownedBy(m, tenant) && m.active) ?? null;
}

export async function listAdapters(
  engine: Engine,
  options: { spec?: string } & TenantOption = {},
): Promise<AdapterSummary[]> {
  const data = await engine.store.read();
  return data.models
    .filter((m) => ownedBy(m, options.tenant) && (options.spec === undefined || m.spec.name === options.spec))
    .sort((a, b) => a.spec.name.localeCompare(b.spec.name) || a.createdAt.localeCompare(b.createdAt))
    .map(summary);
}

export async function showAdapter(
  engine: Engine,
  id: string,
  options: TenantOption = {},
): Promise<AdapterDetails> {
  const m = findAdapter(await engine.store.read(), id, options.tenant);
  return {
    ...summary(m),
    path: path.join(engine.modelsDir, m.dir),
    lora: m.lora,
    datasetId: m.datasetId,
    jobId: m.jobId,
    finalLoss: m.lossHistory.at(-1)?.loss ?? null,
  };
}

async function readHistory(engine: Engine): Promise<History> {
  let text: string;
  try {
    text = await readFile(engine.store.resolve(HISTORY_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new SmolmapError('store_corrupt', `cannot read ${HISTORY_FILE} in ${engine.dataDir}`, { cause: e });
  }
  try {
    return JSON.parse(text) as History;
  } catch (e) {
    throw new SmolmapError(
      'store_corrupt',
      `${HISTORY_FILE} in ${engine.dataDir} is not valid JSON; delete it (only rollback history is lost)`,
      { cause: e },
    );
  }
}

function setActive(data: StoreData, target: ModelRecord, tenant: string | undefined): string | null {
  if (target.status !== 'ready') {
    throw new SmolmapError(
      'adapter_not_ready',
      `model "${target.id}" is ${target.status}; only a finished (ready) adapter can be activated`,
    );
  }
  const previous = activeAdapter(data, target.spec.name, tenant);
  for (const m of data.models) if (m.spec.name === target.spec.name && ownedBy(m, tenant)) m.active = false;
  target.active = true;
  return previous?.id ?? null;
}

/** Makes `id` the active adapter of its spec (at most one active per spec and tenant). */
export async function activateAdapter(
  engine: Engine,
  id: string,
  options: TenantOption = {},
): Promise<ActivationResult> {
  return engine.store.update(async (data) => {
    const target = findAdapter(data, id, options.tenant);
    const previous = await activateWithin(engine, data, target, options.tenant);
    return { spec: target.spec.name, previous, active: id };
  });
}

/**
 * Makes `target` the active adapter of its spec inside a store update (the caller's), keeping the rollback
 * history; returns the adapter active before.
 */
export async function activateWithin(
  engine: Engine,
  data: StoreData,
  target: ModelRecord,
  tenant: string | undefined,
): Promise<string | null> {
  const previous = setActive(data, target, tenant);
  if (previous !== null && previous !== target.id) {
    const history = await readHistory(engine);
    const key = historyKey(target.spec.name, tenant);
    history[key] = [...(history[key] ?? []).filter((x) => x !== previous), previous];
    await engine.store.writeFile(HISTORY_FILE, JSON.stringify(history));
  }
  return previous;
}

/** Re-activates the adapter that was active before the current one. */
export async function rollbackAdapter(
  engine: Engine,
  spec: string,
  options: TenantOption = {},
): Promise<ActivationResult> {
  return engine.store.update(async (data) => {
    const history = await readHistory(engine);
    const key = historyKey(spec, options.tenant);
    const current = activeAdapter(data, spec, options.tenant);
    const stack = (history[key] ?? []).filter((x) => x !== current?.id);
    let target: ModelRecord | undefined;
    while (!target && stack.length > 0) {
      const id = stack.pop()!;
      target = data.models.find((m) => m.id === id && ownedBy(m, options.tenant) && m.status === 'ready');
    }
    if (!target) {
      throw new SmolmapError(
        'adapter_no_previous',
        `spec "${spec}" has no previously active adapter to roll back to; activate one with \`smolmap adapters activate <id>\``,
      );
    }
    const previous = setActive(data, target, options.tenant);
    history[key] = stack;
    await engine.store.writeFile(HISTORY_FILE, JSON.stringify(history));
    return { spec, previous, active: target.id };
  });
}

/** Stores an evaluation's scores on the adapter (shown by `adapters list/show`). */
export async function recordAdapterMetrics(
  engine: Engine,
  id: string,
  metrics: EvalMetrics,
  tenant?: string,
): Promise<void> {
  await engine.store.update((data) => {
    findAdapter(data, id, tenant).metrics = metrics;
  });
}

const adapters = new Map<string, Promise<LoraAdapter>>();

/**
 * A registered adapter's tensors, loaded once per process and folder: the runtime caches LoRA feeds per adapter
 * object, so reusing the object makes switching adapters per request free after the first use.
 */
export function cachedAdapter(engine: Engine, record: ModelRecord): Promise<LoraAdapter> {
  const dir = path.join(engine.modelsDir, record.dir);
  let p = adapters.get(dir);
  if (!p) {
    p = loadAdapter(dir);
    p.catch(() => adapters.delete(dir));
    adapters.set(dir, p);
  }
  return p;
}
