import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger };

/**
 * Paths that may hold a secret anywhere Warren logs an object. Redaction is a backstop:
 * code should not hand secrets to the logger in the first place.
 */
const redactPaths = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  'apiKey',
  'token',
  'password',
  'secret',
  '*.apiKey',
  '*.token',
  '*.password',
  '*.secret',
];

/** A pino logger writing JSON lines to stdout, or to `destination` (tests read their logs back). */
export function createLogger(name: string, options: LoggerOptions = {}, destination?: DestinationStream): Logger {
  const settings = { name, level: process.env.LOG_LEVEL ?? 'info', redact: { paths: redactPaths, censor: '[redacted]' }, ...options };
  return destination ? pino(settings, destination) : pino(settings);
}
