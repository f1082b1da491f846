/** Option helpers shared by the mapper's commands (ask, eval, models, export). */
import { QUANT_REQUESTS, checkQuant, type QuantRequest, type WeightQuant } from '../engine/index.js';
import type { OptionValues } from './command.js';

export function optionalString(values: OptionValues, key: string): string | undefined {
  const v = values[key];
  return typeof v === 'string' ? v : undefined;
}

export function checkQuantOption(values: OptionValues): QuantRequest | undefined {
  const q = optionalString(values, 'quant');
  return q === undefined ? undefined : checkQuant(q);
}

/** The `--quant` entry of a command's option help: `quant f32|q8|q4|i8|auto`. */
export const QUANT_HELP = `quant ${QUANT_REQUESTS.join('|')}`;

/** `--quant` of the long-running commands (serve, mcp): the engine's default for asks that name none. */
export const DEFAULT_QUANT_HELP =
  "weight format for asks that name none (default auto: the fastest that passes this machine's self-check)";

/** ` (i8)` after a figure produced in a weight mode other than f32, else nothing. */
export const quantSuffix = (quant: WeightQuant | undefined): string =>
  quant && quant !== 'f32' ? ` (${quant})` : '';
