import type { ApiCall } from '../calls.js';
import { findOperation, validateCall, type CallIssue } from '../calls/validate.js';
import { SmolmapError } from '../errors.js';
import { HTTP_METHODS, type Catalog, type HttpMethod } from '../specs/types.js';
import type { ExpectedCall, TaskExample } from './types.js';

/**
 * Task files: JSON Lines, one `{ task, expected }` per line.
 * Validated line by line at the boundary; every failure names the line so the user can fix the file.
 * Used for user datasets (`data import`) and for `eval --tasks`.
 */
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(code: string, line: number, message: string, details: Record<string, unknown> = {}): never {
  throw new SmolmapError(code, `line ${line}: ${message}`, { details: { line, ...details } });
}

function stringMap(v: unknown, line: number, field: string): Record<string, string | string[]> {
  if (v === undefined || v === null) return {};
  if (!isRecord(v)) fail('taskfile_bad_field', line, `"expected.${field}" must be an object of strings`);
  const out: Record<string, string | string[]> = {};
  for (const [k, x] of Object.entries(v)) {
    if (Array.isArray(x)) out[k] = x.map(String);
    else if (['string', 'number', 'boolean'].includes(typeof x)) out[k] = String(x);
    else fail('taskfile_bad_field', line, `"expected.${field}.${k}" must be a string (or a list of strings)`);
  }
  return out;
}

function issueError(issues: CallIssue[], line: number): never {
  const first = issues[0] as CallIssue;
  const code = first.code === 'unknown_parameter' ? 'taskfile_unknown_parameter' : 'taskfile_invalid_call';
  const all = issues.map((i) => i.message).join('; ');
  fail(
    code,
    line,
    `the expected call does not fit the spec: ${all}; fix the parameter names/values to match \`smolmap spec ops\``,
    { issues },
  );
}

function parseLine(raw: string, line: number, catalog: Catalog): TaskExample {
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch (e) {
    fail(
      'taskfile_bad_json',
      line,
      `not valid JSON (${(e as Error).message}); each line must be one JSON object`,
    );
  }
  if (!isRecord(doc))
    fail('taskfile_bad_json', line, 'each line must be a JSON object {"task": ..., "expected": {...}}');
  if (typeof doc['task'] !== 'string' || doc['task'].trim() === '')
    fail('taskfile_missing_field', line, 'missing "task" (a non-empty string)');
  const exp = doc['expected'];
  if (!isRecord(exp))
    fail(
      'taskfile_missing_field',
      line,
      'missing "expected" (an object with method, path, pathParams, query, body)',
    );
  const method = typeof exp['method'] === 'string' ? exp['method'].toUpperCase() : '';
  if (!(HTTP_METHODS as readonly string[]).includes(method))
    fail('taskfile_missing_field', line, '"expected.method" must be an HTTP method such as "GET"');
  if (typeof exp['path'] !== 'string')
    fail('taskfile_missing_field', line, '"expected.path" must be the spec\'s path template');
  const op = findOperation(catalog, method, exp['path']);
  if (!op)
    fail(
      'taskfile_unknown_operation',
      line,
      `the spec has no operation ${method} ${exp['path']}; run \`smolmap spec ops <name>\` for the list`,
    );
  const expected: ExpectedCall = {
    method: method as HttpMethod,
    path: op.path,
    operationId: op.operationIdDerived ? null : op.operationId,
    pathParams: stringMap(exp['pathParams'], line, 'pathParams') as Record<string, string>,
    query: stringMap(exp['query'], line, 'query'),
    body: exp['body'] ?? null,
  };
  if (
    typeof exp['operationId'] === 'string' &&
    expected.operationId !== null &&
    exp['operationId'] !== expected.operationId
  )
    fail(
      'taskfile_bad_field',
      line,
      `"expected.operationId" is ${exp['operationId']} but ${method} ${op.path} is ${expected.operationId}`,
    );
  const call: ApiCall = { ...expected, headers: {}, url: '' };
  // A task that never states a required value expects the mapper to ask for it (infer/clarify.ts): its expected
  // call leaves that value out, so a missing required value is no error here.
  const issues = validateCall(call, catalog).filter(
    (i) =>
      i.code !== 'missing_parameter' &&
      !(i.code === 'invalid_body' && i.name === '' && /required property/.test(i.message)),
  );
  if (issues.length > 0) issueError(issues, line);
  return {
    task: doc['task'].trim(),
    expected,
    meta: { family: 'user', operationId: expected.operationId, source: 'user', split: 'train' },
  };
}

export function parseTaskFile(text: string, catalog: Catalog): TaskExample[] {
  const out: TaskExample[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() !== '') out.push(parseLine(raw, i + 1, catalog));
  });
  if (out.length === 0)
    throw new SmolmapError(
      'taskfile_empty',
      'the task file has no tasks; write one JSON object per line: {"task": ..., "expected": {...}}',
      {
        details: { line: 1 },
      },
    );
  return out;
}

/** One task-file line (no generator metadata). */
export function toTaskLine(e: TaskExample): string {
  return JSON.stringify({ task: e.task, expected: e.expected });
}

/** User examples replace the synthetic set, or are mixed in (user lines first, duplicates by task text dropped). */
export function combineExamples(
  user: TaskExample[],
  synthetic: TaskExample[],
  mode: 'replace' | 'mix',
): TaskExample[] {
  if (mode === 'replace') return user;
  const seen = new Set(user.map((e) => e.task.toLowerCase()));
  return [...user, ...synthetic.filter((e) => !seen.has(e.task.toLowerCase()))];
}
