/**
 * The training PRNG is the engine's one mulberry32 (`src/engine/rng.ts`). This alias remains only while
 * test/engine/infer/export-gguf-helpers.ts (another owner's file) still imports `TrainRng` from here; delete it
 * once that import points at `../../../src/engine/rng.js`.
 */
export { Rng as TrainRng } from '../rng.js';
