/**
 * The client configurations in examples/mcp (Claude Desktop, Cursor, VS Code, Claude Code) start the real
 * stdio server as written: each is parsed, its placeholder paths pointed at this checkout and a temp store,
 * and the SDK's client lists the tools through it. Needs the build (`npm test`'s pretest).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { tempDir } from './helpers.js';

const root = path.resolve(import.meta.dirname, '../..');
const examples = path.join(root, 'examples', 'mcp');
const PLACEHOLDER = '/path/to/smolmap';

interface StdioEntry {
  type?: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
}

let store: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir: store, cleanup } = await tempDir('mcp-configs')));
afterAll(() => cleanup?.());

/** The placeholder checkout becomes this one, its data and models folders the temp store. */
function localise(value: string): string {
  return value
    .replace(`${PLACEHOLDER}/data`, path.join(store, 'data'))
    .replace(`${PLACEHOLDER}/models`, path.join(store, 'models'))
    .replace(PLACEHOLDER, root);
}

async function toolsVia(entry: StdioEntry): Promise<string[]> {
  expect(entry.command).toBe('node');
  const env = Object.fromEntries(Object.entries(entry.env ?? {}).map(([k, v]) => [k, localise(v)]));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: entry.args.map(localise),
    env: { ...(process.env as Record<string, string>), SMOLMAP_HOME: '', SMOLMAP_MODELS: '', ...env },
    cwd: store,
    stderr: 'pipe',
  });
  const client = new Client({ name: 'config-check', version: '0' });
  await client.connect(transport);
  try {
    return (await client.listTools()).tools.map((t) => t.name);
  } finally {
    await client.close();
  }
}

const json = (file: string): Record<string, Record<string, StdioEntry>> =>
  JSON.parse(readFileSync(path.join(examples, file), 'utf8')) as Record<string, Record<string, StdioEntry>>;

describe('examples/mcp client configurations', () => {
  it.each([
    ['claude_desktop_config.json', 'mcpServers'],
    ['cursor-mcp.json', 'mcpServers'],
    ['vscode-mcp.json', 'servers'],
  ])(
    '%s starts the server',
    async (file, key) => {
      const entry = json(file)[key]!['smolmap']!;
      if (key === 'servers') expect(entry.type).toBe('stdio');
      expect(await toolsVia(entry)).toEqual(expect.arrayContaining(['map_task', 'list_base_models']));
    },
    60_000,
  );

  it('claude-code.sh registers the same command', async () => {
    const line = readFileSync(path.join(examples, 'claude-code.sh'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('claude mcp add ') && l.includes(' -- '))!;
    const [command = '', ...args] = line.split(' -- ')[1]!.split(' ');
    expect(await toolsVia({ command, args })).toContain('map_task');
  }, 120_000);
});
