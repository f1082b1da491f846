/** mcp.json: defaults when absent, validated when present, coded errors that say where to look. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CONFIG_FILE, loadMcpConfig } from '../../src/mcp/index.js';
import { tempDir } from './helpers.js';

describe('loadMcpConfig', () => {
  const dirs: (() => Promise<void>)[] = [];
  afterEach(async () => {
    delete process.env['SMOLMAP_MCP_CONFIG'];
    for (const c of dirs.splice(0)) await c();
  });
  const dir = async () => {
    const t = await tempDir('mcp-config');
    dirs.push(t.cleanup);
    return t.dir;
  };

  it('keeps execute_call off without a file', async () => {
    const config = await loadMcpConfig(await dir());
    expect(config.executeCall).toMatchObject({ enabled: false, allowedBaseUrls: [], timeoutMs: 10_000 });
  });

  it('reads and fills in a partial file', async () => {
    const d = await dir();
    await writeFile(
      path.join(d, CONFIG_FILE),
      JSON.stringify({ executeCall: { enabled: true, allowedBaseUrls: ['https://api.example.com/v1'] } }),
    );
    const config = await loadMcpConfig(d);
    expect(config.executeCall).toMatchObject({
      enabled: true,
      allowedBaseUrls: ['https://api.example.com/v1'],
      maxResponseBytes: 256 * 1024,
      specs: {},
    });
  });

  it('names the bad field, and refuses unknown keys', async () => {
    const d = await dir();
    await writeFile(path.join(d, CONFIG_FILE), JSON.stringify({ executeCall: { enabled: 'yes' } }));
    await expect(loadMcpConfig(d)).rejects.toMatchObject({
      code: 'mcp_bad_config',
      message: expect.stringContaining('executeCall.enabled'),
    });
    await writeFile(path.join(d, CONFIG_FILE), JSON.stringify({ executeCall: { enable: true } }));
    await expect(loadMcpConfig(d)).rejects.toMatchObject({ code: 'mcp_bad_config' });
    await writeFile(path.join(d, CONFIG_FILE), '{ nope');
    await expect(loadMcpConfig(d)).rejects.toMatchObject({ code: 'mcp_bad_config' });
  });

  it('reads SMOLMAP_MCP_CONFIG, which must exist', async () => {
    const d = await dir();
    process.env['SMOLMAP_MCP_CONFIG'] = path.join(d, 'elsewhere.json');
    await expect(loadMcpConfig(d)).rejects.toMatchObject({ code: 'mcp_config_unreadable' });
    await writeFile(process.env['SMOLMAP_MCP_CONFIG'], JSON.stringify({ executeCall: { enabled: true } }));
    expect((await loadMcpConfig(d)).executeCall.enabled).toBe(true);
  });
});
