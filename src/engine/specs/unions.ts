import type { JsonSchema } from './types.js';
import { isObject, type JsonObject } from './refs.js';

/**
 * Three readings of `oneOf` / `anyOf` schemas that OpenAPI gives them and plain JSON Schema validation does not:
 * - a `discriminator` names the branch by a property's value (OpenAPI 3.0.3 §4.7.25 "Discriminator Object": the
 *   `mapping` values, else the schema names of the `$ref`s); each branch's property is given those values, so a
 *   validator and a generator both tell the branches apart by it;
 * - `additionalProperties: false` beside a union with no `properties` of its own forbids every field the branches
 *   declare (JSON Schema only sees sibling `properties`), which admits no object at all; the authors mean the
 *   branches' fields, so it is dropped there (generated specs write unions this way);
 * - a `oneOf` of two or more open object branches that require nothing ("a matrix request or a symmetrical one")
 *   fits every well-formed object twice, so only a malformed one passes "exactly one"; it is read as `anyOf`.
 */
export function normalizeUnion(raw: JsonObject, out: JsonSchema): void {
  const branches = out.oneOf ?? out.anyOf;
  if (!branches || branches.length === 0) return;
  const rawBranches = (Array.isArray(raw['oneOf']) ? raw['oneOf'] : raw['anyOf']) as unknown[];
  if (isObject(out.discriminator)) tagBranches(out.discriminator, branches, rawBranches);
  const ap = out.additionalProperties;
  const closed = ap === false || (isObject(ap) && isObject(ap.not) && Object.keys(ap.not).length === 0);
  if (closed && !out.properties && !out['patternProperties'] && branches.every((b) => b.properties))
    delete out.additionalProperties;
  if (out.oneOf && !out.anyOf && !out.discriminator && out.oneOf.filter(isOpenOptional).length >= 2) {
    out.anyOf = out.oneOf;
    delete out.oneOf;
  }
}

/** An object branch every object without its own fields fits: nothing required, no closed field set. */
function isOpenOptional(b: JsonSchema): boolean {
  const object = b.type === 'object' || (b.type === undefined && b.properties !== undefined);
  const ap = b.additionalProperties;
  return (
    object &&
    (b.required ?? []).length === 0 &&
    b['minProperties'] === undefined &&
    !b.oneOf &&
    !b.anyOf &&
    !b.allOf &&
    (ap === undefined || ap === true || (isObject(ap) && Object.keys(ap).length === 0))
  );
}

const refName = (ref: string): string => decodeURIComponent(ref.split('/').at(-1) ?? ref);

function tagBranches(discriminator: JsonObject, branches: JsonSchema[], raw: unknown[]): void {
  const prop = discriminator['propertyName'];
  if (typeof prop !== 'string') return;
  const mapping = isObject(discriminator['mapping']) ? discriminator['mapping'] : {};
  branches.forEach((branch, i) => {
    const ref = isObject(raw[i]) ? raw[i]['$ref'] : undefined;
    if (typeof ref !== 'string') return;
    const mapped = Object.entries(mapping)
      .filter(([, target]) => typeof target === 'string' && refName(target) === refName(ref))
      .map(([value]) => value);
    const values = mapped.length > 0 ? mapped : [refName(ref)];
    const current = branch.properties?.[prop] ?? { type: 'string' };
    if (current.const !== undefined) return;
    // A shared enum of all variants (`type: { enum: [cat, dog] }`) is narrowed to this branch's values.
    const allowed = current.enum ? values.filter((v) => current.enum?.includes(v)) : values;
    if (allowed.length === 0 || (!current.enum && current.type !== undefined && current.type !== 'string'))
      return;
    branch.properties = { ...(branch.properties ?? {}), [prop]: { ...current, enum: allowed } };
    if (!(branch.required ?? []).includes(prop)) branch.required = [...(branch.required ?? []), prop];
  });
}
