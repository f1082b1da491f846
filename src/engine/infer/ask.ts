/**
 * `ask` (facade): a task in words → an ApiCall for a registered spec, with its confidence, the model and spec
 * version used, and the latency; every ask is recorded as a QueryRecord in its session (playground history).
 * The spec's active adapter answers by default; a spec without one is answered by the base model with the
 * spec's operations listed in the prompt, labelled `untrained`. One runtime per base model serves every
 * adapter (LoRA tensors are session inputs, runtime.ts).
 */
import { randomUUID } from 'node:crypto';
import { resolveBaseModelName } from '../model/registry.js';

import { renderCurl, renderFetch, type ApiCall } from '../calls.js';
import type { Engine } from '../engine.js';
import { SmolmapError } from '../errors.js';
import { cachedAdapter, activeAdapter, findAdapter } from '../models.js';
import type { LoraAdapter } from '../model/lora.js';
import type { QuantRequest, WeightQuant } from '../model/quant.js';
import { getSpec } from '../specs/registry.js';
import { ownedBy, tenantOf, type TenantOption } from '../tenant.js';
import type { Catalog } from '../specs/types.js';
import type { QueryRecord, SessionRecord, Surface } from '../store.js';
import { withoutNeeds, type Need } from './clarify.js';
import { baseRuntime } from './generate.js';
import { mapTask, type MapResult } from './mapper.js';
import type { BaseRuntime } from './runtime.js';

export interface MapperTarget extends TenantOption {
  spec: string;
  /** Spec version; default: the adapter's version, else the latest. */
  version?: number;
  /** A trained model id (`smolmap models list`); default: the spec's active adapter. */
  model?: string;
  /** Base model for a spec without an adapter; default: the first registered. */
  base?: string;
  /** Weight format of the base model: f32 (default), q8 or q4. */
  quant?: QuantRequest;
}

/** Everything a decoding run needs, resolved from the store. */
export interface ResolvedMapper {
  rt: BaseRuntime;
  catalog: Catalog;
  adapter: LoraAdapter | null;
  /** ModelRecord.id, or the base model's name when untrained. */
  model: string;
  baseModel: string;
  spec: string;
  specVersion: number;
  untrained: boolean;
}

export interface AskOptions extends MapperTarget {
  task: string;
  /** Session id to record the ask in (created on first use). */
  session?: string;
  surface?: Surface;
  user?: string;
  maxTokens?: number;
}

/** The ApiCall plus what every surface shows with it (the `ask --json` document). */
export interface AskResult extends ApiCall {
  confidence: number;
  /** The two factors of `confidence` (mapper.ts `callConfidence`). */
  confidenceParts: { operation: number; values: number };
  model: string;
  baseModel: string;
  spec: string;
  specVersion: number;
  latencyMs: number;
  /** Weight mode of the base model that answered (the request's, else the engine's). */
  quant: WeightQuant;
  untrained: boolean;
  valid: boolean;
  issues: string[];
  curl: string;
  fetch: string;
  /** The model's raw answer. */
  output: string;
  /** True when the token budget ran out and the grammar completed the call. */
  completed: boolean;
  /**
   * Required values the task does not state, each with its question. When not empty the call fields hold only
   * the values the task gave (a missing path parameter stays `{name}` in `url`): ask, do not send.
   */
  needs: Need[];
  queryId: string;
  session: string | null;
}

/** Parsed catalogs by content hash: the grammar cache is keyed by the catalog object, so reuse it. */
const catalogs = new Map<string, Catalog>();

/** Resolves spec version, adapter (explicit, else the spec's active one, else none) and the base runtime. */
export async function resolveMapper(engine: Engine, t: MapperTarget): Promise<ResolvedMapper> {
  const data = await engine.store.read();
  await getSpec(engine, t.spec, { tenant: t.tenant }); // spec_unknown before adapter errors
  const record =
    t.model !== undefined ? findAdapter(data, t.model, t.tenant) : activeAdapter(data, t.spec, t.tenant);
  if (record && record.spec.name !== t.spec) {
    throw new SmolmapError(
      'adapter_spec_mismatch',
      `model "${record.id}" was trained for spec "${record.spec.name}", not "${t.spec}"; pick one of \`smolmap models list --spec ${t.spec}\``,
    );
  }
  const details = await getSpec(engine, t.spec, {
    tenant: t.tenant,
    version: t.version ?? record?.spec.version,
  });
  let catalog = catalogs.get(details.version.catalog.sha256);
  if (!catalog) {
    catalog = details.catalog;
    catalogs.set(details.version.catalog.sha256, catalog);
  }
  const baseModel = record ? record.baseModel : resolveBaseModelName(data, t.base, t.tenant);
  const rt = await baseRuntime(engine, baseModel, t.quant ?? engine.quant);
  return {
    rt,
    catalog,
    adapter: record ? await cachedAdapter(engine, record) : null,
    model: record ? record.id : baseModel,
    baseModel,
    spec: t.spec,
    specVersion: details.version.version,
    untrained: record === null,
  };
}

