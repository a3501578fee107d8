import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Paths pino blanks in every line: defence in depth, because the code never logs bodies,
 * credentials or stored values in the first place.
 */
export const redactedPaths = [
  'password',
  'new_password',
  'access_token',
  'token',
  'key',
  'key_value',
  'value',
  'secret',
  'authorization',
  '*.password',
  '*.access_token',
  '*.token',
  '*.key_value',
  '*.value',
  '*.secret',
  '*.authorization',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
];

/** The process logger: JSON lines with secrets redacted. */
export function createLogger(options: { level: string; name: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { fn: options.name },
      redact: { paths: redactedPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}
