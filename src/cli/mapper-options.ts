/** Option helpers shared by the mapper's commands (ask, eval, models, export). */
import { SmolmapError, WEIGHT_QUANTS, type WeightQuant } from '../engine/index.js';
import type { OptionValues } from './command.js';

export function optionalString(values: OptionValues, key: string): string | undefined {
  const v = values[key];
  return typeof v === 'string' ? v : undefined;
}

export function checkQuantOption(values: OptionValues): WeightQuant | undefined {
  const q = optionalString(values, 'quant');
  if (q === undefined) return undefined;
  if (!(WEIGHT_QUANTS as readonly string[]).includes(q))
    throw new SmolmapError(
      'usage_bad_option',
      `--quant must be one of ${WEIGHT_QUANTS.join(', ')} (got "${q}")`,
    );
  return q as WeightQuant;
}
