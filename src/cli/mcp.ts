/** `smolmap mcp`: the stdio MCP server. Claude Desktop and other clients spawn it. */
import { lazyJobRunner } from '../mcp/runner.js';
import { SmolmapError } from '../engine/index.js';
import { defineCommand, type Command } from './command.js';
import { DEFAULT_QUANT_HELP, QUANT_HELP, checkQuantOption } from './mapper-options.js';

const mcp = defineCommand<never>({
  name: 'mcp',
  summary:
    'serve the MCP tools and resources on stdin/stdout (for Claude Desktop and other MCP clients), as one tenant (--tenant)',
  args: '',
  options: { quant: { type: 'string' } },
  optionHelp: { [QUANT_HELP]: DEFAULT_QUANT_HELP },
  async run(ctx, positionals, values) {
    if (positionals.length > 0)
      throw new SmolmapError('usage_bad_arguments', '`smolmap mcp` takes no arguments');
    if (ctx.json)
      throw new SmolmapError('usage_bad_option', '`smolmap mcp` speaks JSON-RPC on stdout; drop --json');
    const quant = checkQuantOption(values);
    const engine = await ctx.engine({ quant: quant ?? 'auto' });
    const jobs = lazyJobRunner(engine);
    // A client that ends the server by signal still gets its running job checkpointed and the lock released.
    const stop = new Promise<void>((resolve) => {
      process.once('SIGTERM', () => resolve());
      process.once('SIGINT', () => resolve());
    });
    // The MCP SDK loads only for this command (CLI start-up: see commands.ts).
    const { serveStdio } = await import('../mcp/stdio.js');
    try {
      await serveStdio({ engine, jobs, stop, tenant: ctx.tenant });
    } finally {
      await jobs.close();
    }
    await engine.close();
    // stdout belonged to the protocol: exit here so the CLI prints nothing after the last message.
    process.exit(0);
  },
  human: () => '',
});

export const mcpCommands: Command[] = [mcp];
