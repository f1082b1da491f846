/**
 * One MCP server instance over the engine facade: the tool table, the resources, and list-changed
 * notifications. stdio serves one instance; Streamable HTTP creates one per session (see http.ts).
 */
import { readFileSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { InMemoryTaskStore } from '@modelcontextprotocol/sdk/experimental/tasks';
import { LOCAL_TENANT, type Engine } from '../engine/index.js';
import type { ChangeHub } from './changes.js';
import type { McpConfig } from './config.js';
import { registerSpecResources } from './resources.js';
import { registerRunResources } from './resources-runs.js';
import { installTools } from './dispatch.js';
import type { AnyTool, JobControl, ToolContext } from './tool.js';
import { allTools } from './tools/index.js';

export interface SmolmapMcpOptions {
  engine: Engine;
  /** The tenant the server acts as (default `local`): its tools and resources see only that tenant's records. */
  tenant?: string;
  config: McpConfig;
  hub: ChangeHub;
  jobs?: JobControl;
  /**
   * The client runs on this machine as the operator (stdio): tools that read a path of this machine
   * (import_base_model) are offered. Off for remote clients (Streamable HTTP).
   */
  localFiles?: boolean;
  /** Defaults to every tool the facade supports (tools/index.ts). */
  tools?: AnyTool[];
}

export interface SmolmapMcpServer {
  readonly mcp: McpServer;
  /** Closes the server and stops listening for store changes. */
  close(): Promise<void>;
}

const INSTRUCTIONS = [
  'smolmap turns a task in plain words into a precise call of an HTTP API described by an OpenAPI spec.',
  'Find the spec with list_specs (or add one with add_spec), inspect it with describe_spec,',
  'then ask map_task for the call. map_task answers untrained from a base model (list_base_models;',
  'pull_base_model fetches one) and much better once train_model has trained an adapter for the spec.',
].join(' ');

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function createSmolmapMcpServer(options: SmolmapMcpOptions): SmolmapMcpServer {
  const { engine, config, hub } = options;
  // Task results live as long as the session (the SDK's in-memory store; TTLs come from the client).
  const taskStore = new InMemoryTaskStore();
  const mcp = new McpServer(
    { name: 'smolmap', title: 'smolmap', version: version() },
    {
      instructions: INSTRUCTIONS,
      taskStore,
      // Long work reports through notifications/progress and tasks, so no `logging` capability is declared.
      capabilities: { tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } },
    },
  );
  const lifetime = new AbortController();
  const tenant = options.tenant ?? LOCAL_TENANT;
  const ctx: ToolContext = {
    engine,
    tenant,
    lifetime: lifetime.signal,
    config,
    changed: (kind) => hub.emit(kind),
    ...(options.jobs ? { jobs: options.jobs } : {}),
  };
  installTools(
    mcp.server,
    options.tools ?? allTools(config, { localFiles: options.localFiles === true }),
    ctx,
  );
  registerSpecResources(mcp, engine, tenant);
  registerRunResources(mcp, engine, tenant);
  const unsubscribe = hub.on(() => {
    if (mcp.isConnected()) mcp.sendResourceListChanged();
  });
  return {
    mcp,
    async close() {
      unsubscribe();
      lifetime.abort();
      taskStore.cleanup();
      await mcp.close();
    },
  };
}
