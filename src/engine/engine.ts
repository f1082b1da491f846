import { resolveDirs } from './dirs.js';
import { createLogger, type Logger } from './log.js';
import { openStore, type Store } from './store.js';
import type { WeightQuant } from './model/quant.js';

export interface EngineOptions {
  /** Store and uploads; default `$SMOLMAP_HOME`, else `./data`. */
  dataDir?: string;
  /** Base models and adapters; default `$SMOLMAP_MODELS`, else `./models`. */
  modelsDir?: string;
  logger?: Logger;
  /**
   * Weight mode of the base model for asks, evals and generation that do not name one (default f32). Long-running
   * surfaces (`smolmap serve`, `smolmap mcp`) take it from `--quant`; i8 pays its longer load once there.
   */
  quant?: WeightQuant;
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
  readonly quant: WeightQuant;
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
    store: openStore(dataDir),
    close: async () => {},
  };
}
