/**
 * The spec registry (facade functions): named specs with numbered versions. A version holds the document as
 * added and its Catalog, both as payload files; adding identical content again changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { Engine } from '../engine.js';
import { SmolmapError } from '../errors.js';
import { LOCAL_TENANT, ownedBy, tenantOf, type TenantOption } from '../tenant.js';
import { sha256, type FileRef, type SpecRecord, type SpecVersionRecord, type StoreData } from '../store.js';
import { STAGING_DIR, stagingName } from './orphans.js';
import { diffCatalogs, type SpecDiff } from './diff.js';
import { ingestSpecText, loadSpecSource } from './ingest.js';
import type { Catalog, Operation } from './types.js';

export type { SpecDiff, OperationChange, OperationSummary } from './diff.js';

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** File names that say nothing about the API; the title names the spec instead. */
const GENERIC_BASENAMES = new Set([
  'openapi',
  'swagger',
  'api',
  'spec',
  'index',
  'schema',
  'api-docs',
  'v1',
  'v2',
  'v3',
]);

export type { TenantOption } from '../tenant.js';

export interface AddSpecResult {
  name: string;
  version: number;
  /** False when the content equals the latest version's (nothing was stored). */
  created: boolean;
  title: string;
  apiVersion: string;
  sourceFormat: string;
  operations: number;
  servers: string[];
  contentHash: string;
}

export interface SpecSummary {
  name: string;
  /** Latest version. */
  version: number;
  title: string;
  operations: number;
  versions: number[];
  updatedAt: string;
}

export interface SpecDetails {
  record: SpecRecord;
  version: SpecVersionRecord;
  catalog: Catalog;
}

function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+|-+$/g, '')
    .slice(0, 64);
}

