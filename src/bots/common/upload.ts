/**
 * Spec uploads from chat: a file (Slack file input, Discord attachment), a URL, or pasted text. Size and type
 * are checked before anything is parsed; the spec registry then validates the document and stores nothing
 * when it fails, so an error leaves the workspace as it was. Parse errors keep their line/column, with the
 * temp path replaced by the name the user uploaded.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  SmolmapError,
  addSpec,
  guardedFetch,
  type AddSpecResult,
  type Engine,
  type NetPolicy,
} from '../../engine/index.js';

/** Chat uploads are capped well below the registry's 10 MiB: a spec that large belongs in the CLI. */
export const MAX_UPLOAD_BYTES = 2 * 1024 * 1024;
const SPEC_EXT = /\.(json|ya?ml)$/i;
const SPEC_TYPES =
  /^(application\/(json|yaml|x-yaml|openapi\+json|vnd\.oai\.openapi(\+json)?)|text\/(plain|yaml|x-yaml))\b/i;

export interface SpecUpload {
  /** The file name as uploaded (or `pasted.yaml` for pasted text). */
  filename: string;
  bytes: Uint8Array;
  /** MIME type the platform reported, when it did. */
  contentType?: string;
}

/** Size and type checks: `spec_upload_too_large` / `spec_upload_bad_type` say what to send instead. */
export function checkUpload(u: { filename: string; size: number; contentType?: string }): void {
  if (u.size > MAX_UPLOAD_BYTES)
    throw new SmolmapError(
      'spec_upload_too_large',
      `${u.filename} is ${(u.size / 1048576).toFixed(1)} MiB; chat uploads take at most ${MAX_UPLOAD_BYTES / 1048576} MiB — give a URL or use \`smolmap spec add\``,
    );
  if (u.size === 0)
    throw new SmolmapError('spec_empty', `${u.filename} is empty; upload an OpenAPI document`);
  const typeOk = u.contentType === undefined || u.contentType === '' || SPEC_TYPES.test(u.contentType);
  if (!SPEC_EXT.test(u.filename) || !typeOk)
    throw new SmolmapError(
      'spec_upload_bad_type',
      `${u.filename}${u.contentType ? ` (${u.contentType})` : ''} is not a spec file; upload OpenAPI as .json, .yaml or .yml`,
    );
}

/** Downloads stop after this long: a chat reply waits on them. */
const DOWNLOAD_TIMEOUT_MS = 30_000;

/**
 * Fetches an uploaded file or a URL a user gave, through the engine's guarded client (no private or metadata
 * addresses, redirects checked hop by hop) with a hard size cap (the Content-Length may be absent or wrong).
 */
export async function download(
  url: string,
  opts: { policy: NetPolicy; headers?: Record<string, string>; maxBytes?: number; filename: string },
): Promise<Uint8Array> {
  const max = opts.maxBytes ?? MAX_UPLOAD_BYTES;
  try {
    const res = await guardedFetch(url, {
      policy: opts.policy,
      headers: opts.headers ?? {},
      timeoutMs: DOWNLOAD_TIMEOUT_MS,
      maxBytes: max,
    });
    if (!res.ok)
      throw new SmolmapError(
        'spec_download_failed',
        `downloading ${opts.filename} answered HTTP ${res.status}; check the link or upload it again`,
      );
    return new Uint8Array(await res.arrayBuffer());
  } catch (e) {
    if (!(e instanceof SmolmapError)) throw e;
    if (e.code === 'net_too_large') checkUpload({ filename: opts.filename, size: max + 1 });
    if (e.code === 'net_failed' || e.code === 'net_timeout')
      throw new SmolmapError('spec_download_failed', `could not download ${opts.filename}: ${e.message}`, {
        cause: e,
      });
    throw e;
  }
}

function safeName(filename: string): string {
  const base = path.basename(filename).replace(/[^\w.-]+/g, '-');
  return base === '' || base.startsWith('.') ? `upload${base}` : base;
}

/** Checks and registers an uploaded spec for a tenant; the registry names it after the file unless `name`. */
export async function addUploadedSpec(
  engine: Engine,
  upload: SpecUpload,
  options: { tenant: string; name?: string },
): Promise<AddSpecResult> {
  checkUpload({ filename: upload.filename, size: upload.bytes.byteLength, contentType: upload.contentType });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'smolmap-upload-'));
  const file = path.join(dir, safeName(upload.filename));
  try {
    await writeFile(file, upload.bytes);
    return await addSpec(engine, file, {
      tenant: options.tenant,
      ...(options.name !== undefined && { name: options.name }),
    });
  } catch (e) {
    if (e instanceof SmolmapError && e.message.includes(file))
      throw new SmolmapError(e.code, e.message.split(file).join(upload.filename), {
        cause: e,
        details: e.details,
      });
    throw e;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
