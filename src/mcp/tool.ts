/**
 * The tool table's contract. One zod object schema per tool is the single source of its argument and result
 * types; `tools/list` publishes both as JSON Schema. We answer `tools/list` and `tools/call` ourselves
 * (dispatch.ts) for the task-based calls; the error split is the one MCP 2025-11-25 sets ("Tools › Error
 * Handling", SEP-1303) and McpServer follows: an unknown tool is a JSON-RPC protocol error, while arguments that
 * fail the schema and failures of the work itself are results with `isError: true` carrying `code: message`,
 * so the model can read which field is wrong, fix its call and try again.
 */
import { McpError } from '@modelcontextprotocol/sdk/types.js';
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
  /** The tenant this server acts as: every tool sees and changes only its specs, adapters, jobs and asks. */
  tenant: string;
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
  /** Checks the arguments against the input schema; a mismatch comes back as the `isError` result to send. */
  parse(args: unknown): { ok: true; args: unknown } | { ok: false; result: CallToolResult };
  /** Runs parsed arguments; a failure becomes an `isError` result. */
  run(parsed: unknown, ctx: ToolContext, extras: CallExtras): Promise<CallToolResult>;
}

const NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** `path: message` per zod issue, on one line. */
export function issueList(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(arguments)'}: ${i.message}`).join('; ');
}

interface SchemaNode {
  description?: string;
  properties?: Record<string, SchemaNode>;
}

/** The input schema's node at a zod issue path (object properties only), or null past them. */
function nodeAt(schema: SchemaNode, at: readonly PropertyKey[]): SchemaNode | null {
  let node: SchemaNode | undefined = schema;
  for (const key of at) node = typeof key === 'string' ? node?.properties?.[key] : undefined;
  return node ?? null;
}

/**
 * The `isError` result for arguments that fail the schema: each offending field with what it expects (its
 * description from the input schema; the allowed keys for an unknown one) and what was wrong, so the model can
 * correct that field and call again.
 */
export function argumentError(
  tool: string,
  inputSchema: Tool['inputSchema'],
  error: z.ZodError,
): CallToolResult {
  const schema = inputSchema as SchemaNode;
  const fields = error.issues.map((i) => {
    const node = nodeAt(schema, i.path);
    const expects = i.path.length > 0 ? node?.description : undefined;
    const allowed =
      i.code === 'unrecognized_keys' && node?.properties
        ? ` (allowed: ${Object.keys(node.properties).join(', ')})`
        : '';
    const where = i.path.join('.') || 'arguments';
    return `${where}: ${i.message}${allowed}${expects ? `; expected ${expects}` : ''}`;
  });
  const text = `tool_bad_arguments: ${tool} was called with invalid arguments. ${fields.join('. ')}. Fix ${fields.length === 1 ? 'that field' : 'those fields'} and call ${tool} again (tools/list has its inputSchema).`;
  return { content: [{ type: 'text', text }], isError: true };
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
      return parsed.success
        ? { ok: true, args: parsed.data }
        : { ok: false, result: argumentError(def.name, definition.inputSchema, parsed.error) };
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
