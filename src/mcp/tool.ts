/**
 * The tool table's contract. One zod object schema per tool is the single source of its argument and result
 * types; `tools/list` publishes both as JSON Schema. We answer `tools/list` and `tools/call` ourselves
 * (dispatch.ts, instead of McpServer.registerTool, whose handler turns bad arguments into `isError` results)
 * to keep the MCP error split: a malformed
 * call (unknown tool, arguments that fail the schema) is a JSON-RPC protocol error (-32602, MCP spec
 * "Tools › Error Handling"), while a failure of the work itself is a result with `isError: true` carrying the
 * user-facing `code: message`, so the model can read it and recover.
 */
import { McpError, ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import type { CallToolResult, Tool, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
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
  /** Aborted when the server closes: background work (task calls) stops with it. */
  lifetime: AbortSignal;
  /** Tell every connected client that a resource list changed. */
  changed(kind: ChangeKind): void;
}

/** Per-call extras: cancellation and progress (sent only when the client asked with a progress token). */
export interface CallExtras {
  signal: AbortSignal;
  /** True when the call runs as a task: the client collects the result later, so long work may take its time. */
  inTask: boolean;
  progress(progress: number, total?: number, message?: string): Promise<void>;
}

type AnyObject = z.ZodObject<z.ZodRawShape>;

export interface ToolDef<I extends AnyObject, O extends AnyObject> {
  /** snake_case, at most 64 characters. */
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations?: ToolAnnotations;
  /**
   * Offer the task-based pattern (MCP 2025-11-25 "Tasks", experimental in the SDK): the client may call with
   * `task` and fetch the result later with tasks/get and tasks/result. Such calls run with `extras.inTask`.
   */
  tasks?: boolean;
  run(args: z.output<I>, ctx: ToolContext, extras: CallExtras): Promise<z.input<O>>;
  /** The readable copy of the result that goes into `content` next to `structuredContent`. */
  text(result: z.output<O>): string;
}

/** A tool with its types erased so tools of different shapes sit in one table. */
export interface AnyTool {
  name: string;
  definition: Tool;
  tasks: boolean;
  /** Checks the arguments against the input schema; a mismatch is a protocol error (McpError -32602). */
  parse(args: unknown): unknown;
  /** Runs parsed arguments; a failure becomes an `isError` result. */
  run(parsed: unknown, ctx: ToolContext, extras: CallExtras): Promise<CallToolResult>;
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
    ...(def.tasks ? { execution: { taskSupport: 'optional' as const } } : {}),
  };
  return {
    name: def.name,
    definition,
    tasks: def.tasks === true,
    parse(raw) {
      const parsed = def.input.safeParse(raw ?? {});
      if (!parsed.success)
        throw new McpError(
          ErrorCode.InvalidParams,
          `invalid arguments for ${def.name}: ${issueList(parsed.error)}`,
        );
      return parsed.data;
    },
    async run(parsed, ctx, extras) {
      try {
        // Parsing our own result applies its defaults and catches a drifting facade as an internal error.
        const result = def.output.parse(await def.run(parsed as z.output<I>, ctx, extras));
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
