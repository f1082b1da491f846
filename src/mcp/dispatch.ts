/**
 * `tools/list` and `tools/call` for a table of tools on a low-level Server. A call may ask to run as a task
 * (MCP 2025-11-25 "Tasks"): for a tool that offers it, the arguments are checked at once, a task is created
 * in the session's task store and returned, and the work goes on; the SDK's Protocol then answers
 * tasks/get, tasks/result, tasks/list and tasks/cancel from that store.
 */
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolRequest,
  type CallToolResult,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CreateTaskResult } from '@modelcontextprotocol/sdk/experimental/tasks';
import type { AnyTool, CallExtras, ToolContext } from './tool.js';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** How often a task's client should poll tasks/get (ms). */
const TASK_POLL_MS = 1000;

function callExtras(extra: Extra, ctx: ToolContext, inTask: boolean): CallExtras {
  const token = extra._meta?.progressToken;
  return {
    signal: extra.signal,
    inTask,
    async progress(progress, total, message) {
      if (token === undefined) return;
      try {
        await extra.sendNotification({
          method: 'notifications/progress',
          params: {
            progressToken: token,
            progress,
            ...(total === undefined ? {} : { total }),
            ...(message === undefined ? {} : { message }),
          },
        });
      } catch (e) {
        // The client may have gone; the work itself goes on.
        ctx.engine.logger.debug({ err: e }, 'mcp: progress notification not delivered');
      }
    },
  };
}

type TaskStore = NonNullable<Extra['taskStore']>;

/** The SDK marks a task cancelled in its store on tasks/cancel; this turns that into an abort signal. */
function watchCancel(store: TaskStore, taskId: string): { signal: AbortSignal; stop(): void } {
  const controller = new AbortController();
  const timer = setInterval(() => {
    store
      .getTask(taskId)
      .then((t) => {
        if (t.status === 'cancelled') controller.abort();
      })
      // A task gone from the store (its TTL ran out) has nobody left to cancel it.
      .catch(() => clearInterval(timer));
  }, TASK_POLL_MS);
  timer.unref();
  return { signal: controller.signal, stop: () => clearInterval(timer) };
}

async function startTask(
  tool: AnyTool,
  request: CallToolRequest,
  extra: Extra,
  ctx: ToolContext,
): Promise<CreateTaskResult> {
  const store = extra.taskStore;
  if (!store) throw new McpError(ErrorCode.InternalError, 'internal: no task store for a task call');
  const parsed = tool.parse(request.params.arguments);
  const task = await store.createTask({ ttl: request.params.task?.ttl ?? null, pollInterval: TASK_POLL_MS });
  if (!parsed.ok) {
    // Bad arguments fail the task at once; the client reads the argument error with tasks/result.
    await store.storeTaskResult(task.taskId, 'failed', parsed.result);
    return { task: await store.getTask(task.taskId) };
  }
  // The task outlives this request, so its work is bound to the server's life and to tasks/cancel instead.
  const cancelled = watchCancel(store, task.taskId);
  const extras = {
    ...callExtras(extra, ctx, true),
    signal: AbortSignal.any([ctx.lifetime, cancelled.signal]),
  };
  void tool
    .run(parsed.args, ctx, extras)
    .then(async (result: CallToolResult) => {
      // A cancelled task is terminal: the SDK's store takes no result for it.
      if (!cancelled.signal.aborted)
        await store.storeTaskResult(task.taskId, result.isError ? 'failed' : 'completed', result);
    })
    .catch((e: unknown) => ctx.engine.logger.error({ err: e, task: task.taskId }, 'mcp: task result lost'))
    .finally(() => cancelled.stop());
  return { task };
}

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
    if (request.params.task) {
      // The spec's answer to a task call of a tool that does not offer tasks.
      if (!tool.tasks)
        throw new McpError(
          ErrorCode.MethodNotFound,
          `tool ${tool.name} does not run as a task; call it without "task"`,
        );
      return startTask(tool, request, extra, ctx);
    }
    const parsed = tool.parse(request.params.arguments);
    if (!parsed.ok) return parsed.result;
    return tool.run(parsed.args, ctx, callExtras(extra, ctx, false));
  });
}
