/**
 * Correcting a call by its differences: start from a recorded answer (or from nothing), name the right
 * operation and the values that differ, and store the result as a correction (corrections.ts validates it
 * against the spec). The CLI's `smolmap correct` and MCP's `correct_call` both come here.
 */
import type { ApiCall, ExpectedCall } from '../calls.js';
import { findOperation } from '../calls/validate.js';
import type { Engine } from '../engine.js';
import { SmolmapError } from '../errors.js';
import { getSpec, type TenantOption } from '../specs/registry.js';
import type { Catalog, Operation } from '../specs/types.js';
import type { CorrectionRecord, Surface } from '../store/records.js';
import { addCorrection, correctionDraft } from './corrections.js';

type Values = Record<string, string | string[]>;

export interface CallEdits {
  /** The right operation, as `METHOD /path/template` or its operationId; default: the answer's. */
  operation?: string;
  /** Replace all path parameters, or all query parameters, of the starting call. */
  pathParams?: Record<string, string>;
  query?: Values;
  /** Set parameters by name; the spec says whether each goes in the path or the query. */
  set?: Values;
  /** Parameters (path or query) to leave out. */
  drop?: string[];
  /** The request body (null: none); absent keeps the starting call's. */
  body?: unknown;
}

export interface CorrectCallOptions extends TenantOption, CallEdits {
  /** The recorded answer to correct (`AskResult.queryId`): its task, spec and call are the starting point. */
  queryId?: string;
  /** Required without `queryId`. */
  spec?: string;
  version?: number;
  /** The task; default: the answer's. Required without `queryId`. */
  task?: string;
  user?: string;
  surface: Surface;
}

export interface CorrectCallResult {
  correction: CorrectionRecord;
  /** The answer's call in the form of `expected`, when a recorded answer was corrected and had a call. */
  previous: ExpectedCall | null;
}

const invalid = (message: string, details: Record<string, unknown> = {}): SmolmapError =>
  new SmolmapError('correction_invalid', message, { details });

function resolveOperation(catalog: Catalog, spec: string, ref: string): Operation {
  const words = ref.trim().split(/\s+/);
  const op =
    words.length === 2
      ? findOperation(catalog, words[0]!, words[1]!)
      : catalog.operations.find((o) => o.operationId === ref.trim());
  if (!op)
    throw invalid(
      `spec "${spec}" has no operation "${ref}"; give METHOD and path template (e.g. GET /pets/{id}) or an operationId, as \`smolmap spec ops ${spec}\` lists them`,
      { operation: ref },
    );
  return op;
}

const asExpected = (call: ApiCall): ExpectedCall => ({
  method: call.method,
  path: call.path,
  operationId: call.operationId,
  pathParams: { ...call.pathParams },
  query: { ...call.query },
  body: call.body ?? null,
});

/** Where a named parameter goes in this operation; path and query only (a correction carries no headers). */
function place(op: Operation, name: string): 'path' | 'query' {
  const p = op.parameters.find((x) => x.name === name && (x.in === 'path' || x.in === 'query'));
  if (p) return p.in as 'path' | 'query';
  const names = op.parameters.filter((x) => x.in === 'path' || x.in === 'query').map((x) => x.name);
  throw invalid(
    `${op.method} ${op.path} has no path or query parameter "${name}"; ${names.length ? `it takes ${names.join(', ')}` : 'it takes none'} (values of the request body go in the body)`,
    { parameter: name },
  );
}

/** The starting call with the edits applied. */
function edited(start: ExpectedCall, op: Operation, edits: CallEdits): ExpectedCall {
  const out: ExpectedCall = { ...start, pathParams: { ...start.pathParams }, query: { ...start.query } };
  if (edits.pathParams !== undefined) out.pathParams = { ...edits.pathParams };
  if (edits.query !== undefined) out.query = { ...edits.query };
  for (const [name, value] of Object.entries(edits.set ?? {})) {
    if (place(op, name) === 'path') out.pathParams[name] = Array.isArray(value) ? value.join(',') : value;
    else out.query[name] = value;
  }
  for (const name of edits.drop ?? []) {
    place(op, name);
    delete out.pathParams[name];
    delete out.query[name];
  }
  if (edits.body !== undefined) out.body = edits.body;
  return out;
}

/** Stores the corrected call for a recorded answer or a new task; nothing is stored when it does not fit. */
export async function correctCall(engine: Engine, o: CorrectCallOptions): Promise<CorrectCallResult> {
  const draft = o.queryId === undefined ? null : await correctionDraft(engine, o.queryId, o);
  if (draft && o.spec !== undefined && o.spec !== draft.spec.name)
    throw invalid(`answer ${draft.queryId} is of spec "${draft.spec.name}", not "${o.spec}"; drop the spec`);
  const spec = draft?.spec.name ?? o.spec;
  const task = o.task ?? draft?.task;
  if (spec === undefined || task === undefined)
    throw invalid('without an answer id, give the spec and the task the call is for');
  const version = draft?.spec.version ?? o.version;
  const { catalog } = await getSpec(engine, spec, { tenant: o.tenant, version });
  const previous = draft?.call ? asExpected(draft.call) : null;
  let op: Operation;
  if (o.operation !== undefined) op = resolveOperation(catalog, spec, o.operation);
  else if (previous) op = resolveOperation(catalog, spec, `${previous.method} ${previous.path}`);
  else
    throw invalid(
      draft
        ? `answer ${draft.queryId} holds no call to start from; name the right operation (METHOD and path, or operationId)`
        : 'name the operation the task should call (METHOD and path, or operationId)',
    );
  const same = previous !== null && previous.method === op.method && previous.path === op.path;
  const start: ExpectedCall = same
    ? previous
    : { method: op.method, path: op.path, operationId: null, pathParams: {}, query: {}, body: null };
  const expected = edited(start, op, o);
  const correction = await addCorrection(engine, {
    spec,
    version,
    task,
    expected,
    ...(draft ? { queryId: draft.queryId } : {}),
    ...(o.user !== undefined ? { user: o.user } : {}),
    ...(o.tenant !== undefined ? { tenant: o.tenant } : {}),
    surface: o.surface,
  });
  return { correction, previous };
}
