/** `smolmap serve --mcp-port`: the real CLI serving MCP over Streamable HTTP, stopped by SIGTERM. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { tempDir } from '../mcp/helpers.js';

const root = new URL('../../', import.meta.url).pathname;
const TOKEN = 'serve-test-token-42';

function start(args: string[], env: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [`${root}bin/smolmap.js`, 'serve', ...args], {
    env: { ...process.env, ...env },
    stdio: 'pipe',
  });
}

function exited(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', resolve));
}

describe('smolmap serve --mcp-port', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    if (!existsSync(`${root}dist/cli.js`)) throw new Error('dist/cli.js missing: run `npm run build` first');
    ({ dir, cleanup } = await tempDir('serve'));
  });
  afterAll(async () => cleanup?.());

  it('serves MCP with the token, refuses requests without it, and stops on SIGTERM', async () => {
    const child = start(['--mcp-port', '0', '--data-dir', dir, '--models-dir', dir], {
      SMOLMAP_MCP_TOKEN: TOKEN,
    });
    const done = exited(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await expect.poll(() => /mcp: (http:\/\/\S+)/.exec(out)?.[1], { timeout: 20_000 }).toBeTruthy();
    const url = /mcp: (http:\/\/\S+)/.exec(out)![1]!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(out).toContain('bearer token required');
    expect(out).toContain('as tenant local');

    const anonymous = await fetch(url, {
      method: 'POST',
      body: '{}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(anonymous.status).toBe(401);
    const client = new Client({ name: 'serve-test', version: '0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(url), {
        requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } },
      }),
    );
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['list_specs', 'train_model']));
    await client.close();

    child.kill('SIGTERM');
    expect(await done).toBe(0);
    expect(out).toMatch(/stopped .*mcp \(SIGTERM\)/);
  });

  it('generates a token on first start, prints where it is and how to send it', async () => {
    const child = start(['--mcp-port', '0', '--data-dir', dir, '--models-dir', dir], {
      SMOLMAP_MCP_TOKEN: '',
    });
    const done = exited(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await expect.poll(() => /mcp: (http:\/\/\S+)/.exec(out)?.[1], { timeout: 20_000 }).toBeTruthy();
    const url = /mcp: (http:\/\/\S+)/.exec(out)![1]!;
    const file = `${dir}/mcp-token`;
    expect(out).toContain(`generated in ${file}`);
    expect(out).toContain(`Authorization: Bearer $(cat ${file})`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const token = readFileSync(file, 'utf8').trim();
    const init = (auth?: string) =>
      fetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          ...(auth && { Authorization: auth }),
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: {
            protocolVersion: '2025-06-18',
            capabilities: {},
            clientInfo: { name: 't', version: '0' },
          },
        }),
      });
    expect((await init()).status).toBe(401);
    expect((await init(`Bearer ${token}`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await done).toBe(0);
  });

  it('refuses a non-loopback bind without SMOLMAP_MCP_TOKEN', async () => {
    const env = { SMOLMAP_MCP_TOKEN: '' };
    const child = start(['--mcp-port', '0', '--mcp-host', '0.0.0.0', '--data-dir', dir], env);
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    expect(await exited(child)).toBe(1);
    expect(err).toMatch(/^mcp_token_required:/m);
  });

  it('rejects a bad port as a usage error', async () => {
    const child = start(['--mcp-port', 'eighty', '--data-dir', dir]);
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    expect(await exited(child)).toBe(2);
    expect(err).toMatch(/^usage_bad_option:/m);
  });

  it('rejects an unknown --quant as a usage error naming the modes', async () => {
    const child = start(['--quant', 'q3', '--mcp-port', '0', '--data-dir', dir]);
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    expect(await exited(child)).toBe(2);
    expect(err).toMatch(/^usage_bad_option: --quant must be one of f32, q8, q4, i8, auto \(got "q3"\)/m);
  });

  it('with no surface configured, keeps running the job queue until stopped, then removes its runner lock', async () => {
    const env = { SLACK_BOT_TOKEN: '', SLACK_APP_TOKEN: '', DISCORD_TOKEN: '', SMOLMAP_MCP_TOKEN: '' };
    const child = start(['--data-dir', dir, '--models-dir', dir], env);
    const done = exited(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await expect.poll(() => out, { timeout: 20_000 }).toContain('serving; press Ctrl-C to stop');
    const lock = path.join(dir, 'jobs', 'runner.lock');
    await expect.poll(() => existsSync(lock), { timeout: 10_000 }).toBe(true);
    // An unsettled top-level await ended this process with exit code 13 a few seconds after the banner.
    await new Promise((r) => setTimeout(r, 6_000));
    expect(child.exitCode).toBeNull();
    child.kill('SIGTERM');
    expect(await done).toBe(0);
    expect(existsSync(lock)).toBe(false);
  }, 60_000);
});
