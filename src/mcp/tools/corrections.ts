/**
 * correct_call: store the call a task should have produced, as a labelled example of the spec for its next
 * training (the same engine function as `smolmap correct`). From a map_task answer it starts from that
 * answer's call and changes what is given; without one, spec, task and operation make a new example.
 */
import { z } from 'zod';
import { correctCall, type CallEdits } from '../../engine/index.js';
import { defineTool, type AnyTool } from '../tool.js';
import { specName, specVersion } from './common.js';

const Scalar = z.union([z.string(), z.number(), z.boolean()]);
const text = (v: z.output<typeof Scalar>): string => String(v);

const CallOut = z
  .object({
    method: z.string().describe('HTTP method'),
    path: z.string().describe("the spec's path template"),
    operationId: z.string().nullable().describe('operation id'),
    pathParams: z.record(z.string(), z.string()).describe('path placeholder values'),
    query: z.record(z.string(), z.union([z.string(), z.array(z.string())])).describe('query parameters'),
    body: z.unknown().describe('request body, or null'),
  })
  .describe('a call in task-file form');

const correctCallTool = defineTool({
  name: 'correct_call',
  title: 'Correct a call',
  description:
    "Stores the call a task should have produced, as a labelled example the spec's next training learns from (weighted), with who and when. Give `answer` (the answerId map_task returned) to start from that answer: its task, spec and call, changing only the fields given; or give spec, task and the operation for a new example. The call is validated against the spec; when it does not fit, nothing is stored and the error names the field.",
  input: z
    .object({
      answer: z
        .string()
        .min(1)
        .max(200)
        .optional()
        .describe('the answerId of a map_task result to correct (its task, spec and call are the start)'),
      spec: specName.optional().describe('the spec, when correcting no answer'),
      version: specVersion,
      task: z
        .string()
        .min(1)
        .max(4000)
        .optional()
        .describe("the task in plain words (default: the answer's; required without answer)"),
      method: z.string().min(1).max(10).optional().describe('HTTP method of the right operation, with path'),
      path: z
        .string()
        .min(1)
        .max(2000)
        .optional()
        .describe("the right operation's path template, e.g. /pet/{petId}, with method"),
      operationId: z
        .string()
        .min(1)
        .max(200)
        .optional()
        .describe('the right operation by id, instead of method and path'),
      pathParams: z
        .record(z.string(), Scalar)
        .optional()
        .describe("all path placeholder values (default: the answer's, when the operation is unchanged)"),
      query: z
        .record(z.string(), z.union([Scalar, z.array(Scalar)]))
        .optional()
        .describe("all query parameters (default: the answer's, when the operation is unchanged)"),
      body: z
        .json()
        .nullable()
        .optional()
        .describe("the request body (any JSON), or null; default: the answer's"),
    })
    .strict()
    .refine((a) => a.answer !== undefined || (a.spec !== undefined && a.task !== undefined), {
      message: 'give answer, or spec and task',
    })
    .refine((a) => (a.method === undefined) === (a.path === undefined), {
      message: 'give method and path together',
    })
    .refine((a) => a.operationId === undefined || a.method === undefined, {
      message: 'give the operation as method and path, or as operationId, not both',
    }),
  output: z.object({
    id: z.string().describe('correction id'),
    spec: z
      .object({ name: z.string().describe('spec name'), version: z.number().int().describe('spec version') })
      .describe('the spec version it was validated against'),
    task: z.string().describe('the task'),
    call: CallOut,
    previous: CallOut.nullable().describe("the answer's call it replaces, when an answer was corrected"),
    answer: z.string().nullable().describe('the answer corrected'),
    createdAt: z.string().describe('when it was stored (ISO 8601)'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(a, { engine, tenant }) {
    const edits: CallEdits = {};
    if (a.operationId !== undefined) edits.operation = a.operationId;
    if (a.method !== undefined && a.path !== undefined) edits.operation = `${a.method} ${a.path}`;
    if (a.pathParams !== undefined)
      edits.pathParams = Object.fromEntries(Object.entries(a.pathParams).map(([k, v]) => [k, text(v)]));
    if (a.query !== undefined)
      edits.query = Object.fromEntries(
        Object.entries(a.query).map(([k, v]) => [k, Array.isArray(v) ? v.map(text) : text(v)]),
      );
    if (a.body !== undefined) edits.body = a.body;
    const { correction: c, previous } = await correctCall(engine, {
      ...edits,
      ...(a.answer !== undefined ? { queryId: a.answer } : {}),
      ...(a.spec !== undefined ? { spec: a.spec } : {}),
      ...(a.version !== undefined ? { version: a.version } : {}),
      ...(a.task !== undefined ? { task: a.task } : {}),
      tenant,
      surface: 'mcp',
    });
    return {
      id: c.id,
      spec: c.spec,
      task: c.task,
      call: c.expected,
      previous,
      answer: c.queryId,
      createdAt: c.createdAt,
    };
  },
  text: (r) =>
    `Stored correction ${r.id} of ${r.spec.name} v${r.spec.version}: “${r.task}” → ${r.call.method} ${r.call.path}` +
    (Object.keys(r.call.pathParams).length ? ` path ${JSON.stringify(r.call.pathParams)}` : '') +
    (Object.keys(r.call.query).length ? ` query ${JSON.stringify(r.call.query)}` : '') +
    `. The spec's next training (train_model) learns from it.`,
});

export const correctionTools: AnyTool[] = [correctCallTool];
