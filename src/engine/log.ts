import { pino, type Logger } from 'pino';

/**
 * Logs go to stderr (fd 2) so that `--json` output on stdout stays one clean document.
 * Level from SMOLMAP_LOG_LEVEL (default "warn" for the CLI; `serve` raises it to "info").
 */
export function createLogger(level: string = process.env['SMOLMAP_LOG_LEVEL'] ?? 'warn'): Logger {
  return pino({ name: 'smolmap', level }, pino.destination({ fd: 2, sync: true }));
}

export type { Logger };
