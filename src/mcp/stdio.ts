/** The stdio transport (`smolmap mcp`): one client, JSON-RPC lines on stdin/stdout, logs on stderr. */
import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Engine } from '../engine/index.js';
import { createChangeHub } from './changes.js';
import { loadMcpConfig, type McpConfig } from './config.js';
import { createSmolmapMcpServer } from './server.js';
import type { JobControl } from './tool.js';

export interface StdioOptions {
  engine: Engine;
  /** The tenant the server acts as (default `local`). */
  tenant?: string;
  /** Default: read from the data directory (config.ts). */
  config?: McpConfig;
  stdin?: Readable;
  stdout?: Writable;
  jobs?: JobControl;
  /** Ends the session early (e.g. on SIGTERM), as the end of stdin does. */
  stop?: Promise<void>;
  /** How often the store is polled for changes made elsewhere (ms). */
  pollMs?: number;
}

/** Serves one client until its end of stdin closes; then closes the server. */
export async function serveStdio(options: StdioOptions): Promise<void> {
  const { engine } = options;
  const stdin = options.stdin ?? process.stdin;
  const config = options.config ?? (await loadMcpConfig(engine.dataDir));
  const hub = createChangeHub(engine, options.pollMs ?? 2000, options.tenant);
  const server = createSmolmapMcpServer({
    engine,
    ...(options.tenant !== undefined && { tenant: options.tenant }),
    config,
    hub,
    localFiles: true,
    ...(options.jobs ? { jobs: options.jobs } : {}),
  });
  // The SDK's stdio transport does not watch for the end of input; the client closing stdin ends the session.
  const ended = new Promise<void>((resolve) => {
    stdin.once('end', resolve);
    stdin.once('close', resolve);
  });
  await server.mcp.connect(new StdioServerTransport(stdin, options.stdout ?? process.stdout));
  engine.logger.info('mcp: serving on stdio');
  await (options.stop ? Promise.race([ended, options.stop]) : ended);
  hub.close();
  await server.close();
}
