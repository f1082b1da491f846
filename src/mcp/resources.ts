/**
 * Resources: `smolmap://specs/{name}` (the stored document), `smolmap://specs/{name}/operations`,
 * plus models and jobs when the facade offers them (see resources-runs.ts). Reads go through the facade; a
 * resource that does not exist is a protocol error, since resources/read has no error result.
 */
import { ErrorCode, McpError, type ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { getSpec, listSpecs, toSmolmapError, type Engine } from '../engine/index.js';

/** Runs a read, turning a coded failure into a protocol error that carries the code and message. */
export async function readOrFail(
  engine: Engine,
  read: () => Promise<ReadResourceResult>,
): Promise<ReadResourceResult> {
  try {
    return await read();
  } catch (e) {
    if (e instanceof McpError) throw e;
    const err = toSmolmapError(e);
    if (err.code === 'internal') engine.logger.error({ err: e }, 'resource read failed');
    throw new McpError(ErrorCode.InvalidParams, err.toLine(), { code: err.code });
  }
}

/** One template variable as a single string (RFC 6570 explode can yield arrays; ours never should). */
export function variable(value: string | string[] | undefined, name: string): string {
  if (typeof value !== 'string' || value === '')
    throw new McpError(ErrorCode.InvalidParams, `the resource URI needs one {${name}}`);
  return decodeURIComponent(value);
}

export function jsonContents(uri: URL, value: unknown): ReadResourceResult {
  return {
    contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(value, null, 2) }],
  };
}

/** The spec resources of one tenant. */
export function registerSpecResources(server: McpServer, engine: Engine, tenant: string): void {
  const names = async () => (await listSpecs(engine, { tenant })).map((s) => s.name);
  const complete = { name: async (prefix: string) => (await names()).filter((n) => n.startsWith(prefix)) };

  // The operations template goes first: templates are matched in registration order.
  server.registerResource(
    'spec-operations',
    new ResourceTemplate('smolmap://specs/{name}/operations', {
      list: async () => ({
        resources: (await listSpecs(engine, { tenant })).map((s) => ({
          uri: `smolmap://specs/${s.name}/operations`,
          name: `${s.name} operations`,
          description: `${s.operations} operations of ${s.title} (v${s.version})`,
          mimeType: 'application/json',
        })),
      }),
      complete,
    }),
    {
      title: 'Operations of a spec',
      description: "The latest version's operation catalog: methods, paths, parameters and body schemas.",
      mimeType: 'application/json',
    },
    (uri, vars) =>
      readOrFail(engine, async () => {
        const { version, catalog } = await getSpec(engine, variable(vars['name'], 'name'), { tenant });
        return jsonContents(uri, { version: version.version, operations: catalog.operations });
      }),
  );

  server.registerResource(
    'spec',
    new ResourceTemplate('smolmap://specs/{name}', {
      list: async () => ({
        resources: (await listSpecs(engine, { tenant })).map((s) => ({
          uri: `smolmap://specs/${s.name}`,
          name: s.name,
          title: s.title,
          description: `${s.title}, version ${s.version} as stored`,
        })),
      }),
      complete,
    }),
    {
      title: 'Spec document',
      description: 'The OpenAPI document exactly as added (latest version), JSON or YAML.',
    },
    (uri, vars) =>
      readOrFail(engine, async () => {
        const { version } = await getSpec(engine, variable(vars['name'], 'name'), { tenant });
        const text = (await engine.store.readFile(version.document)).toString('utf8');
        const mimeType = version.document.path.endsWith('.json') ? 'application/json' : 'application/yaml';
        return { contents: [{ uri: uri.href, mimeType, text }] };
      }),
  );
}
