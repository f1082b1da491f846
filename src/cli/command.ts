import type { ParseArgsConfig } from 'node:util';
import type { Engine, QuantRequest } from '../engine/index.js';

/** The options every command takes. */
export interface GlobalOptions {
  dataDir: string;
  modelsDir: string;
  json: boolean;
  /** The tenant the command acts as (`--tenant`, else `$SMOLMAP_TENANT`, else `local`), validated. */
  tenant: string;
}

export interface CommandContext extends GlobalOptions {
  /** Opened lazily: `--help` and argument errors must not touch the store. */
  /** The process's one Engine, opened on first use; `quant` (serve, mcp) applies only to that first open. */
  engine(options?: { quant?: QuantRequest }): Promise<Engine>;
  /** Human-mode progress and streaming text; goes to stderr in `--json` mode so stdout stays one document. */
  progress(text: string): void;
  /** Shows that slow work runs (a spinner on a terminal's stderr); call the result when it is done. */
  busy?(text: string): () => void;
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/**
 * One CLI command. `run` returns the JSON document of `--json`; `human` renders the same result for people.
 * Commands validate their own arguments (throwing SmolmapError `usage_*`) before calling the engine.
 */
export interface Command<R = unknown> {
  /** Words after `smolmap`, e.g. `spec add`. */
  name: string;
  summary: string;
  /** Positional part of the usage line, e.g. `<file|url>`. */
  args: string;
  /** Options the command cannot run without; the usage line shows them (`smolmap ask --spec S …`). */
  required?: string[];
  options: OptionSpec;
  /** One line per option for the help text, keyed by option name. */
  optionHelp: Record<string, string>;
  run(ctx: CommandContext, positionals: string[], values: OptionValues): Promise<R>;
  human(result: R): string;
}

/** Erases a command's result type so commands of different types sit in one table. */
export function defineCommand<R>(c: Command<R>): Command {
  return c as unknown as Command;
}
