/**
 * Differences between two catalogs. Operations are matched by endpoint (method + path template): that is what
 * a call hits, and it survives a renamed operationId (reported as a change).
 */
import type { Catalog, Operation, Parameter } from './types.js';

export interface OperationSummary {
  operationId: string;
  method: string;
  path: string;
  summary?: string;
}

export interface OperationChange extends OperationSummary {
  /** One readable line per difference, e.g. `query parameter "limit" added`. */
  changes: string[];
}

export interface SpecDiff {
  name: string;
  from: number;
  to: number;
  added: OperationSummary[];
  removed: OperationSummary[];
  changed: OperationChange[];
}

const key = (op: Operation) => `${op.method} ${op.path}`;

function summary(op: Operation): OperationSummary {
  const s: OperationSummary = { operationId: op.operationId, method: op.method, path: op.path };
  if (op.summary !== undefined) s.summary = op.summary;
  return s;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function parameterChanges(before: Parameter[], after: Parameter[]): string[] {
  const id = (p: Parameter) => `${p.in}:${p.name}`;
  const label = (p: Parameter) => `${p.in} parameter "${p.name}"`;
  const old = new Map(before.map((p) => [id(p), p]));
  const now = new Map(after.map((p) => [id(p), p]));
  const out: string[] = [];
  for (const [k, p] of now) {
    const o = old.get(k);
    if (!o) out.push(`${label(p)} added${p.required ? ' (required)' : ''}`);
    else {
      if (o.required !== p.required) out.push(`${label(p)} is now ${p.required ? 'required' : 'optional'}`);
      if (!same(o.schema, p.schema)) out.push(`${label(p)} schema changed`);
    }
  }
  for (const [k, p] of old) if (!now.has(k)) out.push(`${label(p)} removed`);
  return out;
}

function operationChanges(a: Operation, b: Operation): string[] {
  const out: string[] = [];
  if (a.operationId !== b.operationId) out.push(`operationId ${a.operationId} → ${b.operationId}`);
  if ((a.summary ?? '') !== (b.summary ?? '')) out.push('summary changed');
  if ((a.description ?? '') !== (b.description ?? '')) out.push('description changed');
  out.push(...parameterChanges(a.parameters, b.parameters));
  if (!a.requestBody !== !b.requestBody) out.push(`request body ${b.requestBody ? 'added' : 'removed'}`);
  else if (a.requestBody && b.requestBody) {
    if (a.requestBody.required !== b.requestBody.required)
      out.push(`request body is now ${b.requestBody.required ? 'required' : 'optional'}`);
    if (!same(a.requestBody.contentTypes, b.requestBody.contentTypes))
      out.push('request media types changed');
    if (!same(a.requestBody.schema, b.requestBody.schema)) out.push('request body schema changed');
  }
  if (a.deprecated !== b.deprecated) out.push(b.deprecated ? 'deprecated' : 'no longer deprecated');
  if (!same(a.security, b.security)) out.push('security changed');
  if (!same(a.tags, b.tags)) out.push('tags changed');
  return out;
}

export function diffCatalogs(from: Catalog, to: Catalog): Pick<SpecDiff, 'added' | 'removed' | 'changed'> {
  const before = new Map(from.operations.map((op) => [key(op), op]));
  const after = new Map(to.operations.map((op) => [key(op), op]));
  const added = to.operations.filter((op) => !before.has(key(op))).map(summary);
  const removed = from.operations.filter((op) => !after.has(key(op))).map(summary);
  const changed: OperationChange[] = [];
  for (const op of to.operations) {
    const old = before.get(key(op));
    if (!old) continue;
    const changes = operationChanges(old, op);
    if (changes.length > 0) changed.push({ ...summary(op), changes });
  }
  return { added, removed, changed };
}
