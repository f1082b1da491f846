import type { Command } from './command.js';
import { specCommands } from './spec.js';
import { modelCommands } from './model.js';
import { dataCommands } from './data.js';
import { correctCommands } from './correct.js';
import { mcpCommands } from './mcp.js';
import { serveCommands } from './serve.js';
import { workerCommands } from './worker.js';
import { trainCommands } from './train.js';
import { jobsCommands } from './jobs.js';
import { generateCommands } from './generate.js';
import { discordCommands } from './discord.js';
import { askCommands } from './ask.js';
import { chatCommands } from './chat.js';
import { evalCommands } from './eval.js';
import { adapterCommands } from './adapters.js';
import { exportCommands } from './export.js';
import { doctorCommands } from './doctor.js';

export interface CommandGroup {
  title: string;
  commands: Command[];
}

/**
 * Every CLI command, by group, in help order. Command groups live in src/cli/<group>.ts. Groups import the
 * surfaces' libraries (MCP SDK, discord.js, @slack/bolt) inside `run`/`start`, not at the top: loaded here
 * they cost every command ~1 s of start-up.
 */
export const groups: CommandGroup[] = [
  { title: 'Specs', commands: specCommands },
  {
    title: 'Data & training',
    commands: [...dataCommands, ...correctCommands, ...trainCommands, ...jobsCommands],
  },
  {
    title: 'Asking',
    commands: [...askCommands, ...chatCommands, ...evalCommands, ...generateCommands],
  },
  {
    title: 'Adapters & models',
    commands: [...adapterCommands, ...exportCommands, ...modelCommands],
  },
  {
    title: 'Serving',
    commands: [...serveCommands, ...workerCommands, ...mcpCommands, ...discordCommands, ...doctorCommands],
  },
];

export const commands: Command[] = groups.flatMap((g) => g.commands);

/** Old first words that still work: `models` is what `adapters` was called. */
export const ALIASES: Record<string, string> = { models: 'adapters' };
