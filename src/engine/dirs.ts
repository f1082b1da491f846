/** Where the store and the models live. Its own module (node:path only) so the warm-ask client loads fast. */
import path from 'node:path';

export function resolveDirs(options: { dataDir?: string; modelsDir?: string }): {
  dataDir: string;
  modelsDir: string;
} {
  const dataDir = path.resolve(options.dataDir ?? process.env['SMOLMAP_HOME'] ?? './data');
  const modelsDir = path.resolve(options.modelsDir ?? process.env['SMOLMAP_MODELS'] ?? './models');
  return { dataDir, modelsDir };
}
