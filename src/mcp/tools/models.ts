/**
 * The mapper and its models: map_task (task → ApiCall), evaluate (scores on a task set), list_models and
 * activate_model (trained adapters per spec). map_task and evaluate write: every ask is recorded in the
 * history, and an evaluation stores its scores on the model.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import {
  activateAdapter,
  ask,
  evaluate,
  listAdapters,
  loadDataset,
  type Engine,
  type EvaluateResult,
} from '../../engine/index.js';
import { defineTool, type AnyTool, type CallExtras } from '../tool.js';
import { modelId, specName } from './common.js';

const SpecUsed = z
  .object({ name: z.string().describe('spec name'), version: z.number().int().describe('spec version') })
  .describe('the spec version used');

const ApiCallOut = z
  .object({
    operationId: z.string().nullable().describe('operation id'),
    method: z.string().describe('HTTP method'),
    path: z.string().describe("the spec's path template"),
    pathParams: z.record(z.string(), z.string()).describe('values of the path template placeholders'),
    query: z.record(z.string(), z.union([z.string(), z.array(z.string())])).describe('query parameters'),
    headers: z.record(z.string(), z.string()).describe('header parameters'),
    body: z.unknown().describe('request body, or null'),
    url: z.string().describe("full URL: the spec's first server + filled path + query string"),
  })
  .describe('the API call (pass it to execute_call to send it, where enabled)');

const mapTaskTool = defineTool({
  name: 'map_task',
  title: 'Map a task to an API call',
  description:
    'Turns what the user wants, in plain words ("show me the pets sold last week"), into one precise call of the spec\'s API, using the spec\'s trained model (its active one unless `model` is given; the base model when none is trained). The call always names an existing operation; check `valid` and `confidence` before using it.',
  input: z
    .object({
      spec: specName,
      task: z.string().min(1).max(4000).describe('what the user wants, in plain words'),
      model: modelId.optional().describe("trained model id (default: the spec's active model)"),
    })
    .strict(),
  output: z.object({
    call: ApiCallOut,
    curl: z.string().describe('the call as a curl command'),
    valid: z.boolean().describe('whether the call conforms to the spec'),
    issues: z.array(z.string()).describe('why it does not conform, when it does not'),
    confidence: z.number().describe('0..1: how sure the model is of the operation and the values'),
    spec: SpecUsed,
    model: z.string().describe('model used: a trained model id, or the base model name when untrained'),
    untrained: z.boolean().describe('true when no trained model was used (answers are much weaker)'),
    latencyMs: z.number().describe('time to answer'),
    answerId: z.string().describe('id of this answer: give it to correct_call when the call is wrong'),
    needs: z
      .array(
        z.object({
          in: z.enum(['path', 'query', 'header', 'body']),
          name: z.string(),
          question: z.string(),
        }),
      )
      .describe(
        'required values the task does not state, each with a question to ask the user; when not empty, `call` holds only the values given: ask, then map the completed task',
      ),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run({ spec, task, model }, { engine, tenant }) {
    const r = await ask(engine, {
      spec,
      task,
      tenant,
      surface: 'mcp',
      ...(model === undefined ? {} : { model }),
    });
    const { operationId, method, path: p, pathParams, query, headers, body, url } = r;
    return {
      call: { operationId, method, path: p, pathParams, query, headers, body, url },
      curl: r.curl,
      valid: r.valid,
      issues: r.issues,
      confidence: r.confidence,
      spec: { name: r.spec, version: r.specVersion },
      model: r.model,
      untrained: r.untrained,
      latencyMs: Math.round(r.latencyMs),
      answerId: r.queryId,
      needs: r.needs,
    };
  },
  text: (r) =>
    [
      ...r.needs.map((n) => `needs ${n.in} ${n.name}: ${n.question}`),
      `${r.call.method} ${r.call.url}`,
      r.curl,
      `confidence ${r.confidence.toFixed(2)}; ${r.valid ? 'valid' : `not valid: ${r.issues.join('; ')}`}`,
      `model ${r.model}${r.untrained ? ' (untrained)' : ''}, ${r.spec.name} v${r.spec.version}, ${r.latencyMs} ms`,
      `answer ${r.answerId} (correct_call takes it when the call is wrong)`,
    ].join('\n'),
});

/** Inline task lines go through a private temp file, the form `evaluate` reads (no server paths from clients). */
async function withTaskFile<T>(jsonl: string, use: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'smolmap-mcp-eval-'));
  try {
    const file = path.join(dir, 'tasks.jsonl');
    await writeFile(file, jsonl, { mode: 0o600 });
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A stored dataset's held-out examples (its validation split), or all of them when it has none. */
async function datasetTasks(engine: Engine, id: string, tenant: string) {
  const { examples } = await loadDataset(engine, id, { tenant });
  const held = examples.filter((e) => e.meta?.split === 'validation');
  return (held.length > 0 ? held : examples).map(({ task, expected }) => ({ task, expected }));
}

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

const ExpectedIn = z
  .object({
    method: z.string().min(1).describe('HTTP method, e.g. GET'),
    path: z.string().min(1).describe("the spec's path template, e.g. /pet/{petId}"),
    operationId: z.string().nullable().optional().describe('operation id (optional)'),
    pathParams: z.record(z.string(), Scalar).default({}).describe('path placeholder values'),
    query: z
      .record(z.string(), z.union([Scalar, z.array(Scalar)]))
      .default({})
      .describe('query parameters'),
    body: z.json().nullable().default(null).describe('request body (any JSON), or null'),
  })
  .describe('the call the task should map to (other fields, e.g. url, are ignored)');

const TaskIn = z
  .object({
    task: z.string().min(1).max(4000).describe('the task in plain words'),
    expected: ExpectedIn,
  })
  .strict();

/** The tasks to score: inline JSON Lines text, an inline array, or a stored dataset's validation split. */
async function scoredTasks(
  engine: Engine,
  args: { tasks?: string | z.output<typeof TaskIn>[]; dataset?: string; tenant: string },
  run: (tasks: string | { task: string; expected: unknown }[]) => Promise<EvaluateResult>,
): Promise<EvaluateResult> {
  if (args.dataset !== undefined) return run(await datasetTasks(engine, args.dataset, args.tenant));
  if (typeof args.tasks === 'string') return withTaskFile(args.tasks, run);
  return withTaskFile(args.tasks!.map((t) => JSON.stringify(t)).join('\n') + '\n', run);
}

const Rate = (what: string) => z.number().describe(`${what}, 0..1`);

const evaluateTool = defineTool({
  name: 'evaluate',
  title: 'Evaluate a model',
  description:
    "Scores the spec's model (active unless `model` is given) on tasks with known answers: endpoint accuracy, exact-call match, valid rate and parameter F1, stored on the model. Give `tasks` (an array of {task, expected}, or the same as JSON Lines text) or `dataset` (a dataset id: its validation split), not both. Reports progress per task when asked; can run as a task.",
  input: z
    .object({
      spec: specName,
      tasks: z
        .union([
          z.array(TaskIn).min(1).max(10_000),
          z
            .string()
            .min(1)
            .max(4 * 1024 * 1024),
        ])
        .optional()
        .describe(
          'tasks with known answers: an array of {task, expected: {method, path, pathParams, query, body}}, or the same objects as JSON Lines text (give this or dataset)',
        ),
      dataset: z
        .string()
        .min(1)
        .max(200)
        .optional()
        .describe(
          'a dataset id from generate_dataset or train_model: its validation split is scored (give this or tasks)',
        ),
      model: modelId.optional().describe("trained model id (default: the spec's active model)"),
    })
    .strict()
    .refine((a) => (a.tasks === undefined) !== (a.dataset === undefined), {
      message: 'give exactly one of tasks or dataset',
    }),
  output: z.object({
    spec: SpecUsed,
    model: z.string().describe('model evaluated'),
    untrained: z.boolean().describe('true when no trained model was used'),
    n: z.number().int().describe('tasks scored'),
    endpointAccuracy: Rate('share with the right method + path'),
    exactMatch: Rate('share with exactly the expected call'),
    validRate: Rate('share of calls that conform to the spec'),
    paramF1: Rate('parameter F1'),
    latencyMs: z
      .object({ p50: z.number().describe('median'), p95: z.number().describe('95th percentile') })
      .describe('time per task'),
    failures: z
      .array(
        z.object({
          task: z.string().describe('the task'),
          expected: z.string().describe('expected call'),
          predicted: z.string().nullable().describe('predicted call, or null when none parsed'),
        }),
      )
      .describe('up to 20 tasks whose call was not exactly the expected one'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  tasks: true,
  async run({ spec, tasks, dataset, model }, { engine, tenant, changed }, extras) {
    const target = { spec, tenant, ...(model === undefined ? {} : { model }), onTask: onTask(extras) };
    const r = await scoredTasks(engine, { tasks, dataset, tenant }, (t) =>
      evaluate(engine, { ...target, tasks: t as Parameters<typeof evaluate>[1]['tasks'] }),
    );
    if (!r.untrained) changed('models');
    return {
      spec: { name: r.spec, version: r.specVersion },
      model: r.model,
      untrained: r.untrained,
      n: r.n,
      endpointAccuracy: r.endpointAccuracy,
      exactMatch: r.exactMatch,
      validRate: r.validRate,
      paramF1: r.paramF1,
      latencyMs: { p50: r.latencyMs.p50, p95: r.latencyMs.p95 },
      failures: r.failures
        .slice(0, 20)
        .map((f) => ({ task: f.task, expected: f.expected, predicted: f.predicted })),
    };
  },
  text: (r) =>
    `${r.model} on ${r.spec.name} v${r.spec.version}, ${r.n} tasks: endpoint ${pct(r.endpointAccuracy)}, exact ${pct(r.exactMatch)}, valid ${pct(r.validRate)}, param F1 ${r.paramF1.toFixed(3)}; p50 ${Math.round(r.latencyMs.p50)} ms`,
});

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function onTask(extras: CallExtras): (done: number, total: number) => void {
  return (done, total) => void extras.progress(done, total, `task ${done}/${total}`);
}

const listModelsTool = defineTool({
  name: 'list_models',
  title: 'List trained models',
  description:
    'Lists trained models (LoRA adapters), optionally for one spec: status, whether active, base model, metrics.',
  input: z.object({ spec: specName.optional().describe('only the models of this spec') }).strict(),
  output: z.object({
    models: z
      .array(
        z.object({
          id: z.string().describe('model id'),
          spec: SpecUsed,
          baseModel: z.string().describe('base model name'),
          status: z.string().describe('training, ready or failed'),
          active: z.boolean().describe('whether map_task uses it by default for its spec'),
          r: z.number().int().describe('LoRA rank'),
          metrics: z
            .record(z.string(), z.unknown())
            .nullable()
            .describe('latest evaluation scores, or null when not evaluated'),
          createdAt: z.string().describe('when training started'),
        }),
      )
      .describe('trained models, by spec then age'),
  }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run({ spec }, { engine, tenant }) {
    const models = await listAdapters(engine, { tenant, ...(spec === undefined ? {} : { spec }) });
    return { models: models.map((m) => ({ ...m, metrics: m.metrics as Record<string, unknown> | null })) };
  },
  text: ({ models }) =>
    models.length === 0
      ? 'No trained models yet; train one with train_model.'
      : models
          .map(
            (m) =>
              `${m.id}${m.active ? ' (active)' : ''}: ${m.spec.name} v${m.spec.version} on ${m.baseModel}, ${m.status}`,
          )
          .join('\n'),
});

const activateModelTool = defineTool({
  name: 'activate_model',
  title: 'Activate a model',
  description: 'Makes a ready trained model the one map_task uses by default for its spec.',
  input: z.object({ model: modelId }).strict(),
  output: z.object({
    spec: z.string().describe('the spec whose default model changed'),
    previous: z.string().nullable().describe('the model active before, or null'),
    active: z.string().describe('the model active now'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run({ model }, { engine, tenant, changed }) {
    const r = await activateAdapter(engine, model, { tenant });
    changed('models');
    return r;
  },
  text: (r) =>
    `${r.active} is now active for ${r.spec}${r.previous && r.previous !== r.active ? ` (was ${r.previous})` : ''}`,
});

export const modelTools: AnyTool[] = [mapTaskTool, evaluateTool, listModelsTool, activateModelTool];
