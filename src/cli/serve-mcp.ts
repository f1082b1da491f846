/** The MCP Streamable HTTP surface of `smolmap serve`. */
import { SmolmapError } from '../engine/index.js';
import { DEFAULT_MCP_HOST } from '../mcp/defaults.js';
import type { ServeSurfaceFactory } from './serve.js';

function port(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535)
    throw new SmolmapError(
      'usage_bad_option',
      `--mcp-port "${value}" is not a port number (0-65535; 0 picks a free one)`,
    );
  return Number(value);
}

const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

export const mcpHttpSurface: ServeSurfaceFactory = {
  name: 'mcp',
  options: {
    'mcp-port': { type: 'string' },
    'mcp-host': { type: 'string' },
    'mcp-allow-origin': { type: 'string', multiple: true },
    'mcp-allow-host': { type: 'string', multiple: true },
    'mcp-no-auth': { type: 'boolean' },
  },
  optionHelp: {
    'mcp-port P': 'serve MCP over Streamable HTTP on this port (endpoint /mcp), as the tenant of --tenant',
    'mcp-host H': `address to bind (default ${DEFAULT_MCP_HOST}; others need $SMOLMAP_MCP_TOKEN)`,
    'mcp-no-auth':
      'on loopback, serve without a bearer token (default: $SMOLMAP_MCP_TOKEN, else one kept in <data-dir>/mcp-token)',
    'mcp-allow-origin O': 'browser Origin allowed besides loopback ones (repeatable)',
    'mcp-allow-host H': 'Host header allowed besides the bound address, e.g. behind a proxy (repeatable)',
  },
  async start(engine, values, { ctx, jobs }) {
    const p = values['mcp-port'];
    if (typeof p !== 'string') {
      if (values['mcp-host'] !== undefined)
        throw new SmolmapError('usage_bad_option', '--mcp-host needs --mcp-port');
      return null;
    }
    const host = typeof values['mcp-host'] === 'string' ? values['mcp-host'] : DEFAULT_MCP_HOST;
    const { startMcpHttp } = await import('../mcp/http.js'); // the MCP SDK loads only when asked for
    const server = await startMcpHttp({
      engine,
      tenant: ctx.tenant,
      port: port(p),
      host,
      allowedOrigins: list(values['mcp-allow-origin']),
      allowedHosts: list(values['mcp-allow-host']),
      noAuth: values['mcp-no-auth'] === true,
      jobs,
    });
    const a = server.auth;
    const auth =
      a.kind === 'token'
        ? 'bearer token required'
        : a.kind === 'none'
          ? 'no token: any local process may call it (--mcp-no-auth)'
          : `bearer token required; ${a.created ? 'generated' : 'kept'} in ${a.file}; ` +
            `clients send "Authorization: Bearer $(cat ${a.file})"`;
    return {
      name: 'mcp',
      description: `${server.url} as tenant ${ctx.tenant} (${auth})`,
      stop: () => server.close(),
    };
  },
};
