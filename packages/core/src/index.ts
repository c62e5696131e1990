export { BearerTokens } from './bearer-tokens.js';
export { type BlockingReadOptions, blockingReadConnection } from './blocking-connection.js';
export type { CallSlot } from './call-slot.js';
export {
  booleanFromEnv,
  commaListFromEnv,
  type LoadConfigOptions,
  loadSharedConfig,
  type SharedConfig,
} from './config.js';
export { ConfigError } from './config-error.js';
export {
  type Environment,
  type ReadFile,
  readConfigFile,
  readFileUtf8,
  resolveSecret,
  type SecretSource,
} from './config-file.js';
export { type ConnectRedisOptions, connectRedis, duplicateRedis, isRedisCluster } from './connect-redis.js';
export {
  EventStreamTrimmer,
  type EventStreamTrimmerOptions,
  type TrimResult,
} from './event-stream-trimmer.js';
export {
  type AiqumJobsEvent,
  type BatchCompletedEvent,
  batchCompletedEventSchema,
  type EventType,
  eventIds,
  eventSchema,
  eventStreamField,
  eventTypeSchema,
  eventTypes,
  parseEventEntry,
  type RequestAcceptedEvent,
  type RequestCompletedEvent,
  requestAcceptedEventSchema,
  requestCompletedEventSchema,
} from './events.js';
export { isoTime, isoTimeSchema } from './iso-time.js';
export { jsonValueSchema } from './json-value.js';
export {
  type CreateLoggerOptions,
  createLogger,
  type Logger,
  type LogLevel,
  logLevelSchema,
  redactedLogPaths,
} from './logger.js';
export { luaLibraries } from './lua-libraries.js';
export { type LuaLibrary, LuaScript, type RedisConnection, readLuaFile } from './lua-script.js';
export { createMetricsRegistry } from './metrics-registry.js';
export {
  applyResolvedReferences,
  type FoundReference,
  findNameReferences,
  type NameReference,
  nameReferenceSchema,
  type ObjectKindName,
  objectKinds,
  pathKeyPlaceholder,
  type ResolvedReference,
  resolvedReferenceSchema,
} from './name-references.js';
export {
  outcomeCountsSchema,
  outcomeOfJobOutcome,
  type RequestOutcome,
  type RequestStatus,
  requestOutcomeSchema,
  requestOutcomes,
  requestStatuses,
  requestStatusSchema,
} from './outcome.js';
export { IntervalLock, PeriodicTask, type PeriodicTaskOptions } from './periodic-task.js';
export { type PollPolicy, pollPolicySchema } from './poll-policy.js';
export {
  type ClaimedPoll,
  type ClaimedPolls,
  type ClaimPollsOptions,
  type NextPoll,
  PollSchedule,
} from './poll-schedule.js';
export { RedisClock } from './redis-clock.js';
export { type RedisEndpoint, redisClusterNodesSchema } from './redis-endpoint.js';
export { createRedisKeys, type RedisKeys } from './redis-keys.js';
export { defaultRedisPrefix, redisPrefixSchema } from './redis-prefix.js';
export { RedisStateMetrics, type RedisStateMetricsOptions } from './redis-state-metrics.js';
export {
  type CompleteResult,
  type Completion,
  RequestCompletion,
  type TrackedFacts,
} from './request-completion.js';
export {
  type NameCandidate,
  type RequestEnding,
  type RequestError,
  requestEndings,
  requestErrorCodes,
  requestErrorSchema,
} from './request-error.js';
export type { RequestIdentity } from './request-identity.js';
export {
  type BatchInput,
  batchInputSchema,
  maxBatchSize,
  maxDeadlineSeconds,
  maxInputDepth,
  maxMetadataBytes,
  maxRequestBodyBytes,
  nestsWithin,
  type ParsedBatchInput,
  type ParsedRequestInput,
  type PollOverrides,
  type RequestInput,
  type RequestMethod,
  requestInputSchema,
  requestMethodSchema,
  requestMethods,
} from './request-input.js';
export {
  createRequestQueue,
  queuePayloads,
  type RequestJobName,
  type RequestQueueOptions,
  requestJobOptions,
  requestQueueName,
} from './request-queue.js';
export type { ClaimedRecord, RequestState } from './request-record-codec.js';
export { RequestRecords, type StoredBatch } from './request-records.js';
export {
  type JobResult,
  type JobState,
  jobDialectSchema,
  jobResultSchema,
  jobStateSchema,
  type RequestSpec,
  requestSpecSchema,
  type StoredRequest,
  storedRequestSchema,
} from './request-spec.js';
export { RequestStore, type RequestStoreOptions } from './request-store.js';
export { Secret } from './secret.js';
export { ServedTargets, type UnservedTarget } from './served-targets.js';
export { readStreamGroups, type StreamGroup } from './stream-groups.js';
export { compareStreamIds, streamIdSchema } from './stream-id.js';
export { type SubmissionRequest, type SubmissionStart, Submissions } from './submissions.js';
export { TargetCallGate } from './target-call-gate.js';
export {
  longPollConfigSchema,
  type TargetConfig,
  type TargetFileEntry,
  targetFileEntrySchema,
  targetLimitsSchema,
  targetNameSchema,
  targetsFileSchema,
} from './target-config.js';
export type { TargetLimits } from './target-limiter.js';
export { looksLikeAiqumJobsApi, looksLikeAiqumServerApi } from './url-mixups.js';
export {
  type BatchView,
  batchView,
  batchViewSchema,
  type RequestView,
  requestView,
  requestViewSchema,
} from './views.js';
