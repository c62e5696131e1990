export { type Environment, type LoadConfigOptions, loadSharedConfig, type SharedConfig } from './config.js';
export { ConfigError } from './config-error.js';
export { type CreateLoggerOptions, createLogger, type Logger, redactedLogPaths } from './logger.js';
export {
  outcomeOfJobOutcome,
  type RequestOutcome,
  type RequestStatus,
  requestOutcomeSchema,
  requestOutcomes,
  requestStatuses,
  requestStatusSchema,
} from './outcome.js';
export { type PollPolicy, pollPolicySchema } from './poll-policy.js';
export { createRedisKeys, type RedisKeys } from './redis-keys.js';
export { defaultRedisPrefix, redisPrefixSchema } from './redis-prefix.js';
export { Secret } from './secret.js';
export {
  longPollConfigSchema,
  type TargetConfig,
  type TargetFileEntry,
  targetFileEntrySchema,
  targetLimitsSchema,
  targetNameSchema,
  targetsFileSchema,
} from './target-config.js';
