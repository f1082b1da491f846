import { copyFile, link, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Engine } from '../engine.js';
import { SmolmapError } from '../errors.js';
import type { BaseModelRecord, StoreData } from '../store.js';
import type { LlamaConfig } from './types.js';
import { downloadRepo, type HubOptions } from './weights/hub.js';
import { guardedFetchFunction } from '../net/fetch.js';
import { inspectModel } from './weights/inspect.js';
import { loadWeights, type LoadedWeights } from './weights/load.js';

/**
 * The base-model registry: `models/base/<name>/` holds the files, the store holds a BaseModelRecord.
 * Import copies (or hard-links) local files; pull downloads a Hub repo. Both validate config and tensor
 * shapes from headers before registering.
 */

export const DEFAULT_REPO = 'HuggingFaceTB/SmolLM2-135M-Instruct';
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** What `model import|pull|show` report (the CLI contract's `{ name, source, config }` and more). */
export interface BaseModelSummary {
  name: string;
  source: string;
  format: 'hf' | 'gguf';
  /** Absolute folder holding the files. */
  dir: string;
  files: string[];
  config: LlamaConfig;
  addedAt: string;
}

export interface ImportModelResult extends BaseModelSummary {
  /** 'link' when every file was hard-linked, else 'copy'. */
  transfer: 'link' | 'copy' | 'download';
  bytes: number;
  parameters: number;
}

function checkName(name: string): string {
  if (!NAME_RE.test(name)) {
    throw new SmolmapError(
      'usage_bad_name',
      `model name "${name}" is not allowed; use letters, digits, '.', '_' or '-' (at most 100, starting with a letter or digit).`,
    );
  }
  return name;
}

/** A default name from a path: `SmolLM2-135M-Instruct.Q4_1.gguf` → `SmolLM2-135M-Instruct.Q4_1`. */
export function defaultModelName(source: string): string {
  const base = path.basename(path.resolve(source)).replace(/\.gguf$/i, '');
  return base.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'model';
}

function summary(engine: Engine, r: BaseModelRecord): BaseModelSummary {
  return {
    name: r.name,
    source: r.source,
    format: r.format,
    dir: path.join(engine.modelsDir, r.dir),
    files: r.files,
    config: r.config,
    addedAt: r.addedAt,
  };
}

async function ensureFree(engine: Engine, name: string): Promise<void> {
  if ((await engine.store.read()).baseModels.some((m) => m.name === name)) {
    throw new SmolmapError(
      'model_exists',
      `a base model named ${name} is already registered; pick another --name or run \`smolmap model rm ${name}\` first.`,
      { details: { name } },
    );
  }
}

/** Hard-link when the source is on the same filesystem, else copy; returns whether it linked. */
async function transfer(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EMLINK') throw e;
    await copyFile(from, to);
    return false;
  }
}

async function register(engine: Engine, record: BaseModelRecord): Promise<void> {
  await engine.store.update((data) => {
    if (data.baseModels.some((m) => m.name === record.name)) {
      throw new SmolmapError(
        'model_exists',
        `a base model named ${record.name} was registered meanwhile; pick another --name.`,
      );
    }
    data.baseModels.push(record);
  });
}

/** Imports a local `.gguf` file or Hugging Face folder as base model `name`. */
export async function importModel(
  engine: Engine,
  source: string,
  options: { name?: string } = {},
): Promise<ImportModelResult> {
  const name = checkName(options.name ?? defaultModelName(source));
  await ensureFree(engine, name);
  const info = await inspectModel(source);
  const rel = path.join('base', name);
  const final = path.join(engine.modelsDir, rel);
  if (
    await stat(final).then(
      () => true,
      () => false,
    )
  ) {
    throw new SmolmapError(
      'model_dir_exists',
      `${final} already exists but is not a registered model; remove it or pick another --name.`,
    );
  }
  // Assemble in a sibling temp folder and rename, so a failed import leaves nothing half-written.
  const tmp = path.join(engine.modelsDir, 'base', `.${name}.importing-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  let linked = true;
  try {
    for (const f of info.files)
      linked = (await transfer(path.join(info.dir, f), path.join(tmp, f))) && linked;
    await rename(tmp, final);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw new SmolmapError(
      'model_import_failed',
      `could not copy the model files into ${final}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  const record: BaseModelRecord = {
    name,
    source: path.resolve(source),
    format: info.format,
    dir: rel,
    files: info.files,
    config: info.config,
    addedAt: new Date().toISOString(),
  };
  try {
    await register(engine, record);
  } catch (e) {
    await rm(final, { recursive: true, force: true });
    throw e;
  }
  return {
    ...summary(engine, record),
    transfer: linked ? 'link' : 'copy',
    bytes: info.bytes,
    parameters: info.parameters,
  };
}

/** `HuggingFaceTB/SmolLM2-135M-Instruct` → `HuggingFaceTB--SmolLM2-135M-Instruct` (the folder and default name). */
export function repoFolderName(repoId: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/.test(repoId)) {
    throw new SmolmapError(
      'usage_bad_arguments',
      `"${repoId}" is not a Hub repo id; use owner/name, e.g. ${DEFAULT_REPO}.`,
    );
  }
  return repoId.replace('/', '--');
}

/**
 * Downloads a Hub repo into `models/base/<owner>--<name>/` (resuming partial files) and registers it.
 * Pulling an already registered repo re-verifies its files and returns the record.
 */
