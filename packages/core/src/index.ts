export { type CreateLoggerOptions, createLogger, type Logger, redactedLogPaths } from './logger.js';
