/**
 * Local `$ref` resolution (JSON Pointer, RFC 6901, inside the one document). References to other files or URLs
 * are refused where an operation needs them; references nobody follows (e.g. inside `x-` extensions, or in
 * responses, which the catalog does not keep) are never looked at.
 */
import { SmolmapError } from '../errors.js';

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 6901 escaping of one pointer segment. */
export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

export class RefResolver {
  constructor(
    private readonly root: JsonObject,
    private readonly source: string,
  ) {}

  /** The node a local reference points at. `at` is the JSON pointer of the `$ref`, for messages. */
  lookup(ref: string, at: string): unknown {
    if (!ref.startsWith('#'))
      throw new SmolmapError(
        'spec_external_ref',
        `${this.source}: ${at} refers to "${ref}", outside this document; smolmap only follows references ` +
          'inside the spec, so bundle it into one file first (e.g. `npx @redocly/cli bundle`)',
        { details: { pointer: at, ref } },
      );
    let node: unknown = this.root;
    const pointer = ref.slice(1);
    if (pointer !== '' && !pointer.startsWith('/')) throw this.unresolved(ref, at);
    for (const raw of pointer === '' ? [] : pointer.slice(1).split('/')) {
      // URI fragments may be percent-encoded (RFC 3986); then JSON Pointer unescaping (RFC 6901 §4).
      let key: string;
      try {
        key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      } catch {
        throw this.unresolved(ref, at);
      }
      if (Array.isArray(node) && /^\d+$/.test(key)) node = node[Number(key)];
      else if (isObject(node) && Object.hasOwn(node, key)) node = node[key];
      else throw this.unresolved(ref, at);
    }
    if (node === undefined) throw this.unresolved(ref, at);
    return node;
  }

  /**
   * Follows a chain of `$ref`s (a parameter, request body or path item) to the real object. Sibling keys of a
   * `$ref` (allowed since OpenAPI 3.1, e.g. a `description`) override the target's.
   */
  deref(node: unknown, at: string): unknown {
    const seen: string[] = [];
    let current = node;
    let where = at;
    let overrides: JsonObject = {};
    while (isObject(current) && typeof current['$ref'] === 'string') {
      const ref = current['$ref'];
      if (seen.includes(ref)) throw this.cycle([...seen, ref], at);
      seen.push(ref);
      const { $ref: _ignored, ...siblings } = current;
      overrides = { ...siblings, ...overrides };
      current = this.lookup(ref, where);
      where = ref;
    }
    return isObject(current) && Object.keys(overrides).length > 0 ? { ...current, ...overrides } : current;
  }

  unresolved(ref: string, at: string): SmolmapError {
    return new SmolmapError(
      'spec_ref_unresolved',
      `${this.source}: ${at} refers to "${ref}", which does not exist in the document; fix the reference`,
      { details: { pointer: at, ref } },
    );
  }

  cycle(chain: string[], at: string): SmolmapError {
    return new SmolmapError(
      'spec_ref_cycle',
      `${this.source}: ${at} is a $ref loop with nothing in between (${chain.join(' → ')}); ` +
        'one of these references must point at a real definition',
      { details: { pointer: at, chain } },
    );
  }
}
