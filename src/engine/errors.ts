/**
 * Every failure a user can cause or meet is a SmolmapError: a stable string `code` (scripts match on it),
 * a message that says what to do next, and the original `cause`. Broken internal invariants use
 * `internal(...)`, whose code is `internal` and whose message starts with "internal:".
 */
export class SmolmapError extends Error {
  override readonly name = 'SmolmapError';
  readonly code: string;
  /** Structured extras for machine consumers (`--json` error output, MCP error content). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: string,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }

  /** One line, `code: message`, as the CLI prints it on stderr. */
  toLine(): string {
    return `${this.code}: ${this.message.replace(/\s*\n\s*/g, ' ')}`;
  }
}

export function isSmolmapError(e: unknown): e is SmolmapError {
  return e instanceof SmolmapError;
}

/** A broken invariant inside smolmap: a bug, not a user mistake. */
export function internal(message: string, cause?: unknown): SmolmapError {
  return new SmolmapError('internal', `internal: ${message} (please report this as a bug)`, { cause });
}

/** Wraps any thrown value as a SmolmapError, keeping coded errors as they are. */
export function toSmolmapError(e: unknown, code = 'internal'): SmolmapError {
  if (e instanceof SmolmapError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return code === 'internal' ? internal(message, e) : new SmolmapError(code, message, { cause: e });
}
