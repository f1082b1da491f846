import type { Catalog, JsonSchema } from '../specs/types.js';
import type { TaskExample } from './types.js';

/** What `data show` prints: examples per operation, parameter coverage, task lengths, splits and samples. */
export interface DatasetReport {
  examples: number;
  splits: { train: number; validation: number };
  perOperation: { method: string; path: string; operationId: string | null; examples: number }[];
  /** Declared parameters and top-level body fields, and how many examples state each. */
  parameterCoverage: {
    operation: string;
    location: 'path' | 'query' | 'body';
    name: string;
    examples: number;
  }[];
  /** Share of declared parameters/body fields stated by at least one example. */
  parameterCoverageRate: number;
  length: { words: Quantiles; chars: Quantiles };
  samples: string[];
}

export interface Quantiles {
  min: number;
  p50: number;
  p90: number;
  max: number;
  mean: number;
}

function quantiles(xs: number[]): Quantiles {
  if (xs.length === 0) return { min: 0, p50: 0, p90: 0, max: 0, mean: 0 };
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))] as number;
  return {
    min: s[0] as number,
    p50: q(0.5),
    p90: q(0.9),
    max: s[s.length - 1] as number,
    mean: Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10,
  };
}

const bodyKeys = (body: unknown): string[] => {
  const first = Array.isArray(body) ? body[0] : body;
  return first !== null && typeof first === 'object' ? Object.keys(first) : [];
};

export function datasetStats(examples: TaskExample[], catalog: Catalog, nSamples = 10): DatasetReport {
  const perOperation = catalog.operations.map((op) => ({
    method: op.method,
    path: op.path,
    operationId: op.operationIdDerived ? null : op.operationId,
    examples: examples.filter((e) => e.expected.method === op.method && e.expected.path === op.path).length,
  }));
  const parameterCoverage: DatasetReport['parameterCoverage'] = [];
  for (const op of catalog.operations) {
    const mine = examples.filter((e) => e.expected.method === op.method && e.expected.path === op.path);
    const key = `${op.method} ${op.path}`;
    for (const p of op.parameters) {
      if (p.in !== 'path' && p.in !== 'query') continue;
      const n = mine.filter(
        (e) => p.name in (p.in === 'path' ? e.expected.pathParams : e.expected.query),
      ).length;
      parameterCoverage.push({ operation: key, location: p.in, name: p.name, examples: n });
    }
    const schema = op.requestBody?.schema;
    const items = schema?.type === 'array' ? schema.items : schema;
    // readOnly fields (server-assigned ids, statuses) are never sent, so they do not count as coverable.
    const writable = (ps: Record<string, JsonSchema> | undefined): string[] =>
      Object.entries(ps ?? {})
        .filter(([, s]) => !s.readOnly)
        .map(([k]) => k);
    const props = new Set<string>([
      ...writable(items?.properties),
      ...(items?.allOf ?? []).flatMap((s) => writable(s.properties)),
    ]);
    for (const name of props) {
      const n = mine.filter((e) => bodyKeys(e.expected.body).includes(name)).length;
      parameterCoverage.push({ operation: key, location: 'body', name, examples: n });
    }
  }
  const covered = parameterCoverage.filter((c) => c.examples > 0).length;
  const step = Math.max(1, Math.floor(examples.length / nSamples));
  return {
    examples: examples.length,
    splits: {
      train: examples.filter((e) => e.meta.split === 'train').length,
      validation: examples.filter((e) => e.meta.split === 'validation').length,
    },
    perOperation,
    parameterCoverage,
    parameterCoverageRate: parameterCoverage.length === 0 ? 1 : covered / parameterCoverage.length,
    length: {
      words: quantiles(examples.map((e) => e.task.split(/\s+/).length)),
      chars: quantiles(examples.map((e) => e.task.length)),
    },
    samples: examples
      .filter((_, i) => i % step === 0)
      .slice(0, nSamples)
      .map((e) => e.task),
  };
}
