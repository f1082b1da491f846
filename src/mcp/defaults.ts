/** Constants the CLI needs without loading the MCP SDK (http.ts re-exports them). */

/** Where `smolmap serve --mcp-port` binds unless told otherwise: loopback, so no token is needed. */
export const DEFAULT_MCP_HOST = '127.0.0.1';