/** The name a spec gets when none is given: its file name, or its title when the file name is generic. */
export function defaultSpecName(source: string, title: string): string {
  const last = source.split(/[?#]/)[0]!.replace(/\/+$/, '').split(/[\\/]/).at(-1) ?? '';
  const base = slug(last.replace(/\.(ya?ml|json)$/i, ''));
  return base && !GENERIC_BASENAMES.has(base) ? base : slug(title) || 'spec';
}

function checkName(name: string): void {
  if (!NAME.test(name))
    throw new SmolmapError(
      'spec_bad_name',
      `"${name}" is not a valid spec name; use lowercase letters, digits, ".", "_" or "-" (at most 64, starting with a letter or digit)`,
    );
}

function specDir(name: string, tenant: string | undefined): string {
  // Tenant ids come from chat platforms; a hash keeps them out of file names. `local` keeps the plain layout.
  const t = tenant ?? LOCAL_TENANT;
  return t === LOCAL_TENANT ? `specs/${name}` : `specs/@${sha256(t).slice(0, 12)}/${name}`;
}

/** Adds a spec (file path or http(s) URL). A new version is stored only when the content changed. */
export async function addSpec(
  engine: Engine,
  source: string,
  options: { name?: string } & TenantOption = {},
): Promise<AddSpecResult> {
  if (options.name !== undefined) checkName(options.name);
  const { bytes, text } = await loadSpecSource(source, { net: engine.net });
  const { catalog } = await ingestSpecText(text, source);
  const name = options.name ?? defaultSpecName(source, catalog.title);
  checkName(name);
  const contentHash = sha256(bytes);
  const { store } = engine;
  const ext = text.trimStart().startsWith('{') ? 'json' : 'yaml';
  // Files are written to a staging folder first and renamed into place with the index update, so a crash
  // leaves at most a staging folder or an unrecorded version folder, both swept (orphans.ts).
  const staging = `${STAGING_DIR}/${stagingName(randomUUID().slice(0, 8))}`;
  const staged = {
    document: await store.writeFile(`${staging}/document.${ext}`, bytes),
    catalog: await store.writeFile(`${staging}/catalog.json`, JSON.stringify(catalog)),
  };
  const moved = (ref: FileRef, dir: string): FileRef => ({
    ...ref,
    path: `${dir}/${path.posix.basename(ref.path)}`,
  });
  // The version folder written by this call, removed again if the index write fails afterwards.
  let written: string | null = null;
  const change = async (data: StoreData): Promise<AddSpecResult> => {
    const now = new Date().toISOString();
    let record = data.specs.find((r) => r.name === name && ownedBy(r, options.tenant));
    const latest = record?.versions.at(-1);
    const result = (version: SpecVersionRecord, created: boolean): AddSpecResult => ({
      name,
      version: version.version,
      created,
      title: version.title,
      apiVersion: version.apiVersion,
      sourceFormat: version.sourceFormat,
      operations: version.operations,
      servers: catalog.servers,
      contentHash,
    });
    if (latest && latest.contentHash === contentHash) return result(latest, false);
    // Numbers are never reused while the spec exists: datasets and adapters refer to name + version.
    const version = (record?.lastVersion ?? 0) + 1;
    const dir = `${specDir(name, options.tenant)}/${version}`;
    await mkdir(path.dirname(store.resolve(dir)), { recursive: true });
    await rm(store.resolve(dir), { recursive: true, force: true }); // an unrecorded folder a crash left
    await rename(store.resolve(staging), store.resolve(dir));
    written = dir;
    const entry: SpecVersionRecord = {
      version,
      contentHash,
      title: catalog.title,
      apiVersion: catalog.apiVersion,
      sourceFormat: catalog.sourceFormat,
      operations: catalog.operations.length,
      source: /^[a-z]+:\/\//i.test(source) ? source : path.resolve(source),
      document: moved(staged.document, dir),
      catalog: moved(staged.catalog, dir),
      addedAt: now,
    };
    if (!record) {
      const tenant = tenantOf(options);
      record = { tenant, name, versions: [], lastVersion: 0, createdAt: now, updatedAt: now };
      data.specs.push(record);
    }
    record.versions.push(entry);
    record.lastVersion = version;
    record.updatedAt = now;
    return result(entry, true);
  };
  try {
    return await store.update(change);
  } catch (e) {
    if (written !== null) await store.remove(written);
    throw e;
  } finally {
    await store.remove(staging);
    await rmdir(store.resolve(STAGING_DIR)).catch(() => undefined); // when no other write is staged
  }
}

export async function listSpecs(engine: Engine, options: TenantOption = {}): Promise<SpecSummary[]> {
  const data = await engine.store.read();
  return data.specs
    .filter((r) => ownedBy(r, options.tenant))
    .map((r) => {
      const latest = r.versions.at(-1)!;
      return {
        name: r.name,
        version: latest.version,
        title: latest.title,
        operations: latest.operations,
        versions: r.versions.map((v) => v.version),
        updatedAt: r.updatedAt,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

function findRecord(specs: SpecRecord[], name: string, tenant: string | undefined): SpecRecord {
  // Another tenant's spec of that name answers exactly as a missing one.
  const record = specs.find((r) => r.name === name && ownedBy(r, tenant));
  if (!record)
    throw new SmolmapError('spec_unknown', `no spec named "${name}"; \`smolmap spec list\` shows the names`, {
      details: { name },
    });
  return record;
}

function findVersion(record: SpecRecord, version: number | undefined): SpecVersionRecord {
  const v =
    version === undefined ? record.versions.at(-1) : record.versions.find((x) => x.version === version);
  if (!v)
    throw new SmolmapError(
      'spec_version_unknown',
      `spec "${record.name}" has no version ${version}; it has ${record.versions.map((x) => x.version).join(', ')}`,
      { details: { name: record.name, version } },
    );
  return v;
}

/** A spec version's record and Catalog (the latest version unless one is named). */
export async function getSpec(
  engine: Engine,
  name: string,
  options: { version?: number } & TenantOption = {},
): Promise<SpecDetails> {
  const record = findRecord((await engine.store.read()).specs, name, options.tenant);
  const version = findVersion(record, options.version);
  const catalog = JSON.parse((await engine.store.readFile(version.catalog)).toString('utf8')) as Catalog;
  return { record, version, catalog };
}

export async function specOperations(
  engine: Engine,
  name: string,
  options: { version?: number } & TenantOption = {},
): Promise<Operation[]> {
  return (await getSpec(engine, name, options)).catalog.operations;
}

/** Operations added, removed and changed from version `from` to version `to` (matched by method + path). */
export async function diffSpecVersions(
  engine: Engine,
  name: string,
  from: number,
  to: number,
  options: TenantOption = {},
): Promise<SpecDiff> {
  const a = await getSpec(engine, name, { ...options, version: from });
  const b = await getSpec(engine, name, { ...options, version: to });
  return { name, from, to, ...diffCatalogs(a.catalog, b.catalog) };
}

export interface RemoveSpecResult {
  name: string;
  removed: number[];
  /** Versions left; empty when the whole spec is gone. */
  remaining: number[];
}

/** Removes one version, or the whole spec when no version is named. */
export async function removeSpec(
  engine: Engine,
  name: string,
  options: { version?: number } & TenantOption = {},
): Promise<RemoveSpecResult> {
  const { store } = engine;
  const { result, dirs } = await store.update((data) => {
    const record = findRecord(data.specs, name, options.tenant);
    const gone =
      options.version === undefined ? [...record.versions] : [findVersion(record, options.version)];
    record.versions = record.versions.filter((v) => !gone.includes(v));
    if (record.versions.length === 0) data.specs.splice(data.specs.indexOf(record), 1);
    else record.updatedAt = new Date().toISOString();
    const base = specDir(name, options.tenant);
    return {
      result: { name, removed: gone.map((v) => v.version), remaining: record.versions.map((v) => v.version) },
      dirs: record.versions.length === 0 ? [base] : gone.map((v) => `${base}/${v.version}`),
    };
  });
  // Files go after the index no longer points at them, so a crash in between leaves only orphans.
  for (const dir of dirs) await store.remove(dir);
  return result;
}
