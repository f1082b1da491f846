import { resolveDirs } from './dirs.js';
import { createLogger, type Logger } from './log.js';
import { openStore, type Store } from './store.js';
import type { QuantRequest } from './model/quant.js';
import { resolveJobLimits, type JobLimits } from './train/limits.js';
import { netPolicyFromEnv, type NetPolicy } from './net/address.js';

export interface EngineOptions {
  /** Store and uploads; default `$SMOLMAP_HOME`, else `./data`. */
  dataDir?: string;
  /** Base models and adapters; default `$SMOLMAP_MODELS`, else `./models`. */
  modelsDir?: string;
  logger?: Logger;
  /**
   * Weight mode of the base model for asks, evals and generation that do not name one (default f32). Long-running
   * surfaces (`smolmap serve`, `smolmap mcp`) take it from `--quant`, default auto (weight-mode.ts).
   */
  quant?: QuantRequest;
  /** Caps on training jobs; unset ones come from the environment, else the defaults (train/limits.ts). */
  limits?: Partial<JobLimits>;
  /** Private, loopback and link-local ranges outbound requests may reach; default `$SMOLMAP_NET_ALLOW`. */
  net?: NetPolicy;
}

/**
 * What every facade function receives: resolved directories, the logger and the store.
 * Surfaces open one Engine per process and pass it to facade calls.
 */
export interface Engine {
  readonly dataDir: string;
  readonly modelsDir: string;
  readonly logger: Logger;
  /** Weight mode used where a request names none (EngineOptions.quant). */
  readonly quant: QuantRequest;
  readonly limits: JobLimits;
  /** Which addresses outbound fetches (spec URLs, uploads, model pulls, calls) may reach. */
  readonly net: NetPolicy;
  /** The index and payload files under `dataDir` (opened lazily: nothing is written until a change). */
  readonly store: Store;
  close(): Promise<void>;
}

export { resolveDirs };

export async function openEngine(options: EngineOptions = {}): Promise<Engine> {
  const { dataDir, modelsDir } = resolveDirs(options);
  const logger = options.logger ?? createLogger();
  return {
    dataDir,
    modelsDir,
    logger,
    quant: options.quant ?? 'f32',
    limits: resolveJobLimits(options.limits),
    net: options.net ?? netPolicyFromEnv(),
    store: openStore(dataDir),
    close: async () => {},
  };
}
