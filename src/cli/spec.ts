/** `smolmap spec ...`: the spec registry commands. */
import {
  SmolmapError,
  addSpec,
  diffSpecVersions,
  getSpec,
  listSpecs,
  removeSpec,
  specOperations,
  type AddSpecResult,
  type RemoveSpecResult,
  type SpecDiff,
} from '../engine/index.js';
import { defineCommand, type Command, type OptionValues } from './command.js';

/** Left-aligned columns, two spaces apart; long cells are cut with an ellipsis. */
function table(header: string[], rows: string[][], maxWidth = 60): string {
  const cut = (s: string) => (s.length > maxWidth ? s.slice(0, maxWidth - 1) + '…' : s);
  const cells = [header, ...rows].map((r) => r.map((c) => cut(c.replace(/\s+/g, ' '))));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function one(positionals: string[], what: string, command: string): string {
  if (positionals.length !== 1)
    throw new SmolmapError(
      'usage_bad_arguments',
      `\`smolmap ${command}\` takes exactly one ${what} (got ${positionals.length}); see \`smolmap ${command} --help\``,
    );
  return positionals[0]!;
}

function versionNumber(value: string | undefined, command: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(value))
    throw new SmolmapError(
      'usage_bad_option',
      `version "${value}" is not a positive whole number; see \`smolmap ${command} --help\``,
    );
  return Number(value);
}

const versionOption = { version: { type: 'string' } } as const;
const str = (values: OptionValues, key: string) => values[key] as string | undefined;

const add = defineCommand<AddSpecResult>({
  name: 'spec add',
  summary: 'add an OpenAPI spec (JSON or YAML file, or http(s) URL); a new version only when it changed',
  args: '<file|url>',
  options: { name: { type: 'string' } },
  optionHelp: { 'name N': 'name to store it under (default: file name, or its title)' },
  async run(ctx, positionals, values) {
    const source = one(positionals, 'file or URL', 'spec add');
    const name = str(values, 'name');
    return addSpec(await ctx.engine(), source, {
      tenant: ctx.tenant,
      ...(name === undefined ? {} : { name }),
    });
  },
  human: (r) =>
    `${r.created ? 'Added' : 'Unchanged:'} ${r.name} v${r.version}: ${r.title} ${r.apiVersion} ` +
    `(${r.sourceFormat}, ${r.operations} operations)` +
    (r.servers.length ? `\nservers: ${r.servers.join(', ')}` : '') +
    `\nrun \`smolmap spec ops ${r.name}\` to list its operations`,
});

interface ListRow {
  name: string;
  version: number;
  title: string;
  operations: number;
  versions: number[];
}

const list = defineCommand<ListRow[]>({
  name: 'spec list',
  summary: 'list the stored specs (latest version of each)',
  args: '',
  options: {},
  optionHelp: {},
  async run(ctx, positionals) {
    if (positionals.length > 0)
      throw new SmolmapError('usage_bad_arguments', '`smolmap spec list` takes no arguments');
    return (await listSpecs(await ctx.engine(), { tenant: ctx.tenant })).map(
      ({ name, version, title, operations, versions }) => ({
        name,
        version,
        title,
        operations,
        versions,
      }),
    );
  },
  human: (rows) =>
    rows.length === 0
      ? 'No specs yet; add one with `smolmap spec add <file|url>`'
      : table(
          ['NAME', 'VERSION', 'OPERATIONS', 'TITLE'],
          rows.map((r) => [r.name, String(r.version), String(r.operations), r.title]),
        ),
});

interface ShowResult {
  name: string;
  version: number;
  versions: number[];
  title: string;
  apiVersion: string;
  sourceFormat: string;
  description: string | null;
  operations: number;
  servers: string[];
  securitySchemes: Record<string, { type: string }>;
  source: string;
  contentHash: string;
  addedAt: string;
  /** Schema errors outside the operations that ingest accepted. */
  warnings: string[];
}

