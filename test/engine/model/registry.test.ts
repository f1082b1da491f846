import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../../src/engine/engine.js';
import {
  importModel,
  listModels,
  loadBaseModel,
  pullModel,
  removeModel,
  showModel,
} from '../../../src/engine/model/registry.js';
import { writeTinyModel } from '../../../src/engine/model/tiny.js';
import { loadWeights } from '../../../src/engine/model/weights/load.js';

let dir: string;
let hfDir: string;
let ggufFile: string;
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'smolmap-registry-'));
  hfDir = await writeTinyModel(path.join(dir, 'src-hf'), { seed: 3, layout: 'hf' });
  ggufFile = await writeTinyModel(path.join(dir, 'src-gguf'), { seed: 3, layout: 'gguf', quant: 'q8_0' });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A fresh engine (own data and models dirs) per test. */
async function engine(): Promise<Engine> {
  const root = path.join(dir, `e${n++}`);
  return openEngine({
    dataDir: path.join(root, 'data'),
    modelsDir: path.join(root, 'models'),
    logger: pino({ level: 'silent' }),
  });
}

describe('importModel / listModels / showModel / removeModel', () => {
  it('imports an HF folder (hard-linked on the same filesystem) and loads it back', async () => {
    const e = await engine();
    const r = await importModel(e, hfDir, { name: 'tiny' });
    expect(r).toMatchObject({ name: 'tiny', format: 'hf', source: hfDir, transfer: 'link' });
    expect(r.config).toMatchObject({
      num_hidden_layers: 2,
      hidden_size: 64,
      num_attention_heads: 4,
      num_key_value_heads: 2,
    });
    expect(r.files).toEqual(
      expect.arrayContaining(['config.json', 'tokenizer.json', 'model.safetensors', 'tokenizer_config.json']),
    );
    expect((await readdir(r.dir)).sort()).toEqual([...r.files].sort());
    expect((await listModels(e)).map((m) => m.name)).toEqual(['tiny']);
    const shown = await showModel(e, 'tiny');
    expect(shown.parameters).toBe(512 * 64 + 2 * (2 * 64 + 2 * 64 * 64 + 2 * 32 * 64 + 3 * 64 * 128) + 64);
    expect(shown.adapters).toEqual([]);
    const a = await loadBaseModel(e, 'tiny');
    const b = await loadWeights(hfDir);
    expect(a.config).toEqual(b.config);
    expect(a.weights.get('model.norm.weight')!.data).toEqual(b.weights.get('model.norm.weight')!.data);
  });

  it('imports a GGUF file with a default name', async () => {
    const e = await engine();
    const r = await importModel(e, ggufFile);
    expect(r).toMatchObject({ name: 'tiny-q8_0', format: 'gguf', files: ['tiny-q8_0.gguf'] });
    expect((await loadBaseModel(e, 'tiny-q8_0')).config.vocab_size).toBe(512);
  });

  it('refuses duplicates, bad names and broken folders, leaving nothing behind', async () => {
    const e = await engine();
    await importModel(e, hfDir, { name: 'tiny' });
    await expect(importModel(e, ggufFile, { name: 'tiny' })).rejects.toMatchObject({ code: 'model_exists' });
    await expect(importModel(e, hfDir, { name: '../evil' })).rejects.toMatchObject({
      code: 'usage_bad_name',
    });

    const noTok = path.join(dir, 'no-tokenizer');
    await cp(hfDir, noTok, { recursive: true });
    await rm(path.join(noTok, 'tokenizer.json'));
    await expect(importModel(e, noTok, { name: 'nt' })).rejects.toMatchObject({
      code: 'model_tokenizer_missing',
    });

    const wrong = path.join(dir, 'wrong-config');
    await cp(hfDir, wrong, { recursive: true });
    const cfg = JSON.parse(await readFile(path.join(wrong, 'config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    await writeFile(path.join(wrong, 'config.json'), JSON.stringify({ ...cfg, intermediate_size: 96 }));
    await expect(importModel(e, wrong, { name: 'wc' })).rejects.toMatchObject({
      code: 'model_weights_mismatch',
    });
    await expect(importModel(e, path.join(dir, 'nope'), { name: 'np' })).rejects.toMatchObject({
      code: 'model_file_not_found',
    });
    expect(await readdir(path.join(e.modelsDir, 'base'))).toEqual(['tiny']);
    expect((await listModels(e)).map((m) => m.name)).toEqual(['tiny']);
  });

  it('removes a model and its files; unknown names are coded errors', async () => {
    const e = await engine();
    const r = await importModel(e, hfDir, { name: 'tiny' });
    expect(await removeModel(e, 'tiny')).toEqual({ name: 'tiny', removed: r.dir });
    await expect(stat(r.dir)).rejects.toThrow();
    expect(await listModels(e)).toEqual([]);
    await expect(showModel(e, 'tiny')).rejects.toMatchObject({ code: 'model_not_found' });
    await expect(removeModel(e, 'tiny')).rejects.toMatchObject({ code: 'model_not_found' });
    await stat(hfDir); // the source is untouched
  });
});

/** A minimal Hub: the tree API and resolve URLs (with Range) for the files of one local folder. */
async function fakeHub(
  folder: string,
  o: { corrupt?: string; requests?: string[] } = {},
): Promise<typeof fetch> {
  const files = new Map<string, Buffer>();
  for (const f of await readdir(folder)) files.set(f, await readFile(path.join(folder, f)));
  const listing = [...files].map(([p, b]) => {
    const lfs = p.endsWith('.safetensors');
    const sha256 = createHash('sha256').update(b).digest('hex');
    return {
      type: 'file',
      path: p,
      size: b.length,
      oid: createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex'),
      ...(lfs
        ? { lfs: { oid: p === o.corrupt ? '0'.repeat(64) : sha256, size: b.length, pointerSize: 134 } }
        : {}),
    };
  });
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const range = new Headers(init?.headers).get('Range');
    o.requests?.push(`${url.pathname} ${range ?? ''}`.trim());
    if (url.pathname === '/api/models/acme/tiny/tree/main') return Response.json(listing);
    const m = /^\/acme\/tiny\/resolve\/main\/(.+)$/.exec(url.pathname);
    const body = m ? files.get(decodeURIComponent(m[1]!)) : undefined;
    if (!body) return new Response('not found', { status: 404, headers: { 'X-Error-Code': 'RepoNotFound' } });
    const headers = { ETag: '"x"', 'Content-Type': 'application/octet-stream' };
    if (!range) return new Response(body, { status: 200, headers });
    const [a, b] = range.replace('bytes=', '').split('-').map(Number) as [number, number];
    return new Response(body.subarray(a, b + 1), {
      status: 206,
      headers: { ...headers, 'Content-Range': `bytes ${a}-${b}/${body.length}` },
    });
  }) as typeof fetch;
}

describe('pullModel', () => {
  it('says how to import local files when the Hub is unreachable', async () => {
    const offline = (async () => {
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('getaddrinfo ENOTFOUND huggingface.co'), { code: 'ENOTFOUND' }),
      });
    }) as typeof fetch;
    const e = await engine();
    const err = await pullModel(e, undefined, { fetch: offline }).catch((x: unknown) => x);
    expect(err).toMatchObject({ code: 'hub_unreachable' });
    expect((err as Error).message).toMatch(/ENOTFOUND/);
    expect((err as Error).message).toMatch(/smolmap model import/);
    expect(await listModels(e)).toEqual([]);
    await expect(stat(path.join(e.modelsDir, 'base'))).rejects.toThrow(); // nothing created
  });

  it('pulls through the guarded client: a Hub URL on an internal address is refused before connecting', async () => {
    const e = await engine();
    for (const hubUrl of ['http://169.254.169.254', 'http://127.0.0.1:1', 'http://[fd00::1]'])
      await expect(pullModel({ ...e, net: { allow: [] } }, 'acme/tiny', { hubUrl })).rejects.toMatchObject({
        code: 'net_blocked_address',
      });
    expect(await listModels(e)).toEqual([]);
  });

  it('downloads a repo into models/base/<owner>--<name>/, verifies hashes and resumes partial files', async () => {
    const e = await engine();
    const requests: string[] = [];
    const dest = path.join(e.modelsDir, 'base', 'acme--tiny');
    // a previous, interrupted pull left the first 1000 bytes
    const weights = await readFile(path.join(hfDir, 'model.safetensors'));
    await mkdir(dest, { recursive: true });
    await writeFile(path.join(dest, 'model.safetensors.partial'), weights.subarray(0, 1000));
    const progress: number[] = [];
    const r = await pullModel(e, 'acme/tiny', {
      fetch: await fakeHub(hfDir, { requests }),
      hubUrl: 'https://hub.test',
      onProgress: (p) => p.file === 'model.safetensors' && progress.push(p.bytes),
    });
    expect(r).toMatchObject({
      name: 'acme--tiny',
      source: 'acme/tiny',
      format: 'hf',
      dir: dest,
      transfer: 'download',
    });
    expect((await readFile(path.join(dest, 'model.safetensors'))).equals(weights)).toBe(true);
    expect(requests).toContain(`/acme/tiny/resolve/main/model.safetensors bytes=1000-${weights.length - 1}`);
    expect(progress.at(-1)).toBe(weights.length);
    expect((await loadBaseModel(e, 'acme--tiny')).config.hidden_size).toBe(64);
    // pulling again re-verifies and keeps the one record
    await pullModel(e, 'acme/tiny', { fetch: await fakeHub(hfDir), hubUrl: 'https://hub.test' });
    expect((await listModels(e)).map((m) => m.name)).toEqual(['acme--tiny']);
  });

  it('deletes a file whose hash does not match and reports it', async () => {
    const e = await engine();
    const fetchFn = await fakeHub(hfDir, { corrupt: 'model.safetensors' });
    await expect(
      pullModel(e, 'acme/tiny', { fetch: fetchFn, hubUrl: 'https://hub.test' }),
    ).rejects.toMatchObject({
      code: 'hub_checksum_mismatch',
    });
    const dest = path.join(e.modelsDir, 'base', 'acme--tiny');
    expect(await readdir(dest)).not.toContain('model.safetensors');
    expect(await listModels(e)).toEqual([]);
  });

  it('maps a missing repo and a bad repo id to coded errors', async () => {
    const e = await engine();
    const fetchFn = await fakeHub(hfDir);
    await expect(
      pullModel(e, 'acme/none', { fetch: fetchFn, hubUrl: 'https://hub.test' }),
    ).rejects.toMatchObject({
      code: 'hub_repo_not_found',
    });
    await expect(pullModel(e, 'not a repo', { fetch: fetchFn })).rejects.toMatchObject({
      code: 'usage_bad_arguments',
    });
  });
});

const REAL = process.env['SMOLMAP_REAL_MODEL'];
if (!REAL) console.warn('[skipped] real-model import check: set SMOLMAP_REAL_MODEL to the SmolLM2 GGUF path');

describe.skipIf(!REAL)('importModel (real SmolLM2-135M-Instruct GGUF)', () => {
  it('imports it and reads 30 layers / hidden 576 / 9 heads / 3 kv heads / vocab 49152', async () => {
    const e = await engine();
    const r = await importModel(e, REAL!, { name: 'smollm2-135m' });
    expect(r.config).toMatchObject({
      num_hidden_layers: 30,
      hidden_size: 576,
      num_attention_heads: 9,
      num_key_value_heads: 3,
      vocab_size: 49152,
      rope_theta: 100000,
      rms_norm_eps: 1e-5,
      tie_word_embeddings: true,
      bos_token_id: 1,
      eos_token_id: 2,
    });
    expect(r.parameters).toBe(134_515_008); // SmolLM2-135M (tied, no lm_head)
    expect((await showModel(e, 'smollm2-135m')).format).toBe('gguf');
  });
});
