/** generate_dataset: synthesise task → call examples for a stored spec. */
import { z } from 'zod';
import { generateData } from '../../engine/index.js';
import { defineTool, type AnyTool } from '../tool.js';
import { specName, specVersion } from './common.js';

const generateDatasetTool = defineTool({
  name: 'generate_dataset',
  title: 'Generate a training dataset',
  description:
    'Synthesises task → API call examples for a stored spec and stores them as a dataset (its id can be given to train_model or evaluate). Same spec, count and seed give the same dataset.',
  input: z
    .object({
      spec: specName,
      version: specVersion,
      count: z
        .number()
        .int()
        .min(1)
        .max(100_000)
        .optional()
        .describe('number of examples (default: scaled to the number of operations)'),
      seed: z.number().int().min(0).optional().describe('random seed (default 1)'),
    })
    .strict(),
  output: z.object({
    dataset: z.string().describe('dataset id'),
    examples: z.number().int().describe('examples stored'),
    operationsCovered: z.number().int().describe('operations with at least one example'),
    spec: z
      .object({ name: z.string().describe('spec name'), version: z.number().int().describe('spec version') })
      .describe('the spec version the examples were made from'),
    skipped: z
      .array(
        z.object({
          operationId: z.string().describe('operation left out'),
          reason: z.string().describe('why no task could be made for it'),
        }),
      )
      .describe('operations no example could be made for'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run({ spec, version, count, seed }, { engine, tenant }) {
    const r = await generateData(engine, {
      spec,
      tenant,
      ...(version === undefined ? {} : { version }),
      ...(count === undefined ? {} : { count }),
      ...(seed === undefined ? {} : { seed }),
    });
    return {
      dataset: r.dataset,
      examples: r.examples,
      operationsCovered: r.operationsCovered,
      spec: r.spec,
      skipped: r.skipped.map((s) => ({ operationId: s.operationId, reason: s.reason })),
    };
  },
  text: (r) =>
    `Dataset ${r.dataset}: ${r.examples} examples covering ${r.operationsCovered} operations of ${r.spec.name} v${r.spec.version}` +
    (r.skipped.length
      ? `\nskipped: ${r.skipped.map((s) => `${s.operationId} (${s.reason})`).join('; ')}`
      : ''),
});

export const dataTools: AnyTool[] = [generateDatasetTool];
