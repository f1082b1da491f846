/**
 * The MCP HTTP bearer token kept in the data directory: generated on the first start of a server with no
 * token configured, readable by its owner only (0600), reused on every later start so clients keep working.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SmolmapError } from '../engine/index.js';

export const TOKEN_FILE = 'mcp-token';

export interface StoredToken {
  token: string;
  file: string;
  created: boolean;
}

async function readToken(file: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SmolmapError('mcp_token_unreadable', `cannot read ${file}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const token = text.trim();
  if (token.length < 16)
    throw new SmolmapError(
      'mcp_token_unreadable',
      `${file} holds no usable token (under 16 characters); delete it and start again to generate one`,
    );
  // A copy readable by others is tightened rather than trusted as it is.
  if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600);
  return token;
}

/** Reads `<dataDir>/mcp-token`, or writes a new 256-bit one there (0600) when there is none. */
export async function loadOrCreateToken(dataDir: string): Promise<StoredToken> {
  const file = path.join(dataDir, TOKEN_FILE);
  const existing = await readToken(file);
  if (existing !== null) return { token: existing, file, created: false };
  await mkdir(dataDir, { recursive: true });
  const token = randomBytes(32).toString('base64url');
  try {
    await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    // Another server started at the same moment wrote it first: use that one.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST')
      return { token: (await readToken(file))!, file, created: false };
    throw new SmolmapError('mcp_token_unwritable', `cannot write ${file}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  return { token, file, created: true };
}
