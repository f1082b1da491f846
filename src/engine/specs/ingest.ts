/**
 * Spec ingest: bytes from a file or an http(s) URL → a parsed, validated OpenAPI document → its Catalog.
 * Validation happens here, once; everything downstream trusts the Catalog.
 */
import { readFile, stat } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { SmolmapError } from '../errors.js';
import { STRICT_POLICY, type NetPolicy } from '../net/address.js';
import { guardedFetch } from '../net/fetch.js';
import { buildCatalog, type Catalog } from './catalog.js';
import { specFormatVersion } from './format.js';
import { openApiErrors } from './validator.js';

export const MAX_SPEC_BYTES = 10 * 1024 * 1024;
export const DEFAULT_FETCH_TIMEOUT_MS = 15_000;
/** YAML alias expansions allowed per document: enough for real specs, far too few for a billion-laughs bomb. */
const MAX_YAML_ALIASES = 1000;

export interface LoadSourceOptions {
  maxBytes?: number;
  timeoutMs?: number;
  /** Addresses a spec URL may reach besides the public internet (Engine.net). */
  net?: NetPolicy;
}

export interface SpecSource {
  /** The file path or URL as given. */
  source: string;
  /** The raw bytes (hashed and stored as they are). */
  bytes: Buffer;
  /** The bytes decoded as UTF-8. */
  text: string;
}

export interface LoadedSpec {
  /** The document as the user wrote it (before any upgrade), plain JSON. */
  document: unknown;
  catalog: Catalog;
  /** Schema errors outside the operations: the spec is kept, and `spec show` lists them. */
  warnings: string[];
}

/** Warnings kept in a catalog: enough to find and fix the problems, bounded for a very sloppy document. */
const MAX_WARNINGS = 20;

function isUrl(source: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(source);
}

/** Reads a spec's bytes from a file path or an http(s) URL, with a size cap and (for URLs) a timeout. */
export async function loadSpecSource(source: string, opts: LoadSourceOptions = {}): Promise<SpecSource> {
  const maxBytes = opts.maxBytes ?? MAX_SPEC_BYTES;
  const bytes = isUrl(source)
    ? await fetchBytes(
        source,
        maxBytes,
        opts.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS,
        opts.net ?? STRICT_POLICY,
      )
    : await readBytes(source, maxBytes);
  return { source, bytes, text: decodeText(bytes, source) };
}