export async function pullModel(
  engine: Engine,
  repoId: string = DEFAULT_REPO,
  options: HubOptions & { name?: string } = {},
): Promise<ImportModelResult> {
  const folder = repoFolderName(repoId);
  const name = checkName(options.name ?? folder);
  const existing = (await engine.store.read()).baseModels.find((m) => m.name === name);
  if (existing && existing.source !== repoId) await ensureFree(engine, name);
  const rel = path.join('base', folder);
  const dir = path.join(engine.modelsDir, rel);
  const token = options.accessToken ?? process.env['HF_TOKEN'];
  // The Hub redirects to CDN hosts; every hop goes through the address check, with no deadline for large files.
  const fetch = options.fetch ?? guardedFetchFunction({ policy: engine.net, idleMs: 60_000 });
  // HF_ENDPOINT names a Hub mirror, as the Hugging Face clients read it.
  const hubUrl = options.hubUrl ?? (process.env['HF_ENDPOINT'] || undefined);
  const files = await downloadRepo(repoId, dir, {
    ...options,
    fetch,
    ...(hubUrl ? { hubUrl } : {}),
    ...(token ? { accessToken: token } : {}),
  });
  const info = await inspectModel(dir);
  const record: BaseModelRecord = existing ?? {
    name,
    source: repoId,
    format: 'hf',
    dir: rel,
    files,
    config: info.config,
    addedAt: new Date().toISOString(),
  };
  if (!existing) await register(engine, record);
  return { ...summary(engine, record), transfer: 'download', bytes: info.bytes, parameters: info.parameters };
}

export async function listModels(engine: Engine): Promise<BaseModelSummary[]> {
  return (await engine.store.read()).baseModels.map((r) => summary(engine, r));
}

async function findModel(engine: Engine, name: string): Promise<BaseModelRecord> {
  const data = await engine.store.read();
  const r = data.baseModels.find((m) => m.name === name);
  if (!r) {
    const known = data.baseModels.map((m) => m.name);
    throw new SmolmapError(
      'model_not_found',
      `no base model named ${name}` +
        (known.length ? ` (have: ${known.join(', ')})` : '') +
        '; add one with `smolmap model import <file.gguf|dir> --name N` or `smolmap model pull`.',
      { details: { name } },
    );
  }
  return r;
}

export interface ShowModelResult extends BaseModelSummary {
  bytes: number;
  parameters: number;
  /** Adapters (trained models) built on this base. */
  adapters: string[];
}

export async function showModel(engine: Engine, name: string): Promise<ShowModelResult> {
  const r = await findModel(engine, name);
  const s = summary(engine, r);
  const info = await inspectModel(r.format === 'gguf' ? path.join(s.dir, r.files[0]!) : s.dir);
  const adapters = (await engine.store.read()).models.filter((m) => m.baseModel === name).map((m) => m.id);
  return { ...s, bytes: info.bytes, parameters: info.parameters, adapters };
}

/** The file (GGUF) or folder (HF) to load a registered base model from. */
export async function baseModelPath(engine: Engine, name: string): Promise<string> {
  const r = await findModel(engine, name);
  const dir = path.join(engine.modelsDir, r.dir);
  return r.format === 'gguf' ? path.join(dir, r.files[0]!) : dir;
}

/** Loads a registered base model's config and f32 weights. */
export async function loadBaseModel(engine: Engine, name: string): Promise<LoadedWeights> {
  return loadWeights(await baseModelPath(engine, name));
}

export async function removeModel(
  engine: Engine,
  name: string,
  options: { force?: boolean } = {},
): Promise<{ name: string; removed: string }> {
  const r = await findModel(engine, name);
  const adapters = (await engine.store.read()).models.filter((m) => m.baseModel === name).map((m) => m.id);
  if (adapters.length && !options.force) {
    throw new SmolmapError(
      'model_in_use',
      `base model ${name} is used by adapters ${adapters.join(', ')}; remove them first or pass --force.`,
      { details: { name, adapters } },
    );
  }
  await engine.store.update((data) => {
    data.baseModels = data.baseModels.filter((m) => m.name !== name);
  });
  const dir = path.join(engine.modelsDir, r.dir);
  // A pulled folder may be shared by another registered name pointing at the same repo folder.
  const stillUsed = (await engine.store.read()).baseModels.some((m) => m.dir === r.dir);
  if (!stillUsed) await rm(dir, { recursive: true, force: true });
  return { name, removed: dir };
}

/**
 * The base model a training or an ask uses: the named one, else the first registered that the tenant may see.
 * Shared by `startTraining` and `ask` so both pick (and refuse) the same way.
 */
export function resolveBaseModelName(
  data: StoreData,
  name: string | undefined,
  tenant: string | undefined,
): string {
  const visible = data.baseModels.filter((b) => b.tenant === undefined || b.tenant === tenant);
  const base = name === undefined ? visible[0] : visible.find((b) => b.name === name);
  if (base) return base.name;
  throw new SmolmapError(
    'model_not_found',
    name === undefined
      ? 'no base model is registered; `smolmap model pull` downloads the default (SmolLM2-135M-Instruct, about 270 MB), `smolmap model import <file.gguf|dir> --name N` registers one you have (MCP: pull_base_model, import_base_model)'
      : `no base model named "${name}"; \`smolmap model list\` shows them, \`smolmap model pull [repo]\` or \`smolmap model import <file.gguf|dir> --name ${name}\` adds it`,
  );
}
