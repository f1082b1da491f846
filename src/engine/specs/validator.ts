/**
 * OpenAPI schema validation by @scalar/openapi-parser. Its public `validate()` builds a new Validator, and so
 * compiles the OpenAPI meta-schema with ajv, on every call (about a second each); one long-lived instance of
 * its Validator class keeps the compiled schemas (under a millisecond per call after the first). The class is
 * not in the package's exports map, so it is loaded by file; if that ever fails, the public function is used.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { validate, type ErrorObject } from '@scalar/openapi-parser';

interface ScalarValidator {
  validate(
    filesystem: {
      isEntrypoint: boolean;
      specification: Record<string, unknown>;
      filename: string | null;
      dir: string;
      references: string[];
    }[],
  ): { valid: boolean; errors?: ErrorObject[] };
}

let cached: Promise<ScalarValidator | null> | null = null;

async function loadValidator(): Promise<ScalarValidator | null> {
  try {
    const entry = createRequire(import.meta.url).resolve('@scalar/openapi-parser');
    const file = path.join(path.dirname(entry), 'lib', 'Validator', 'Validator.js');
    const mod = (await import(pathToFileURL(file).href)) as { Validator: new () => ScalarValidator };
    return new mod.Validator();
  } catch {
    return null;
  }
}

/** Schema and reference errors of a document (the document is not changed). */
export async function openApiErrors(document: Record<string, unknown>): Promise<ErrorObject[]> {
  // Both paths mutate their input (a missing info.version is filled in), so they get a copy.
  const copy = structuredClone(document);
  const validator = await (cached ??= loadValidator());
  // Its error formatter logs its own internal failures with console.error (and then falls back to ajv's
  // messages); stderr belongs to our one-line errors. Both calls do their work synchronously, so the swap
  // covers exactly this validation.
  const log = console.error;
  console.error = () => {};
  try {
    if (!validator) return (await validate(copy)).errors ?? [];
    return (
      validator.validate([
        { isEntrypoint: true, specification: copy, filename: null, dir: './', references: [] },
      ]).errors ?? []
    );
  } finally {
    console.error = log;
  }
}
