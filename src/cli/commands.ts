import type { Command } from './command.js';
import { specCommands } from './spec.js';
import { modelCommands } from './model.js';
import { dataCommands } from './data.js';
import { mcpCommands } from './mcp.js';
import { serveCommands } from './serve.js';
import { trainCommands } from './train.js';
import { jobsCommands } from './jobs.js';
import { generateCommands } from './generate.js';
import { discordCommands } from './discord.js';
import { askCommands } from './ask.js';
import { evalCommands } from './eval.js';
import { modelsCommands } from './models.js';
import { exportCommands } from './export.js';
import { doctorCommands } from './doctor.js';

/**
 * Every CLI command, in help order. Command groups live in src/cli/<group>.ts. Groups import the surfaces'
 * libraries (MCP SDK, discord.js, @slack/bolt) inside `run`/`start`, not at the top: loaded here they cost
 * every command ~1 s of start-up.
 */
export const commands: Command[] = [
  ...specCommands,
  ...modelCommands,
  ...dataCommands,
  ...mcpCommands,
  ...serveCommands,
  ...trainCommands,
  ...jobsCommands,
  ...generateCommands,
  ...discordCommands,
  ...askCommands,
  ...evalCommands,
  ...modelsCommands,
  ...exportCommands,
  ...doctorCommands,
];
