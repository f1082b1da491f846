/**
 * execute_call: registered only when mcp.json enables it. Dry-run by default: the preview shows
 * what would be sent (credentials redacted); `execute: true` sends it under the operator's caps.
 */
import { z } from 'zod';
import {
  HTTP_METHODS,
  executeConfigFor,
  getSpec,
  prepareCall,
  sendCall,
  type ApiCall,
} from '../../engine/index.js';
import { defineTool, type AnyTool } from '../tool.js';
import { specName } from './common.js';

const stringMap = z.record(z.string(), z.string());

export const CallInput = z
  .object({
    operationId: z
      .string()
      .nullable()
      .default(null)
      .describe('operation id (informative; method + path decide)'),
    method: z.enum(HTTP_METHODS).describe('HTTP method'),
    path: z.string().startsWith('/').describe("the spec's path template, e.g. /pet/{petId}"),
    pathParams: stringMap.default({}).describe('values of the path template placeholders'),
    query: z
      .record(z.string(), z.union([z.string(), z.array(z.string())]))
      .default({})
      .describe('query parameters (arrays for array parameters)'),
    headers: stringMap
      .default({})
      .describe('extra headers; credentials are never taken from here (the server adds its own)'),
    body: z.unknown().default(null).describe('request body, or null'),
    url: z.string().optional().describe('ignored: the URL is rebuilt from the spec and server config'),
  })
  .describe('an ApiCall, as map_task returns it');

const executeCallTool = defineTool({
  name: 'execute_call',
  title: 'Execute an API call',
  description:
    "Sends an API call of a stored spec to the API. Dry-run by default: returns the request that would be sent (credentials redacted). With execute: true it is sent, but only to base URLs the server operator allowed, with the operator's credentials, and with size and time caps.",
  input: z
    .object({
      spec: specName,
      call: CallInput,
      execute: z.boolean().default(false).describe('send the request (default false: preview only)'),
    })
    .strict(),
  output: z.object({
    dryRun: z.boolean().describe('true when nothing was sent'),
    request: z
      .object({
        method: z.string().describe('HTTP method'),
        url: z.string().describe('URL (configured credentials redacted)'),
        curl: z.string().describe('the same request as a curl command (credentials redacted)'),
        body: z.string().nullable().describe('encoded request body, or null'),
      })
      .describe('what is (or would be) sent'),
    response: z
      .object({
        status: z.number().int().describe('HTTP status'),
        headers: z.record(z.string(), z.string()).describe('selected response headers'),
        body: z.string().describe('response body as text (cut at the size cap)'),
        bytes: z.number().int().describe('bytes of body returned'),
        truncated: z.boolean().describe('true when the body was cut at the size cap'),
        durationMs: z.number().describe('time to the last byte read'),
      })
      .nullable()
      .describe('the response, or null on a dry run'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  async run({ spec, call, execute }, { engine, tenant, config }, extras) {
    const { catalog } = await getSpec(engine, spec, { tenant });
    const apiCall: ApiCall = { ...call, url: '' };
    const prepared = prepareCall(spec, apiCall, catalog, executeConfigFor(config.executeCall, tenant));
    const request = {
      method: prepared.method,
      url: prepared.shownUrl,
      curl: prepared.curl,
      body: prepared.body,
    };
    if (!execute) return { dryRun: true, request, response: null };
    return {
      dryRun: false,
      request,
      response: await sendCall(prepared, config.executeCall, extras.signal, engine.net),
    };
  },
  text: (r) =>
    r.response === null
      ? `Dry run (nothing sent; call again with execute: true to send):\n${r.request.curl}`
      : `${r.request.method} ${r.request.url} → ${r.response.status} (${r.response.bytes} bytes${r.response.truncated ? ', truncated' : ''}, ${r.response.durationMs} ms)\n${r.response.body}`,
});

export const executeTools: AnyTool[] = [executeCallTool];
