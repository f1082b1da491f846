/**
 * MCP round trips: the SDK client against smolmap's server over stdio (spawning the built CLI) and over
 * Streamable HTTP (in this process), on the example petstore spec. Prints startup time and per-call latency
 * (median and p95) for list_specs, describe_spec and a resource read. Asserts nothing. Needs `npm run build`.
 * Run: npx tsx bench/mcp.ts [calls=50]
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { openEngine } from '../src/engine/index.js';
import { defaultMcpConfig, startMcpHttp } from '../src/mcp/index.js';

const calls = Number(process.argv[2] ?? 50);
const root = new URL('../', import.meta.url).pathname;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

async function time(fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

async function measure(label: string, client: Client): Promise<void> {
  const petstore = await readFile(path.join(root, 'examples/petstore.yaml'), 'utf8');
  await client.callTool({ name: 'add_spec', arguments: { content: petstore, name: 'petstore' } });
  const rows: [string, number[]][] = [
    ['list_specs', await time(() => client.callTool({ name: 'list_specs', arguments: {} }))],
    [
      'describe_spec',
      await time(() => client.callTool({ name: 'describe_spec', arguments: { spec: 'petstore' } })),
    ],
    ['read specs/{name}', await time(() => client.readResource({ uri: 'smolmap://specs/petstore' }))],
  ];
  for (const [name, xs] of rows)
    console.log(
      `${label.padEnd(6)} ${name.padEnd(18)} p50 ${quantile(xs, 0.5).toFixed(2).padStart(7)} ms   p95 ${quantile(xs, 0.95).toFixed(2).padStart(7)} ms`,
    );
}

async function main(): Promise<void> {
  console.log(`MCP round trips, ${calls} calls each (load average ${os.loadavg()[0]!.toFixed(2)})`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'smolmap-bench-mcp-'));
  try {
    let t = performance.now();
    const stdio = new Client({ name: 'bench', version: '0' });
    await stdio.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [path.join(root, 'bin/smolmap.js'), 'mcp', '--data-dir', path.join(dir, 'stdio')],
      }),
    );
    console.log(`stdio  spawn + initialize     ${(performance.now() - t).toFixed(0)} ms`);
    await measure('stdio', stdio);
    await stdio.close();

    const engine = await openEngine({ dataDir: path.join(dir, 'http'), modelsDir: dir });
    const server = await startMcpHttp({ engine, port: 0, token: 'bench', config: defaultMcpConfig() });
    t = performance.now();
    const http = new Client({ name: 'bench', version: '0' });
    await http.connect(
      new StreamableHTTPClientTransport(new URL(server.url), {
        requestInit: { headers: { Authorization: 'Bearer bench' } },
      }),
    );
    console.log(`http   initialize             ${(performance.now() - t).toFixed(0)} ms`);
    await measure('http', http);
    await http.close();
    await server.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
