/**
 * The tool table's contract. One zod object schema per tool is the single source of its argument and result
 * types; `tools/list` publishes both as JSON Schema. We answer `tools/list` and `tools/call` ourselves
 * (instead of McpServer.registerTool) to keep the MCP error split the STYLE.md anchor asks for: a malformed
 * call (unknown tool, arguments that fail the schema) is a JSON-RPC protocol error (-32602, MCP spec
 * "Tools › Error Handling"), while a failure of the work itself is a result with `isError: true` carrying the
 * user-facing `code: message`, so the model can read it and recover.
 */
import {
  McpError,
  ErrorCode,
  CallToolRequestSchema,
  ListToolsRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type {
  CallToolResult,
  ServerNotification,
  ServerRequest,
  Tool,
  ToolAnnotations,
} from '@modelcontextprotocol/sdk/types.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { z } from 'zod';
import { toSmolmapError, type Engine } from '../engine/index.js';
import type { McpConfig } from './config.js';

/** What changed in the store; the server turns it into `notifications/resources/list_changed`. */
export type ChangeKind = 'specs' | 'models' | 'jobs';

/** The job runner of this process, when it has one (src/jobs/runner.ts fits this shape). */
export interface JobControl {
  /** Start queued jobs now. */
  pump(): unknown;
  /** Ask a running job of this process to stop at its next step. */
  stop(jobId: string): unknown;
}

export interface ToolContext {
  engine: Engine;
  config: McpConfig;
  /** Absent when another process runs the jobs; they are then picked up from the store. */
  jobs?: JobControl;
  /** Tell every connected client that a resource list changed. */
  changed(kind: ChangeKind): void;
}

/** Per-call extras: cancellation and progress (sent only when the client asked with a progress token). */
export interface CallExtras {
  signal: AbortSignal;
  /** Whether the client sent a progress token (long tools may then wait and report). */
  wantsProgress: boolean;
  progress(progress: number, total?: number, message?: string): Promise<void>;
}

type AnyObject = z.ZodObject<z.ZodRawShape>;

export interface ToolDef<I extends AnyObject, O extends AnyObject> {
  /** snake_case, at most 64 characters (issue 8). */
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations?: ToolAnnotations;
  run(args: z.output<I>, ctx: ToolContext, extras: CallExtras): Promise<z.input<O>>;
  /** The readable copy of the result that goes into `content` next to `structuredContent`. */
  text(result: z.output<O>): string;
}

/** A tool with its types erased so tools of different shapes sit in one table. */
export interface AnyTool {
  name: string;
  definition: Tool;
  call(args: unknown, ctx: ToolContext, extras: CallExtras): Promise<CallToolResult>;
}

const NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** `path: message` per zod issue, on one line (it becomes a JSON-RPC error message). */
export function issueList(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(arguments)'}: ${i.message}`).join('; ');
}

function jsonSchema(schema: AnyObject, io: 'input' | 'output'): Tool['inputSchema'] {
  return z.toJSONSchema(schema, { target: 'draft-7', io }) as Tool['inputSchema'];
}

export function defineTool<I extends AnyObject, O extends AnyObject>(def: ToolDef<I, O>): AnyTool {
  if (!NAME.test(def.name)) throw new Error(`internal: tool name "${def.name}" breaks the naming rule`);
  const definition: Tool = {
    name: def.name,
    title: def.title,
    description: def.description,
    inputSchema: jsonSchema(def.input, 'input'),
    outputSchema: jsonSchema(def.output, 'output'),
    ...(def.annotations ? { annotations: def.annotations } : {}),
  };
  return {
    name: def.name,
    definition,
    async call(raw, ctx, extras) {
      const parsed = def.input.safeParse(raw ?? {});
      if (!parsed.success)
        throw new McpError(
          ErrorCode.InvalidParams,
          `invalid arguments for ${def.name}: ${issueList(parsed.error)}`,
        );
      try {
        // Parsing our own result applies its defaults and catches a drifting facade as an internal error.
        const result = def.output.parse(await def.run(parsed.data, ctx, extras));
        return {
          content: [{ type: 'text', text: def.text(result) }],
          structuredContent: result as Record<string, unknown>,
        };
      } catch (e) {
        if (e instanceof McpError) throw e;
        const err = toSmolmapError(e);
        if (err.code === 'internal') ctx.engine.logger.error({ err: e, tool: def.name }, 'tool failed');
        return { content: [{ type: 'text', text: err.toLine() }], isError: true };
      }
    },
  };
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

function callExtras(extra: Extra): CallExtras {
  const token = extra._meta?.progressToken;
  return {
    signal: extra.signal,
    wantsProgress: token !== undefined,
    async progress(progress, total, message) {
      if (token === undefined) return;
      await extra.sendNotification({
        method: 'notifications/progress',
        params: {
          progressToken: token,
          progress,
          ...(total === undefined ? {} : { total }),
          ...(message === undefined ? {} : { message }),
        },
      });
    },
  };
}

/** Installs `tools/list` and `tools/call` on a low-level Server for this table of tools. */
export function installTools(server: Server, tools: AnyTool[], ctx: ToolContext): void {
  const byName = new Map(tools.map((t) => [t.name, t]));
  if (byName.size !== tools.length) throw new Error('internal: two tools share a name');
  server.registerCapabilities({ tools: { listChanged: false } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: tools.map((t) => t.definition) }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const tool = byName.get(request.params.name);
    if (!tool)
      throw new McpError(
        ErrorCode.InvalidParams,
        `unknown tool "${request.params.name}"; tools/list shows the available tools`,
      );
    return tool.call(request.params.arguments, ctx, callExtras(extra));
  });
}
