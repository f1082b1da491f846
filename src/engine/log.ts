import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * Logs go to stderr (fd 2) so that `--json` output on stdout stays one clean document.
 * Level from SMOLMAP_LOG_LEVEL (default "warn" for the CLI; `serve` raises it to "info").
 *
 * Secrets never reach a log line: fields named like credentials are censored by path, and every string
 * (messages, error messages and stacks, URLs a library put on its error) is scrubbed of token shapes —
 * Discord webhook and interaction tokens travel inside URLs, so field names alone cannot catch them.
 */

const CENSOR = '[redacted]';

const SECRET_KEYS = [
  'token',
  'accessToken',
  'appToken',
  'botToken',
  'authorization',
  'Authorization',
  'cookie',
  'password',
  'secret',
  'signingSecret',
  'webhookUrl',
  'webhook_url',
];
const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
  '*.headers.authorization',
  '*.headers.Authorization',
  '*.headers.cookie',
];

/** Token shapes, each replaced while the text around it (host, ids) stays readable. */
const SCRUBS: [RegExp, string][] = [
  // Discord: /webhooks/<app id>/<interaction token> and /interactions/<id>/<token>/callback.
  [/(\/(?:webhooks|interactions)\/\d+\/)[\w.-]{16,}/g, `$1${CENSOR}`],
  // Slack incoming webhooks and workflow triggers.
  [/(hooks\.slack\.com\/(?:services|workflows|triggers)\/)[^\s"'?#]+/g, `$1${CENSOR}`],
  // Slack tokens (bot, user, app-level, refresh).
  [/\bx(?:ox[abeoprs]|app)-[\w-]{8,}/g, CENSOR],
  // Hugging Face tokens.
  [/\bhf_[A-Za-z0-9]{16,}/g, CENSOR],
  // Discord bot tokens: three base64url parts.
  [/\b[\w-]{23,28}\.[\w-]{6}\.[\w-]{27,40}\b/g, CENSOR],
  // Authorization header values written out in text.
  [/\b(Bearer|Bot|Basic)\s+[\w.~+/=-]{8,}/g, `$1 ${CENSOR}`],
];

export function scrubSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SCRUBS) out = out.replace(pattern, replacement);
  return out;
}

/** Scrubs every string in a plain JSON-like value, a few levels deep (log objects are shallow). */
function scrubDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, depth + 1));
  // Errors and other class instances are left to their serializers (err: scrubbedErr).
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubDeep(v, depth + 1);
  return out;
}

/** The standard error serializer's output (a non-plain object), as plain JSON, scrubbed. */
function scrubbedErr(e: unknown): unknown {
  const serialized = e instanceof Error ? pino.stdSerializers.err(e) : e;
  try {
    return scrubDeep(JSON.parse(JSON.stringify(serialized)) as unknown);
  } catch {
    return scrubSecrets(String(e));
  }
}

export function createLogger(
  level: string = process.env['SMOLMAP_LOG_LEVEL'] ?? 'warn',
  destination: DestinationStream = pino.destination({ fd: 2, sync: true }),
): Logger {
  return pino(
    {
      name: 'smolmap',
      level,
      redact: { paths: REDACT_PATHS, censor: CENSOR },
      serializers: { err: scrubbedErr, error: scrubbedErr },
      formatters: { log: (o) => scrubDeep(o) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? scrubSecrets(a) : a));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}

export type { Logger };
