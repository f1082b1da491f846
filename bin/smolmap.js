#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm install` (the `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = (file) => fileURLToPath(new URL(`../dist/${file}`, import.meta.url));
const cli = dist('cli.js');
if (!existsSync(cli)) {
  console.error(
    'internal_not_built: dist/cli.js is missing; run `npm install` (or `npm run build`) in the smolmap folder',
  );
  process.exit(1);
}
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
