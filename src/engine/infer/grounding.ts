/**
 * The operations a task can ground. A required path parameter of format `uuid` names one existing resource;
 * when the task holds no UUID, every call to such an operation would carry an id the user never gave (the copy
 * constraint, grammar/copy.ts, can only offer the spec's example id or leave the value free), so it cannot be
 * the call the user meant. Those operations are left out of the task's grammar and the model picks among the
 * rest — "cancel my booking" without an id then gets the listing instead of DELETE on an invented id. On the
 * eval-dev adapters this was the most common wrong-operation kind on id-less tasks ("whcih crawls are runing
 * right now?" → GET /crawl/{id} with a made-up UUID).
 */
import type { Catalog } from '../specs/types.js';

/** The uuid grammar of grammar/formats.ts (8-4-4-4-12 hex digits, either case) as a search pattern. */
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** One filtered catalog per catalog (its object identity keys the cached grammar, see call-grammar.ts). */
const withoutIdOps = new WeakMap<Catalog, Catalog>();

export const needsUuid = (op: Catalog['operations'][number]): boolean =>
  op.parameters.some((p) => p.in === 'path' && p.required && p.schema.format === 'uuid');

/**
 * `catalog` itself when the task holds a UUID (or no operation needs one, or every operation does: then there
 * is nothing better to choose), else the catalog without the operations that need a UUID path parameter.
 */
export function groundedCatalog(catalog: Catalog, task: string): Catalog {
  if (UUID.test(task)) return catalog;
  let filtered = withoutIdOps.get(catalog);
  if (!filtered) {
    const keep = catalog.operations.filter((op) => !needsUuid(op));
    filtered =
      keep.length === 0 || keep.length === catalog.operations.length
        ? catalog
        : { ...catalog, operations: keep };
    withoutIdOps.set(catalog, filtered);
  }
  return filtered;
}
