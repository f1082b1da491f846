import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { downloadFile, listFiles, type ListFileEntry } from '@huggingface/hub';
import { SmolmapError } from '../../errors.js';

/**
 * Hugging Face Hub download of a model repo through @huggingface/hub (listing, resolve URLs, LFS/Xet
 * transport). Each file lands as `<name>.partial` and is resumed from its current length with a range
 * request; a finished file is checked against the size and hash the Hub lists (LFS sha256, else git blob sha1).
 */

export interface HubOptions {
  revision?: string;
  hubUrl?: string;
  /** For tests and proxies. */
  fetch?: typeof fetch;
  accessToken?: string;
  onProgress?: (p: { file: string; bytes: number; total: number }) => void;
}

const REQUIRED = ['config.json', 'tokenizer.json'];
const OPTIONAL = [
  'generation_config.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'chat_template.jinja',
];

export function offlineError(repo: string, cause: unknown): SmolmapError {
  return new SmolmapError(
    'hub_unreachable',
    `cannot reach the Hugging Face Hub to fetch ${repo} (${cause instanceof Error ? ((cause.cause as Error | undefined)?.message ?? cause.message) : String(cause)}). ` +
      'If you have the model files, run `smolmap model import <file.gguf|hf-folder> --name N` instead.',
    { cause, details: { repo } },
  );
}

/** Turns library/network failures into coded errors. */
function hubError(repo: string, e: unknown): SmolmapError {
  // The guarded client's network failures mean the same as fetch's: the Hub is out of reach.
  if (e instanceof SmolmapError && e.code !== 'net_failed' && e.code !== 'net_timeout') return e;
  const status = (e as { statusCode?: number }).statusCode;
  if (status === 401 || status === 403 || status === 404) {
    return new SmolmapError(
      'hub_repo_not_found',
      `the Hub has no accessible repo ${repo} (HTTP ${status}); check the id, or set HF_TOKEN for a gated or private repo.`,
      { cause: e, details: { repo, status } },
    );
  }
  if (status !== undefined) {
    return new SmolmapError('hub_error', `the Hub answered HTTP ${status} for ${repo}; try again later.`, {
      cause: e,
    });
  }
  return offlineError(repo, e);
}

async function fileHash(file: string, algo: 'sha256' | 'sha1', prefix?: string): Promise<string> {
  const h = createHash(algo);
  if (prefix) h.update(prefix);
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Verifies a downloaded file against the listing: LFS files by sha256, plain git files by blob sha1. */
async function verify(file: string, entry: ListFileEntry, repo: string): Promise<void> {
  const size = (await stat(file)).size;
  const ok = entry.lfs
    ? size === entry.lfs.size && (await fileHash(file, 'sha256')) === entry.lfs.oid
    : size === entry.size && (!entry.oid || (await fileHash(file, 'sha1', `blob ${size}\0`)) === entry.oid);
  if (!ok) {
    await rm(file, { force: true });
    throw new SmolmapError(
      'hub_checksum_mismatch',
      `${entry.path} from ${repo} does not match the size/hash the Hub lists; it was deleted — run the pull again.`,
      { details: { repo, file: entry.path } },
    );
  }
}

async function download(repo: string, entry: ListFileEntry, dest: string, o: HubOptions): Promise<void> {
  const final = path.join(dest, entry.path);
  const partial = `${final}.partial`;
  const total = entry.lfs?.size ?? entry.size;
  if ((await stat(final).catch(() => undefined))?.size === total) return verify(final, entry, repo);
  const have = (await stat(partial).catch(() => undefined))?.size ?? 0;
  const start = have <= total ? have : 0;
  const blob = await downloadFile({
    repo,
    path: entry.path,
    ...(o.revision ? { revision: o.revision } : {}),
    ...(o.hubUrl ? { hubUrl: o.hubUrl } : {}),
    ...(o.fetch ? { fetch: o.fetch } : {}),
    ...(o.accessToken ? { accessToken: o.accessToken } : {}),
  });
  if (!blob) throw hubError(repo, Object.assign(new Error('not found'), { statusCode: 404 }));
  const fh = await open(partial, start === 0 ? 'w' : 'a');
  let bytes = start;
  try {
    if (start < blob.size) {
      const reader = blob.slice(start).stream().getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        await fh.write(value);
        bytes += value.length;
        o.onProgress?.({ file: entry.path, bytes, total });
      }
    }
  } finally {
    await fh.close();
  }
  await rename(partial, final);
  await verify(final, entry, repo);
}

/** The repo files smolmap needs: configs, tokenizer, and the safetensors weights (single or sharded). */
async function pickFiles(repo: string, listing: ListFileEntry[], dest: string, o: HubOptions) {
  const byPath = new Map(listing.filter((e) => e.type === 'file').map((e) => [e.path, e]));
  const missing = REQUIRED.filter((f) => !byPath.has(f));
  const weights = byPath.has('model.safetensors') ? ['model.safetensors'] : [];
  if (!weights.length && byPath.has('model.safetensors.index.json')) {
    await download(repo, byPath.get('model.safetensors.index.json')!, dest, o);
    const index = JSON.parse(await readFile(path.join(dest, 'model.safetensors.index.json'), 'utf8')) as {
      weight_map?: Record<string, string>;
    };
    weights.push('model.safetensors.index.json', ...new Set(Object.values(index.weight_map ?? {})));
  }
  if (missing.length || !weights.length) {
    throw new SmolmapError(
      'hub_repo_unsupported',
      `${repo} lacks ${[...missing, ...(weights.length ? [] : ['model.safetensors'])].join(', ')}; ` +
        'pull a transformers-format Llama repo, or download a GGUF and run `smolmap model import`.',
      { details: { repo } },
    );
  }
  const names = [...REQUIRED, ...OPTIONAL.filter((f) => byPath.has(f)), ...weights];
  return names.map((n) => {
    const e = byPath.get(n);
    if (!e)
      throw new SmolmapError('hub_repo_unsupported', `${repo} lists ${n} in its index but not in the repo.`);
    return e;
  });
}

/** Downloads a repo's model files into `dest` (created), resuming partial files. Returns the file names. */
export async function downloadRepo(repo: string, dest: string, o: HubOptions = {}): Promise<string[]> {
  try {
    const listing: ListFileEntry[] = [];
    for await (const e of listFiles({
      repo,
      ...(o.revision ? { revision: o.revision } : {}),
      ...(o.hubUrl ? { hubUrl: o.hubUrl } : {}),
      ...(o.fetch ? { fetch: o.fetch } : {}),
      ...(o.accessToken ? { accessToken: o.accessToken } : {}),
    })) {
      listing.push(e);
    }
    // Created only once the Hub answered, so an offline attempt leaves no empty folder behind.
    await mkdir(dest, { recursive: true });
    const entries = await pickFiles(repo, listing, dest, o);
    for (const e of entries) await download(repo, e, dest, o);
    return entries.map((e) => e.path);
  } catch (e) {
    throw hubError(repo, e);
  }
}