export async function ask(engine: Engine, options: AskOptions): Promise<AskResult> {
  const task = options.task.trim();
  if (task === '') throw new SmolmapError('ask_empty_task', 'the task is empty; say what the call should do');
  const m = await resolveMapper(engine, options);
  const r = await mapTask(m.rt, task, {
    catalog: m.catalog,
    adapter: m.adapter,
    untrained: m.untrained,
    maxTokens: options.maxTokens,
  });
  const queryId = await recordAsk(engine, options, m, task, r);
  if (!r.call) {
    throw new SmolmapError('ask_unparsable', `the model's answer is not a call: ${r.issues.join('; ')}`, {
      details: { output: r.text, queryId },
    });
  }
  const call = withoutNeeds(r.call, r.needs, m.catalog);
  return {
    ...call,
    confidence: r.confidence.overall,
    confidenceParts: { operation: r.confidence.operation, values: r.confidence.values },
    model: m.model,
    baseModel: m.baseModel,
    spec: m.spec,
    specVersion: m.specVersion,
    latencyMs: r.latencyMs,
    quant: m.rt.quant,
    untrained: m.untrained,
    valid: r.valid,
    issues: r.issues,
    curl: renderCurl(call, m.catalog),
    fetch: renderFetch(call, m.catalog),
    output: r.text,
    completed: r.completed,
    needs: r.needs,
    queryId,
    session: options.session ?? null,
  };
}

/** Appends the QueryRecord (and creates or touches its SessionRecord) in one store write. */
async function recordAsk(
  engine: Engine,
  o: AskOptions,
  m: ResolvedMapper,
  task: string,
  r: MapResult,
): Promise<string> {
  const id = `q-${randomUUID().slice(0, 12)}`;
  const spec = { name: m.spec, version: m.specVersion };
  await engine.store.update((data) => {
    const now = new Date().toISOString();
    if (o.session !== undefined) {
      let s = data.sessions.find((x) => x.id === o.session && ownedBy(x, o.tenant));
      if (!s) {
        s = {
          tenant: tenantOf(o),
          id: o.session,
          surface: o.surface ?? 'cli',
          externalId: null,
          user: o.user ?? null,
          spec,
          model: o.model ?? null,
          createdAt: now,
          lastActiveAt: now,
        } satisfies SessionRecord;
        data.sessions.push(s);
      }
      s.lastActiveAt = now;
    }
    const q: QueryRecord = {
      tenant: tenantOf(o),
      id,
      sessionId: o.session ?? null,
      input: task,
      output: r.text,
      call: r.call,
      valid: r.valid,
      issues: r.issues,
      confidence: r.confidence.overall,
      latencyMs: r.latencyMs,
      model: m.model,
      quant: m.rt.quant,
      spec,
      createdAt: now,
    };
    data.queries.push(q);
  });
  return id;
}

export interface HistoryOptions extends TenantOption {
  session?: string;
  spec?: string;
  /** Most recent N (default 50). */
  limit?: number;
}

/** Recorded asks, oldest first (the last `limit`). */
export async function history(engine: Engine, options: HistoryOptions = {}): Promise<QueryRecord[]> {
  const data = await engine.store.read();
  if (
    options.session !== undefined &&
    !data.sessions.some((s) => s.id === options.session && ownedBy(s, options.tenant))
  ) {
    throw new SmolmapError(
      'session_unknown',
      `no session "${options.session}"; \`smolmap history\` lists recent asks with their sessions`,
    );
  }
  const picked = data.queries.filter(
    (q) =>
      ownedBy(q, options.tenant) &&
      (options.session === undefined || q.sessionId === options.session) &&
      (options.spec === undefined || q.spec.name === options.spec),
  );
  return picked.slice(-(options.limit ?? 50));
}