const show = defineCommand<ShowResult>({
  name: 'spec show',
  summary: 'show one spec version: title, format, servers, security, operation count',
  args: '<name>',
  options: versionOption,
  optionHelp: { 'version V': 'which version (default: the latest)' },
  async run(ctx, positionals, values) {
    const name = one(positionals, 'spec name', 'spec show');
    const version = versionNumber(str(values, 'version'), 'spec show');
    const {
      record,
      version: v,
      catalog,
    } = await getSpec(await ctx.engine(), name, {
      tenant: ctx.tenant,
      ...(version === undefined ? {} : { version }),
    });
    return {
      name,
      version: v.version,
      versions: record.versions.map((x) => x.version),
      title: catalog.title,
      apiVersion: catalog.apiVersion,
      sourceFormat: catalog.sourceFormat,
      description: catalog.description ?? null,
      operations: catalog.operations.length,
      servers: catalog.servers,
      securitySchemes: catalog.securitySchemes,
      source: v.source,
      contentHash: v.contentHash,
      addedAt: v.addedAt,
      warnings: catalog.warnings ?? [],
    };
  },
  human: (r) =>
    [
      `${r.name} v${r.version} (versions: ${r.versions.join(', ')})`,
      `title:      ${r.title} ${r.apiVersion}`,
      `format:     ${r.sourceFormat}`,
      `operations: ${r.operations}`,
      `servers:    ${r.servers.join(', ') || '(none)'}`,
      `security:   ${
        Object.entries(r.securitySchemes)
          .map(([k, s]) => `${k} (${s.type})`)
          .join(', ') || '(none)'
      }`,
      `source:     ${r.source}`,
      `added:      ${r.addedAt}`,
      `sha256:     ${r.contentHash}`,
      ...(r.warnings.length > 0
        ? [
            `warnings:   ${r.warnings.length} schema error(s) outside the operations:`,
            ...r.warnings.map((w) => `  - ${w}`),
          ]
        : []),
    ].join('\n'),
});

interface OpRow {
  operationId: string;
  method: string;
  path: string;
  summary: string;
  parameters: string[];
  requestBody: string | null;
}

const ops = defineCommand<OpRow[]>({
  name: 'spec ops',
  summary: "list a spec's operations",
  args: '<name>',
  options: versionOption,
  optionHelp: { 'version V': 'which version (default: the latest)' },
  async run(ctx, positionals, values) {
    const name = one(positionals, 'spec name', 'spec ops');
    const version = versionNumber(str(values, 'version'), 'spec ops');
    const operations = await specOperations(await ctx.engine(), name, {
      tenant: ctx.tenant,
      ...(version === undefined ? {} : { version }),
    });
    return operations.map((op) => ({
      operationId: op.operationId,
      method: op.method,
      path: op.path,
      summary: op.summary ?? '',
      parameters: op.parameters.map((p) => `${p.in}:${p.name}${p.required ? '*' : ''}`),
      requestBody: op.requestBody?.contentType ?? null,
    }));
  },
  human: (rows) =>
    table(
      ['METHOD', 'PATH', 'OPERATION', 'SUMMARY'],
      rows.map((r) => [r.method, r.path, r.operationId, r.summary]),
    ) + `\n${rows.length} operations`,
});

const diff = defineCommand<SpecDiff>({
  name: 'spec diff',
  summary: 'operations added, removed and changed between two versions of a spec',
  args: '<name> <v1> <v2>',
  options: {},
  optionHelp: {},
  async run(ctx, positionals) {
    if (positionals.length !== 3)
      throw new SmolmapError('usage_bad_arguments', '`smolmap spec diff` takes a spec name and two versions');
    const [name, a, b] = positionals as [string, string, string];
    return diffSpecVersions(
      await ctx.engine(),
      name,
      versionNumber(a, 'spec diff')!,
      versionNumber(b, 'spec diff')!,
      { tenant: ctx.tenant },
    );
  },
  human: (d) => {
    const line = (sign: string, o: { method: string; path: string; operationId: string }) =>
      `${sign} ${o.method} ${o.path} (${o.operationId})`;
    const lines = [
      ...d.added.map((o) => line('+', o)),
      ...d.removed.map((o) => line('-', o)),
      ...d.changed.flatMap((o) => [line('~', o), ...o.changes.map((c) => `    ${c}`)]),
    ];
    return [`${d.name} v${d.from} → v${d.to}`, ...(lines.length ? lines : ['no operation changed'])].join(
      '\n',
    );
  },
});

const rm = defineCommand<RemoveSpecResult>({
  name: 'spec rm',
  summary: 'remove a spec, or one version of it',
  args: '<name>',
  options: versionOption,
  optionHelp: { 'version V': 'remove only this version' },
  async run(ctx, positionals, values) {
    const name = one(positionals, 'spec name', 'spec rm');
    const version = versionNumber(str(values, 'version'), 'spec rm');
    return removeSpec(await ctx.engine(), name, {
      tenant: ctx.tenant,
      ...(version === undefined ? {} : { version }),
    });
  },
  human: (r) =>
    `Removed ${r.name} version${r.removed.length > 1 ? 's' : ''} ${r.removed.join(', ')}` +
    (r.remaining.length ? ` (left: ${r.remaining.join(', ')})` : ''),
});

export const specCommands: Command[] = [add, list, show, ops, diff, rm];
