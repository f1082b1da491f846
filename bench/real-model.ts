import os from 'node:os';
import path from 'node:path';

/** The real SmolLM2-135M-Instruct GGUF the benches run: $SMOLMAP_REAL_MODEL, else get-smollm2.sh's cache path. */
export const REAL_MODEL =
  process.env['SMOLMAP_REAL_MODEL'] ??
  path.join(os.homedir(), '.cache/smolmap/gguf/SmolLM2-135M-Instruct.Q4_1.gguf');

/** The 1, 5 and 15 minute load averages, printed next to every figure (the 2 cores are shared). */
export const loadAverages = (): string =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
