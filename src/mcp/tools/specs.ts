/** Spec registry tools: list_specs, describe_spec, add_spec, remove_spec. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { addSpec, getSpec, listSpecs, removeSpec, type Operation } from '../../engine/index.js';
import { defineTool, type AnyTool } from '../tool.js';
import { specName, specVersion } from './common.js';

const SpecRow = z.object({
  name: z.string().describe('spec name, used as `spec` by the other tools'),
  version: z.number().int().describe('latest version number'),
  title: z.string().describe("the API's title"),
  operations: z.number().int().describe('number of operations in the latest version'),
  versions: z.array(z.number().int()).describe('every stored version number'),
});

const listSpecsTool = defineTool({
  name: 'list_specs',
  title: 'List API specs',
  description:
    'Lists the OpenAPI specs smolmap knows (latest version of each). Start here to find a spec name.',
  input: z.object({}).strict(),
  output: z.object({ specs: z.array(SpecRow).describe('stored specs, by name') }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run(_args, { engine, tenant }) {
    const specs = await listSpecs(engine, { tenant });
    return {
      specs: specs.map(({ name, version, title, operations, versions }) => ({
        name,
        version,
        title,
        operations,
        versions,
      })),
    };
  },
  text: ({ specs }) =>
    specs.length === 0
      ? 'No specs yet; add one with add_spec.'
      : specs.map((s) => `${s.name} v${s.version}: ${s.title} (${s.operations} operations)`).join('\n'),
});

const ParameterRow = z.object({
  name: z.string().describe('parameter name'),
  in: z.string().describe('path, query, header or cookie'),
  required: z.boolean().describe('whether a call must carry it'),
  description: z.string().nullable().describe("the spec's description, if any"),
  schema: z.record(z.string(), z.unknown()).describe('JSON Schema of the value'),
});

const OperationRow = z.object({
  operationId: z.string().describe('operation id (derived by smolmap when the spec has none)'),
  method: z.string().describe('HTTP method'),
  path: z.string().describe('path template, e.g. /pet/{petId}'),
  summary: z.string().nullable().describe("the spec's summary, if any"),
  parameters: z.array(ParameterRow).describe('path, query, header and cookie parameters'),
  requestBody: z
    .object({
      contentType: z.string().describe('media type the body is sent as'),
      required: z.boolean().describe('whether a body is required'),
      schema: z.record(z.string(), z.unknown()).nullable().describe('JSON Schema of the body'),
    })
    .nullable()
    .describe('request body, or null when the operation takes none'),
});

function operationRow(op: Operation): z.input<typeof OperationRow> {
  return {
    operationId: op.operationId,
    method: op.method,
    path: op.path,
    summary: op.summary ?? null,
    parameters: op.parameters.map((p) => ({
      name: p.name,
      in: p.in,
      required: p.required,
      description: p.description ?? null,
      schema: p.schema,
    })),
    requestBody: op.requestBody && {
      contentType: op.requestBody.contentType,
      required: op.requestBody.required,
      schema: op.requestBody.schema,
    },
  };
}

const describeSpecTool = defineTool({
  name: 'describe_spec',
  title: 'Describe an API spec',
  description:
    'Shows one spec version: title, servers and every operation with its parameters and body schema.',
  input: z.object({ spec: specName, version: specVersion }).strict(),
  output: z.object({
    name: z.string().describe('spec name'),
    version: z.number().int().describe('version shown'),
    title: z.string().describe("the API's title"),
    apiVersion: z.string().describe("the API's own version (info.version)"),
    servers: z.array(z.string()).describe('base URLs'),
    operations: z.array(OperationRow).describe('every operation'),
  }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run({ spec, version }, { engine, tenant }) {
    const details = await getSpec(engine, spec, { tenant, ...(version === undefined ? {} : { version }) });
    const { catalog } = details;
    return {
      name: spec,
      version: details.version.version,
      title: catalog.title,
      apiVersion: catalog.apiVersion,
      servers: catalog.servers,
      operations: catalog.operations.map(operationRow),
    };
  },
  text: (r) =>
    [
      `${r.name} v${r.version}: ${r.title} ${r.apiVersion}`,
      `servers: ${r.servers.join(', ') || '(none)'}`,
      ...r.operations.map((op) => {
        const params = op.parameters.map((p) => `${p.in}:${p.name}${p.required ? '*' : ''}`).join(', ');
        const body = op.requestBody ? ` body:${op.requestBody.contentType}` : '';
        return `${op.method} ${op.path} (${op.operationId})${op.summary ? ` ${op.summary}` : ''}${params ? ` [${params}]` : ''}${body}`;
      }),
    ].join('\n'),
});

/** Inline documents this large are refused before they reach the parser (the registry caps files at 10 MiB). */
const MAX_INLINE_BYTES = 10 * 1024 * 1024;

