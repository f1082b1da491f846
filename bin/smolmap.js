#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/. Installs run no scripts (.npmrc), so the first run builds it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = (file) => fileURLToPath(new URL(`../dist/${file}`, import.meta.url));
const cli = dist('cli.js');

/** Compiles src/ to dist/ with the project's own TypeScript (a dev dependency, present in a clone). */
function build() {
  let tsc;
  try {
    tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    console.error(
      'internal_not_built: dist/cli.js is missing and TypeScript is not installed; run `npm install` (with dev dependencies) in the smolmap folder, then `npm run build`',
    );
    process.exit(1);
  }
  process.stderr.write('smolmap: building the CLI (first run only, about 20 s)…\n');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(cli)) {
    console.error(
      'internal_not_built: compiling smolmap failed (output above); run `npm run build` to retry',
    );
    process.exit(1);
  }
}

if (!existsSync(cli)) build();
const args = process.argv.slice(2);
// A running `smolmap serve` answers asks warm; its client loads before the rest of the CLI to keep it fast.
let code = null;
if (args[0] === 'ask') {
  const { askViaServe } = await import(dist('cli/serve-client.js'));
  code = await askViaServe(args);
}
if (code === null) {
  const { main } = await import(cli);
  code = await main(args);
}
process.exitCode = code;
