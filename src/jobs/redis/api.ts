/**
 * The coordinator's HTTP API for workers: what a running job needs (its description, dataset, base model files,
 * last checkpoint, whether to stop) and where its artifacts go (checkpoints, the finished adapter). Every call
 * carries the worker token; only jobs the store has `running` are served, and uploads are size-capped bundles of
 * plain file names. It binds loopback unless told otherwise.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { SmolmapError, toSmolmapError, type TrainJobInput } from '../../engine/index.js';
import { pack, readFolder, unpack, writeFolder } from './bundle.js';
import { tokenMatches } from './connection.js';

export interface BaseFile {
  name: string;
  size: number;
  sha256: string;
}

/** `GET /v1/worker/jobs/:id`: everything but the files. */
export interface JobDescription {
  job: string;
  modelId: string;
  base: { name: string; format: 'hf' | 'gguf'; files: BaseFile[] };
  catalog: TrainJobInput['catalog'];
  options: TrainJobInput['options'];
  threads: number;
}

export interface WorkerApiHooks {
  /** The input of a job the store has running, or null. */
  running(id: string): Promise<TrainJobInput | null>;
  stopRequested(id: string, input: TrainJobInput): boolean;
  /** A checkpoint at `step` is stored in the job's checkpoint folder. */
  checkpointed(id: string, step: number): Promise<void>;
}

export interface WorkerApi {
  url: string;
  close(): Promise<void>;
}

const MAX_UPLOAD = 1024 ** 3;
const JOB_ID = /^[A-Za-z0-9_-]{1,64}$/;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const hashes = new Map<string, { key: string; sha256: string }>();

async function sha256Of(file: string, size: number, mtimeMs: number): Promise<string> {
  const key = `${size}:${mtimeMs}`;
  const seen = hashes.get(file);
  if (seen?.key === key) return seen.sha256;
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  const sha256 = h.digest('hex');
  hashes.set(file, { key, sha256 });
  return sha256;
}

/** The base model's files: the folder's plain files (Hugging Face layout), or the one GGUF file. */
async function baseFiles(input: TrainJobInput): Promise<{ dir: string; files: BaseFile[] }> {
  const p = input.base.path;
  const isDir = (await stat(p)).isDirectory();
  const dir = isDir ? p : path.dirname(p);
  const names = isDir ? (await readdir(p)).sort() : [path.basename(p)];
  const files: BaseFile[] = [];
  for (const name of names) {
    const s = await stat(path.join(dir, name));
    if (s.isFile())
      files.push({ name, size: s.size, sha256: await sha256Of(path.join(dir, name), s.size, s.mtimeMs) });
  }
  return { dir, files };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_UPLOAD) {
        reject(new HttpError(413, 'worker_upload_too_large', `uploads are capped at ${MAX_UPLOAD} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function route(hooks: WorkerApiHooks, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://worker-api');
  const m = /^\/v1\/worker\/jobs\/([^/]+)(?:\/(dataset|checkpoint|adapter|control|base\/[^/]+))?$/.exec(
    url.pathname,
  );
  if (!m) throw new HttpError(404, 'worker_no_route', `no route ${req.method} ${url.pathname}`);
  const [, id, part] = m as unknown as [string, string, string | undefined];
  if (!JOB_ID.test(id)) throw new HttpError(400, 'worker_bad_job', 'malformed job id');
  const input = await hooks.running(id);
  if (!input)
    throw new HttpError(409, 'worker_job_not_running', `job ${id} is not running on the coordinator`);
  const method = req.method ?? 'GET';
  if (method === 'GET' && part === undefined) {
    const { files } = await baseFiles(input);
    const d: JobDescription = {
      job: id,
      modelId: input.modelId,
      base: { name: input.base.name, format: input.base.format, files },
      catalog: input.catalog,
      options: input.options,
      threads: input.threads,
    };
    return sendJson(res, 200, d);
  }
  if (method === 'GET' && part === 'control')
    return sendJson(res, 200, { stop: hooks.stopRequested(id, input) });
  if (method === 'GET' && part === 'dataset') {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    createReadStream(input.datasetFile).pipe(res);
    return;
  }
  if (method === 'GET' && part?.startsWith('base/')) {
    const name = decodeURIComponent(part.slice(5));
    const { dir, files } = await baseFiles(input);
    if (!files.some((f) => f.name === name))
      throw new HttpError(404, 'worker_no_file', `no base file "${name}"`);
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    createReadStream(path.join(dir, name)).pipe(res);
    return;
  }
  if (method === 'GET' && part === 'checkpoint') {
    if (!existsSync(path.join(input.checkpointDir, 'state.json'))) return void res.writeHead(204).end();
    res
      .writeHead(200, { 'content-type': 'application/octet-stream' })
      .end(pack(await readFolder(input.checkpointDir)));
    return;
  }
  if (method === 'PUT' && (part === 'checkpoint' || part === 'adapter')) {
    const step = Number(url.searchParams.get('step'));
    if (part === 'checkpoint' && !(Number.isInteger(step) && step >= 0))
      throw new HttpError(400, 'worker_bad_step', 'a checkpoint upload needs ?step=<optimizer step>');
    const files = unpack(await readBody(req));
    const needed = part === 'checkpoint' ? ['state.json', 'tensors.safetensors'] : ['adapter_config.json'];
    for (const n of needed)
      if (!files.has(n)) throw new HttpError(400, 'worker_bad_upload', `the ${part} upload lacks ${n}`);
    await writeFolder(part === 'checkpoint' ? input.checkpointDir : input.adapterDir, files);
    if (part === 'checkpoint') await hooks.checkpointed(id, step);
    return sendJson(res, 200, { ok: true });
  }
  throw new HttpError(405, 'worker_bad_method', `${method} is not allowed on ${url.pathname}`);
}

export async function startWorkerApi(
  hooks: WorkerApiHooks,
  opts: { host: string; port: number; token: string; log(e: unknown): void },
): Promise<WorkerApi> {
  const server: Server = createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    const given = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (!tokenMatches(given, opts.token))
      return sendJson(res, 401, { code: 'worker_unauthorized', message: 'missing or wrong worker token' });
    route(hooks, req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : e instanceof SmolmapError ? 400 : 500;
      const err = e instanceof HttpError ? e : toSmolmapError(e);
      if (status === 500) opts.log(e);
      if (!res.headersSent) sendJson(res, status, { code: err.code, message: err.message });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
