import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import { z } from 'zod';
import { serializeError } from './error-serializer.js';

/** `LOG_LEVEL` of every process. @defaultValue `info` */
export const logLevelSchema = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    error: 'must be one of fatal, error, warn, info, debug, trace, silent',
  })
  .default('info');
export type LogLevel = z.output<typeof logLevelSchema>;

/**
 * Paths pino removes from every log line, wherever a caller puts them. Credentials must never reach a
 * log: this list is the safety net behind the rule that code never logs them in the first place.
 */
export const redactedLogPaths: readonly string[] = [
  'password',
  '*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  'req.headers.authorization',
  'credentials',
  '*.credentials',
];

export interface CreateLoggerOptions {
  /** Logger name, shown as `name` in every line. */
  name: string;
  /** @defaultValue `info` */
  level?: LoggerOptions['level'];
  /** Where lines go; tests pass a sink stream to inspect them. @defaultValue standard output */
  destination?: DestinationStream;
}

/**
 * The one way this project makes a logger: structured JSON lines, credentials redacted, errors logged as
 * `{ err }` with their stack and without the data libraries attach to them.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const loggerOptions: LoggerOptions = {
    name: options.name,
    level: options.level ?? 'info',
    redact: { paths: [...redactedLogPaths], censor: '[redacted]' },
    serializers: { err: serializeError },
  };
  return options.destination ? pino(loggerOptions, options.destination) : pino(loggerOptions);
}

export type { Logger } from 'pino';
