import { SmolmapError } from '../errors.js';

const SUPPORTED_VERSION = /^(2\.0|3\.[012]\.\d+)$/;

/** The document's format version; refuses documents that are not Swagger 2.0 or OpenAPI 3.0-3.2. */
export function specFormatVersion(document: unknown, source: string): string {
  if (typeof document !== 'object' || document === null || Array.isArray(document))
    throw new SmolmapError(
      'spec_not_openapi',
      `${source} is not an OpenAPI document (expected an object at the top)`,
    );
  const doc = document as Record<string, unknown>;
  const version = doc['openapi'] ?? doc['swagger'];
  if (version === undefined)
    throw new SmolmapError(
      'spec_version_missing',
      `${source} has no "openapi" (or "swagger") field; add e.g. openapi: 3.1.0 at the top`,
    );
  if (typeof version !== 'string' || !SUPPORTED_VERSION.test(version))
    throw new SmolmapError(
      'spec_version_unsupported',
      `${source} declares version ${JSON.stringify(version)}; smolmap reads Swagger "2.0" and OpenAPI 3.0.x, 3.1.x, 3.2.x (as a string)`,
      { details: { version } },
    );
  if ((doc['swagger'] !== undefined) !== (version === '2.0'))
    throw new SmolmapError(
      'spec_version_unsupported',
      `${source}: "swagger" must be "2.0" and "openapi" must be 3.x`,
    );
  return version;
}