const addSpecTool = defineTool({
  name: 'add_spec',
  title: 'Add an API spec',
  description:
    'Adds an OpenAPI 2.0/3.0/3.1 spec, given inline (JSON or YAML text) or as an http(s) URL. A new version is stored only when the content changed.',
  input: z
    .object({
      content: z
        .string()
        .min(1)
        .max(MAX_INLINE_BYTES)
        .optional()
        .describe('the spec document itself, JSON or YAML (give this or url)'),
      url: z
        .url({ protocol: /^https?$/ })
        .optional()
        .describe('http(s) URL to fetch the spec from (give this or content)'),
      name: specName
        .optional()
        .describe("name to store it under (default: the URL's file name or the title)"),
    })
    .strict()
    .refine((a) => (a.content === undefined) !== (a.url === undefined), {
      message: 'give exactly one of content or url',
    }),
  output: z.object({
    name: z.string().describe('the spec name to use with the other tools'),
    version: z.number().int().describe('version number now latest'),
    created: z.boolean().describe('false when the content equals the latest stored version'),
    title: z.string().describe("the API's title"),
    operations: z.number().int().describe('number of operations'),
    servers: z.array(z.string()).describe('base URLs'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async run({ content, url, name }, { engine, tenant, changed }) {
    const opts = { tenant, ...(name === undefined ? {} : { name }) };
    const result =
      url !== undefined ? await addSpec(engine, url, opts) : await addInline(engine, content!, opts);
    if (result.created) changed('specs');
    const { version, created, title, operations, servers } = result;
    return { name: result.name, version, created, title, operations, servers };
  },
  text: (r) =>
    `${r.created ? 'Added' : 'Unchanged:'} ${r.name} v${r.version}: ${r.title} (${r.operations} operations)`,
});

/**
 * The registry ingests files and URLs; inline text goes through a private temp file. Its base name is
 * generic ("openapi"), so without an explicit name the spec is named after its title.
 */
async function addInline(
  engine: Parameters<typeof addSpec>[0],
  content: string,
  opts: Parameters<typeof addSpec>[2],
): ReturnType<typeof addSpec> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'smolmap-mcp-'));
  const file = path.join(dir, content.trimStart().startsWith('{') ? 'openapi.json' : 'openapi.yaml');
  try {
    await writeFile(file, content, { mode: 0o600 });
    return await addSpec(engine, file, opts);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const removeSpecTool = defineTool({
  name: 'remove_spec',
  title: 'Remove an API spec',
  description:
    'Removes a stored spec (every version, or only `version`) and its stored documents. Trained models, datasets and history of the spec stay.',
  input: z
    .object({
      spec: specName,
      version: specVersion.describe('remove only this version (default: every version)'),
    })
    .strict(),
  output: z.object({
    name: z.string().describe('spec name'),
    removed: z.array(z.number().int()).describe('versions removed'),
    remaining: z.array(z.number().int()).describe('versions left; empty when the whole spec is gone'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  async run({ spec, version }, { engine, tenant, changed }) {
    const r = await removeSpec(engine, spec, { tenant, ...(version === undefined ? {} : { version }) });
    changed('specs');
    return r;
  },
  text: (r) =>
    `Removed ${r.name} v${r.removed.join(', v')}${r.remaining.length ? `; left: v${r.remaining.join(', v')}` : ''}`,
});

export const specTools: AnyTool[] = [listSpecsTool, describeSpecTool, addSpecTool, removeSpecTool];
