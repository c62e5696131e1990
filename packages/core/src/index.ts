export { BearerTokens } from './bearer-tokens.js';
export {
  booleanFromEnv,
  commaListFromEnv,
  type LoadConfigOptions,
  loadSharedConfig,
  type SharedConfig,
} from './config.js';
export {
  type Environment,
  type ReadFile,
  readConfigFile,
  readFileUtf8,
  resolveSecret,
  type SecretSource,
} from './config-file.js';
export { connectRedis } from './connect-redis.js';
export {
  EventStreamTrimmer,
  type EventStreamTrimmerOptions,
  type TrimResult,
} from './event-stream-trimmer.js';
export { LuaScript } from './lua-script.js';
export { createMetricsRegistry } from './metrics-registry.js';
export { IntervalLock, PeriodicTask, type PeriodicTaskOptions } from './periodic-task.js';
export { type RedisEndpoint, redisClusterNodesSchema } from './redis-endpoint.js';
export { RedisStateMetrics, type RedisStateMetricsOptions } from './redis-state-metrics.js';
export {
  createRequestQueue,
  queuePayloads,
  type RequestJobName,
  type RequestQueueOptions,
  requestJobOptions,
  requestQueueName,
} from './request-queue.js';
export {
  type CallSlot,
  type ClaimedPoll,
  type ClaimedPolls,
  type ClaimedRecord,
  type ClaimPollsOptions,
  type CompleteResult,
  type Completion,
  type RequestIdentity,
  type RequestState,
  RequestStore,
  type RequestStoreOptions,
  type SubmissionRequest,
  type SubmissionStart,
  type TrackedFacts,
} from './request-store.js';
export { Secret } from './secret.js';
export { ServedTargets, type UnservedTarget } from './served-targets.js';
export { readStreamGroups, type StreamGroup } from './stream-groups.js';
export { TargetCallGate } from './target-call-gate.js';
export {
  longPollConfigSchema,
  type TargetConfig,
  type TargetFileEntry,
  targetFileEntrySchema,
  targetLimitsSchema,
  targetsFileSchema,
} from './target-config.js';
export { redisNowLua, type TargetLimits } from './target-limiter.js';