async function readBytes(file: string, maxBytes: number): Promise<Buffer> {
  let size: number;
  try {
    const s = await stat(file);
    if (s.isDirectory())
      throw new SmolmapError('spec_read_error', `${file} is a directory; give the path of a spec file`);
    size = s.size;
  } catch (e) {
    if (e instanceof SmolmapError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new SmolmapError(
        'spec_not_found',
        `no file at ${file}; check the path (or give an http(s) URL)`,
        {
          cause: e,
        },
      );
    throw new SmolmapError(
      'spec_read_error',
      `cannot read ${file} (${code ?? String(e)}); check permissions`,
      {
        cause: e,
      },
    );
  }
  if (size > maxBytes) throw tooLarge(file, size, maxBytes);
  try {
    return await readFile(file);
  } catch (e) {
    throw new SmolmapError('spec_read_error', `cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
}

function tooLarge(source: string, size: number | null, maxBytes: number): SmolmapError {
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  return new SmolmapError(
    'spec_too_large',
    `${source} is ${size === null ? 'larger than' : mb(size) + ' MB, over'} the ${mb(maxBytes)} MB limit for specs; ` +
      'split the spec or remove unused parts',
    { details: { size, maxBytes } },
  );
}

async function fetchBytes(
  url: string,
  maxBytes: number,
  timeoutMs: number,
  policy: NetPolicy,
): Promise<Buffer> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (e) {
    throw new SmolmapError('spec_bad_url', `${url} is not a valid URL`, { cause: e });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new SmolmapError(
      'spec_bad_url',
      `${parsed.protocol} URLs are not supported; give an http(s) URL or a local file path`,
    );
  let response: Response;
  try {
    response = await guardedFetch(parsed, { policy, timeoutMs, maxBytes });
  } catch (e) {
    const code = (e as SmolmapError).code;
    if (code === 'net_timeout')
      throw new SmolmapError(
        'spec_fetch_timeout',
        `no answer from ${url} within ${timeoutMs / 1000} s; try again or download the file`,
        { cause: e },
      );
    if (code !== 'net_failed') throw e;
    const reason = ((e as Error).cause as Error | undefined)?.message ?? (e as Error).message;
    throw new SmolmapError(
      'spec_fetch_failed',
      `cannot fetch ${url} (${reason}); check the URL and your network`,
      {
        cause: e,
      },
    );
  }
  if (!response.ok)
    throw new SmolmapError('spec_fetch_failed', `${url} answered HTTP ${response.status}; check the URL`, {
      details: { status: response.status },
    });
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw tooLarge(url, declared, maxBytes);
  return readCapped(response, url, maxBytes, timeoutMs);
}

/** Reads a response body, giving up as soon as it passes the cap (a missing or lying content-length). */
async function readCapped(
  response: Response,
  url: string,
  maxBytes: number,
  timeoutMs: number,
): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of response.body ?? []) {
      total += chunk.byteLength;
      if (total > maxBytes) throw tooLarge(url, null, maxBytes);
      chunks.push(chunk);
    }
  } catch (e) {
    if (e instanceof SmolmapError && e.code === 'net_too_large') throw tooLarge(url, null, maxBytes);
    if (e instanceof SmolmapError && e.code !== 'net_timeout' && e.code !== 'net_failed') throw e;
    const name = (e as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError' || (e as SmolmapError).code === 'net_timeout')
      throw new SmolmapError('spec_fetch_timeout', `${url} did not finish within ${timeoutMs / 1000} s`, {
        cause: e,
      });
    throw new SmolmapError('spec_fetch_failed', `reading ${url} failed: ${(e as Error).message}`, {
      cause: e,
    });
  }
  return Buffer.concat(chunks);
}

function decodeText(bytes: Buffer, source: string): string {
  // A NUL byte never occurs in a JSON or YAML text, and fatal decoding refuses non-UTF-8 binaries.
  if (bytes.includes(0))
    throw new SmolmapError('spec_binary', `${source} is a binary file, not a JSON or YAML spec`);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (e) {
    throw new SmolmapError(
      'spec_binary',
      `${source} is not UTF-8 text; save the spec as UTF-8 JSON or YAML`,
      {
        cause: e,
      },
    );
  }
}

/** JSON (when the text starts with `{`) or YAML 1.2; errors point at the line and column. */
export function parseSpecText(text: string, source: string): unknown {
  if (text.trim() === '')
    throw new SmolmapError('spec_empty', `${source} is empty; give an OpenAPI document`);
  if (text.trimStart().startsWith('{')) return parseJson(text, source);
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const err = doc.errors[0];
  if (err) {
    const at = err.linePos ? ` at line ${err.linePos[0].line}, column ${err.linePos[0].col}` : '';
    throw new SmolmapError(
      'spec_parse_error',
      `${source} is not valid YAML${at}: ${firstLine(err.message)}`,
      {
        cause: err,
        details: { line: err.linePos?.[0].line, column: err.linePos?.[0].col },
      },
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (e) {
    // yaml throws a ReferenceError when alias expansion exceeds maxAliasCount (billion laughs).
    throw new SmolmapError(
      'spec_yaml_aliases',
      `${source} expands YAML aliases too often (over ${MAX_YAML_ALIASES}); write the repeated parts out or use $ref`,
      { cause: e },
    );
  }
  try {
    // An anchor used inside itself makes a cyclic value, which is not JSON (and would hang naive walkers).
    JSON.stringify(value);
  } catch (e) {
    throw new SmolmapError(
      'spec_parse_error',
      `${source}: a YAML anchor refers to itself; write the value out`,
      {
        cause: e,
      },
    );
  }
  return value;
}

/** yaml's first message line, without its own position suffix (we print the position once). */
function firstLine(s: string): string {
  return (s.split('\n')[0] ?? s).replace(/ at line \d+, column \d+:?$/, '');
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const pos = /position (\d+)/.exec(message)?.[1];
    let at = '';
    if (pos !== undefined) {
      const before = text.slice(0, Number(pos)).split('\n');
      at = ` at line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
    }
    throw new SmolmapError('spec_parse_error', `${source} is not valid JSON${at}: ${message}`, { cause: e });
  }
}

type SchemaError = Awaited<ReturnType<typeof openApiErrors>>[number];

// The declared type is string[]; 0.24 gives a JSON pointer string. Accept both.
const pointer = (e: SchemaError): string => {
  const p = (e as { path?: string[] | string }).path;
  return Array.isArray(p) ? (p.length ? '/' + p.join('/') : '') : (p ?? '');
};

const describeError = (e: SchemaError): string => `${pointer(e) ? `${pointer(e)}: ` : ''}${e.message}`;

/**
 * Schema validation by @scalar/openapi-parser. An error inside `paths` (an operation, its parameters or body)
 * or a missing top-level part refuses the spec; an error elsewhere (a non-URI `termsOfService`, a stray top-level key, a component schema's
 * odd keyword) does not change what an operation accepts, so it is returned as a warning and the spec is kept.
 * Reference errors are left to the catalog builder, which only follows the references that operations need.
 */
async function validateDocument(document: unknown, source: string): Promise<string[]> {
  const errors = await openApiErrors(document as Record<string, unknown>);
  const schemaErrors = errors.filter(
    (e) => !['EXTERNAL_REFERENCE_NOT_FOUND', 'INVALID_REFERENCE', 'SELF_REFERENCE'].includes(e.code ?? ''),
  );
  // A missing top-level part (`info`, `paths`) is not a detail: the document is not an OpenAPI description.
  // Inside paths, a response's schema or link and a `pattern` string (an odd regex dialect; an operation whose
  // schema then does not compile is skipped for data with that reason) do not change what a call may send.
  const detail = (p: string): boolean => p.includes('/responses/') || p.endsWith('/pattern');
  const fatal = schemaErrors.filter(
    (e) =>
      (pointer(e).startsWith('/paths') && !detail(pointer(e))) ||
      (pointer(e) === '' && /required property/.test(e.message)),
  );
  const warnings = [...new Set(schemaErrors.filter((e) => !fatal.includes(e)).map(describeError))];
  if (fatal.length === 0) return warnings;
  // The deepest pointer is the most specific complaint; ajv lists the enclosing oneOf/if failures too.
  const depth = (e: SchemaError): number => pointer(e).split('/').length;
  const shown = [...fatal]
    .sort((a, b) => depth(b) - depth(a))
    .slice(0, 3)
    .map(describeError);
  throw new SmolmapError(
    'spec_invalid',
    `${source} is not a valid OpenAPI document: ${shown.join('; ')}${fatal.length > 3 ? ` (+${fatal.length - 3} more)` : ''}`,
    { details: { errors: fatal.slice(0, 20) } },
  );
}

/** Names of the webhooks a document declares (OpenAPI 3.1 `webhooks`). */
function webhookNames(document: unknown): string[] {
  const hooks = (document as { webhooks?: unknown }).webhooks;
  return hooks !== null && typeof hooks === 'object' ? Object.keys(hooks) : [];
}

/** Parses, validates and catalogs spec text; throws a coded SmolmapError for anything a user can get wrong. */
export async function ingestSpecText(text: string, source: string): Promise<LoadedSpec> {
  const document = parseSpecText(text, source);
  specFormatVersion(document, source);
  const warnings = await validateDocument(document, source);
  const catalog = buildCatalog(document, { source, strictOperationIds: true });
  if (catalog.operations.length === 0) {
    const hooks = webhookNames(document);
    if (hooks.length > 0)
      throw new SmolmapError(
        'spec_webhooks_only',
        `${source} describes only webhooks (${hooks.slice(0, 5).join(', ')}${hooks.length > 5 ? ', …' : ''}): ` +
          'requests the API sends to you, not operations you call; smolmap maps tasks to the operations under "paths"',
        { details: { webhooks: hooks.length } },
      );
    throw new SmolmapError(
      'spec_no_operations',
      `${source} describes no operations (its "paths" is missing or empty); smolmap maps tasks to operations`,
    );
  }
  const all = [...warnings, ...(catalog.warnings ?? [])];
  if (all.length > 0) catalog.warnings = all.slice(0, MAX_WARNINGS);
  return { document, catalog, warnings: all };
}

/** Loads a spec from a file path (or http(s) URL), validates it and builds its Catalog. */
export async function loadSpecFile(file: string): Promise<LoadedSpec> {
  const { text } = await loadSpecSource(file);
  return ingestSpecText(text, file);
}
