/**
 * A worker's side of the worker API: fetches a job's description, dataset, base model files and last checkpoint
 * from the coordinator, and uploads checkpoints and the finished adapter. A coordinator that is down or
 * restarting is waited for (with backoff, up to `patienceMs`), so a worker keeps its job through a restart.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { SmolmapError } from '../../engine/index.js';
import type { JobDescription } from './api.js';
import { pack, unpack, type Files } from './bundle.js';

export interface ClientOptions {
  server: string;
  token: string;
  /** How long to keep retrying while the coordinator cannot be reached (ms; default 10 minutes). */
  patienceMs?: number;
}

export class CoordinatorClient {
  private readonly base: string;

  constructor(private readonly opts: ClientOptions) {
    this.base = opts.server.replace(/\/+$/, '');
  }

  describe(id: string): Promise<JobDescription> {
    return this.request('GET', `/v1/worker/jobs/${id}`).then((r) => r.json() as Promise<JobDescription>);
  }

  async control(id: string): Promise<{ stop: boolean }> {
    return (await this.request('GET', `/v1/worker/jobs/${id}/control`, undefined, 0)).json() as Promise<{
      stop: boolean;
    }>;
  }

  async download(id: string, part: string, file: string, sha256?: string): Promise<void> {
    const res = await this.request('GET', `/v1/worker/jobs/${id}/${part}`);
    const tmp = `${file}.part-${process.pid}`;
    const hash = createHash('sha256');
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    body.on('data', (c: Buffer) => hash.update(c));
    await pipeline(body, createWriteStream(tmp));
    if (sha256 !== undefined && hash.digest('hex') !== sha256) {
      await rm(tmp, { force: true });
      throw new SmolmapError(
        'worker_bad_download',
        `${part} of job ${id} arrived corrupted (sha256 differs); the job is retried`,
      );
    }
    await rename(tmp, file);
  }

  async checkpoint(id: string): Promise<Files | null> {
    const res = await this.request('GET', `/v1/worker/jobs/${id}/checkpoint`);
    if (res.status === 204) return null;
    return unpack(Buffer.from(await res.arrayBuffer()));
  }

  async upload(id: string, part: 'checkpoint' | 'adapter', files: Files, step?: number): Promise<void> {
    const q = step === undefined ? '' : `?step=${step}`;
    await this.request('PUT', `/v1/worker/jobs/${id}/${part}${q}`, pack(files));
  }

  /** One call; network failures and 5xx are retried until `patience` runs out, other failures are thrown. */
  private async request(method: string, route: string, body?: Buffer, patience?: number): Promise<Response> {
    const until = Date.now() + (patience ?? this.opts.patienceMs ?? 600_000);
    for (let wait = 250; ; wait = Math.min(wait * 2, 10_000)) {
      let res: Response | null = null;
      let cause: unknown = null;
      try {
        res = await fetch(this.base + route, {
          method,
          headers: { authorization: `Bearer ${this.opts.token}` },
          ...(body ? { body } : {}),
        });
      } catch (e) {
        cause = e;
      }
      if (res && res.status < 500) {
        if (res.ok) return res;
        const err = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
        throw new SmolmapError(
          err.code ?? 'worker_api_error',
          `the coordinator refused ${method} ${route}: ${err.message ?? res.status}`,
        );
      }
      if (Date.now() + wait > until)
        throw new SmolmapError(
          'worker_coordinator_unreachable',
          `cannot reach the coordinator at ${this.base} (${res ? `HTTP ${res.status}` : String((cause as Error)?.message ?? cause)}); check --server and that \`smolmap serve --queue\` runs`,
          { cause },
        );
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}
