/**
 * Server-side MCP settings: `<dataDir>/mcp.json`, or the file named by `SMOLMAP_MCP_CONFIG`. Only the operator
 * who runs the server writes it; nothing in it comes from the model or the client. Today it holds the
 * `execute_call` switch, its allowlist and caps, and per-spec credentials bound to the base URL they may go to:
 * `specs` are those of the tenant `local`, `tenants.<name>.specs` those of another tenant, so a server acting
 * as one tenant never sends another tenant's credentials.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { SmolmapError } from '../engine/index.js';
import { issueList } from './tool.js';

const SpecAccess = z
  .object({
    baseUrl: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe("base URL to call instead of the spec's first server (e.g. a staging host)"),
    sendCredentialsTo: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('the base URL the headers and query below may be sent to (default baseUrl)'),
    headers: z
      .record(z.string(), z.string())
      .default({})
      .describe('headers added to every call of this spec, e.g. Authorization'),
    query: z
      .record(z.string(), z.string())
      .default({})
      .describe('query parameters added to every call of this spec, e.g. an api_key'),
  })
  .strict()
  // Credentials are bound to a host by the operator: a new spec version cannot redirect them elsewhere.
  .refine(
    (a) =>
      a.baseUrl !== undefined ||
      a.sendCredentialsTo !== undefined ||
      (Object.keys(a.headers).length === 0 && Object.keys(a.query).length === 0),
    {
      message:
        'credentials (headers or query) need the base URL they may go to: set sendCredentialsTo (or baseUrl)',
    },
  );

const ExecuteCall = z
  .object({
    enabled: z.boolean().default(false),
    /** A call's URL must start with one of these (scheme + host + port + path prefix). */
    allowedBaseUrls: z.array(z.url({ protocol: /^https?$/ })).default([]),
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    maxResponseBytes: z
      .number()
      .int()
      .min(1)
      .max(10 * 1024 * 1024)
      .default(256 * 1024),
    specs: z.record(z.string(), SpecAccess).default({}).describe('per spec of the tenant `local`'),
    tenants: z
      .record(z.string(), z.object({ specs: z.record(z.string(), SpecAccess).default({}) }).strict())
      .default({})
      .describe('per spec of other tenants, by tenant name'),
  })
  .strict();

export const McpConfigSchema = z
  .object({
    executeCall: ExecuteCall.default({
      enabled: false,
      allowedBaseUrls: [],
      timeoutMs: 10_000,
      maxResponseBytes: 256 * 1024,
      specs: {},
      tenants: {},
    }),
  })
  .strict();

export type McpConfig = z.output<typeof McpConfigSchema>;

export const CONFIG_FILE = 'mcp.json';

export function defaultMcpConfig(): McpConfig {
  return McpConfigSchema.parse({});
}

/** Reads the config file; a missing file means the defaults (execute_call off). */
export async function loadMcpConfig(dataDir: string): Promise<McpConfig> {
  const file = process.env['SMOLMAP_MCP_CONFIG'] ?? path.join(dataDir, CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !process.env['SMOLMAP_MCP_CONFIG'])
      return defaultMcpConfig();
    throw new SmolmapError('mcp_config_unreadable', `cannot read ${file}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SmolmapError('mcp_bad_config', `${file} is not valid JSON: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const parsed = McpConfigSchema.safeParse(raw);
  if (!parsed.success)
    throw new SmolmapError(
      'mcp_bad_config',
      `${file}: ${issueList(parsed.error)}; see the README section "MCP"`,
    );
  return parsed.data;
}
