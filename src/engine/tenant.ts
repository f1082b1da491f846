/**
 * Tenants: every spec, dataset, adapter, job, session, ask and correction belongs to one. The CLI and MCP act
 * as a named tenant (default `local`); the bots act as `slack:<team>` or `discord:<guild>`. Facade functions
 * take the acting tenant and see only its records; another tenant's record answers as unknown, exactly as a
 * name that does not exist, so ids and names never reveal what other tenants have. Records stored without a
 * tenant belong to `local`. Base models are the operator's and shared by all tenants.
 */
import { SmolmapError } from './errors.js';

/** The tenant of the CLI and MCP by default, and of records stored without one. */
export const LOCAL_TENANT = 'local';

export interface TenantOption {
  /** The acting tenant; default `local`. */
  tenant?: string;
}

/**
 * A tenant name the CLI and MCP accept: a short slug, or a bot's workspace/guild tenant (`slack:T0123`,
 * `discord:1234`) so the operator can look after what a chat workspace stored.
 */
const TENANT_NAME = /^(?:[a-z0-9][a-z0-9_-]{0,31}|(?:slack|discord):[A-Za-z0-9]{1,32})$/;

/** The tenant a record belongs to. */
export const tenantOf = (r: { tenant?: string }): string => r.tenant ?? LOCAL_TENANT;

/** True when the record belongs to the acting tenant. */
export const ownedBy = (r: { tenant?: string }, tenant: string | undefined): boolean =>
  tenantOf(r) === (tenant ?? LOCAL_TENANT);

/** Throws `tenant_bad_name` unless `name` is one the CLI and MCP accept. */
export function checkTenantName(name: string, from = '--tenant'): string {
  if (!TENANT_NAME.test(name))
    throw new SmolmapError(
      'tenant_bad_name',
      `${from} "${name}" is not a tenant name; use 1-32 lowercase letters, digits, "_" or "-", starting with a letter or digit (or a bot's slack:<team id> or discord:<guild id>)`,
      { details: { tenant: name } },
    );
  return name;
}

/** The tenant a CLI or MCP process acts as: the one given, else `$SMOLMAP_TENANT`, else `local`; validated. */
export function actingTenant(given?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (given !== undefined) return checkTenantName(given.trim());
  const fromEnv = env['SMOLMAP_TENANT']?.trim() ?? '';
  return fromEnv === '' ? LOCAL_TENANT : checkTenantName(fromEnv, 'SMOLMAP_TENANT');
}

/** Collections whose records belong to a tenant (base models are shared). */
const OWNED = ['specs', 'datasets', 'models', 'jobs', 'sessions', 'queries', 'corrections'] as const;

/** Gives every record a store holds without a tenant to `local`, so stores without tenants lose nothing. */
export function assignLocalTenant(
  data: Partial<Record<(typeof OWNED)[number], { tenant?: string }[]>>,
): void {
  for (const key of OWNED) for (const r of data[key] ?? []) r.tenant ??= LOCAL_TENANT;
}
