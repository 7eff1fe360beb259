/**
 * Structured logging. One pino logger per process, created at start-up with a fixed list of
 * redaction paths; modules take a child logger (`logger.child({ component })`).
 *
 * Rules for every log call in this project: object first, message second; never log
 * plaintext, data keys, passwords, tokens or `Authorization` headers; put untrusted values
 * under a key and pass them through {@link capped}.
 */
import { pino } from 'pino';

/** The logger type used everywhere; tests pass `silentLogger`. */
export type Logger = pino.Logger;

/**
 * Paths that are censored wherever they appear one or two levels deep. Fixed here, at
 * start-up, so no call site can forget them.
 */
export const redactPaths: readonly string[] = [
  'password',
  'secret',
  'token',
  'plaintext',
  'dataKey',
  'masterKey',
  'credentials',
  'authorization',
  'text',
  '*.password',
  '*.secret',
  '*.token',
  '*.plaintext',
  '*.dataKey',
  '*.masterKey',
  '*.credentials',
  '*.authorization',
  '*.text',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'AccessKeyId',
  'SecretAccessKey',
  'SessionToken',
  '*.SecretAccessKey',
  '*.SessionToken',
];

/** Creates the process logger. `destination` is for tests that read what was logged. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'byok-harness' },
    redact: { paths: [...redactPaths], censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

/** A logger that discards everything, for tests and library callers that pass none. */
export const silentLogger: Logger = pino({ level: 'silent' });

const maxUntrustedLength = 200;

/** Caps an untrusted string before it is logged, so a caller cannot flood the logs. */
export function capped(value: unknown): string {
  const text =
    typeof value === 'string'
      ? value
      : ((JSON.stringify(value) as string | undefined) ?? 'undefined');
  return text.length <= maxUntrustedLength ? text : `${text.slice(0, maxUntrustedLength)}…`;
}
