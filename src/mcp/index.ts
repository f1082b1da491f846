/** The MCP surface: named exports only. */
export { createSmolmapMcpServer, type SmolmapMcpOptions, type SmolmapMcpServer } from './server.js';
export { serveStdio, type StdioOptions } from './stdio.js';
export {
  startMcpHttp,
  isLoopback,
  DEFAULT_MCP_HOST,
  type McpHttpOptions,
  type McpHttpServer,
} from './http.js';
export { loadMcpConfig, defaultMcpConfig, McpConfigSchema, CONFIG_FILE, type McpConfig } from './config.js';
export { createChangeHub, type ChangeHub } from './changes.js';
export { allTools } from './tools/index.js';
export { lazyJobRunner, type LazyJobRunner } from './runner.js';
export {
  defineTool,
  type AnyTool,
  type ToolDef,
  type ToolContext,
  type CallExtras,
  type ChangeKind,
  type JobControl,
} from './tool.js';
