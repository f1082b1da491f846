/**
 * `smolmap://models/{id}` (the model card: base model, spec version, metrics, loss curve, status) and
 * `smolmap://jobs/{id}` (status, progress, result). Jobs come through the jobs facade; trained models have no
 * facade reader yet, so their cards read the store's ModelRecords (Engine and record types are facade exports).
 */
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  SmolmapError,
  getJob,
  ownedBy,
  listJobs,
  type Engine,
  type JobRecord,
  type ModelRecord,
} from '../engine/index.js';
import { jsonContents, readOrFail, variable } from './resources.js';

/** Recent jobs listed as resources; older ones stay readable by id. */
const LISTED_JOBS = 50;

export function modelCard(m: ModelRecord): Record<string, unknown> {
  return {
    id: m.id,
    status: m.status,
    active: m.active,
    baseModel: m.baseModel,
    spec: m.spec,
    datasetId: m.datasetId,
    lora: m.lora,
    metrics: m.metrics,
    lossCurve: m.lossHistory,
    jobId: m.jobId,
    createdAt: m.createdAt,
  };
}

export function jobView(j: JobRecord): Record<string, unknown> {
  const { id, kind, status, options, progress, error, result, createdAt, startedAt, finishedAt } = j;
  return { id, kind, status, options, progress, error, result, createdAt, startedAt, finishedAt };
}

async function findModel(engine: Engine, tenant: string, id: string): Promise<ModelRecord> {
  const model = (await engine.store.read()).models.find((m) => m.id === id && ownedBy(m, tenant));
  if (!model)
    throw new SmolmapError('model_unknown', `no model "${id}"; the smolmap://models resources list them`, {
      details: { id },
    });
  return model;
}

/** The model and job resources of one tenant. */
export function registerRunResources(server: McpServer, engine: Engine, tenant: string): void {
  server.registerResource(
    'model',
    new ResourceTemplate('smolmap://models/{id}', {
      list: async () => ({
        resources: (await engine.store.read()).models
          .filter((m) => ownedBy(m, tenant))
          .map((m) => ({
            uri: `smolmap://models/${encodeURIComponent(m.id)}`,
            name: m.id,
            description: `${m.status}${m.active ? ', active' : ''} adapter for ${m.spec.name} v${m.spec.version} on ${m.baseModel}`,
            mimeType: 'application/json',
          })),
      }),
    }),
    {
      title: 'Model card',
      description: 'A trained adapter: base model, spec version, LoRA settings, metrics and loss curve.',
      mimeType: 'application/json',
    },
    (uri, vars) =>
      readOrFail(engine, async () =>
        jsonContents(uri, modelCard(await findModel(engine, tenant, variable(vars['id'], 'id')))),
      ),
  );

  server.registerResource(
    'job',
    new ResourceTemplate('smolmap://jobs/{id}', {
      list: async () => ({
        resources: (await listJobs(engine, { tenant })).slice(-LISTED_JOBS).map((j) => ({
          uri: `smolmap://jobs/${encodeURIComponent(j.id)}`,
          name: j.id,
          description: `${j.kind} job, ${j.status}`,
          mimeType: 'application/json',
        })),
      }),
    }),
    {
      title: 'Job',
      description: 'A background job (training, evaluation, dataset): status, progress, error and result.',
      mimeType: 'application/json',
    },
    (uri, vars) =>
      readOrFail(engine, async () =>
        jsonContents(uri, jobView(await getJob(engine, variable(vars['id'], 'id'), { tenant }))),
      ),
  );
}
