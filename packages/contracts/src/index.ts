export { apiPathProblem } from './api-path.js';
export { type BlockingReadOptions, blockingReadConnection } from './blocking-connection.js';
export { ConfigError } from './config-error.js';
export { type CreatedObject, createdObjectOf, createdObjectOfIdentity } from './created-object.js';
export {
  type AiqumJobsEvent,
  type BatchCompletedEvent,
  batchCompletedEventBase,
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
export { isoTime } from './iso-time.js';
export { type JobRef, jobRefSchema } from './job-ref.js';
export {
  findJobResultReferences,
  type JobResultReference,
  jobResultMarker,
  jobResultValue,
  withJobResults,
} from './job-result-references.js';
export { jsonValueSchema } from './json-value.js';
export {
  type CreateLoggerOptions,
  createLogger,
  type Logger,
  type LogLevel,
  logLevelSchema,
} from './logger.js';
export {
  applyResolvedReferences,
  type FoundReference,
  findNameReferences,
  type ObjectKindName,
  objectKinds,
  type ResolvedReference,
  resolvedReferenceSchema,
} from './name-references.js';
export {
  outcomeOfJobOutcome,
  type RequestOutcome,
  requestOutcomeSchema,
  requestOutcomes,
  requestStatuses,
  requestStatusSchema,
} from './outcome.js';
export { type PollPolicy, pollPolicySchema } from './poll-policy.js';
export {
  type ConnectRedisOptions,
  duplicateRedis,
  isRedisCluster,
  type RedisConnection,
} from './redis-connection.js';
export { createRedisKeys, type RedisKeys } from './redis-keys.js';
export { defaultRedisPrefix, redisPrefixSchema } from './redis-prefix.js';
export { type RequestAttempt, requestAttemptSchema } from './request-attempt.js';
export {
  type DependencyFacts,
  type RequestEnding,
  type RequestError,
  requestEndings,
  requestErrorCodes,
  requestErrorSchema,
} from './request-error.js';
export {
  type BatchInput,
  type BatchRequestInput,
  batchInputSchema,
  batchRequestInputSchema,
  maxBatchSize,
  maxDependencies,
  maxInputDepth,
  nestsWithin,
  type ParsedBatchRequestInput,
  type ParsedRequestInput,
  type RequestInput,
  requestInputSchema,
} from './request-input.js';
export {
  type JobResult,
  type JobState,
  jobDialectSchema,
  jobResultSchema,
  jobStateSchema,
  type RequestSpec,
  requestSpecSchema,
  type StoredBatch,
  type StoredRequest,
} from './request-spec.js';
export {
  maxRetryAttempts,
  policyRetries,
  type RetryPolicy,
  type RetryPolicyInput,
  retryPolicySchema,
} from './retry-policy.js';
export { compareStreamIds, nextStreamId, streamIdSchema, streamIdTime } from './stream-id.js';
export { targetNameSchema } from './target-name.js';
export { looksLikeAiqumJobsApi, looksLikeAiqumServerApi } from './url-mixups.js';
export {
  type BatchView,
  batchView,
  batchViewSchema,
  type RequestView,
  requestView,
  requestViewSchema,
} from './views.js';
