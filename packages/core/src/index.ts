export { type AttemptOfRequest, Attempts, type NextAttemptResult } from './attempts.js';
export { BearerTokens } from './bearer-tokens.js';
export type { CallSlot } from './call-slot.js';
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
} from './config-file.js';
export { connectRedis } from './connect-redis.js';
export { DependantRelease, type DependantReleaseOptions } from './dependant-release.js';
export { EventStreamTrimmer, type EventStreamTrimmerOptions } from './event-stream-trimmer.js';
export { luaLibraries } from './lua-libraries.js';
export { type LuaLibrary, LuaScript, readLuaFile } from './lua-script.js';
export { createMetricsRegistry } from './metrics-registry.js';
export { IntervalLock, PeriodicTask, type PeriodicTaskOptions } from './periodic-task.js';
export {
  type ClaimedPoll,
  type ClaimedPolls,
  type ClaimPollsOptions,
  type NextPoll,
  PollSchedule,
} from './poll-schedule.js';
export { RedisClock } from './redis-clock.js';
export { type RedisEndpoint, redisClusterNodesSchema } from './redis-endpoint.js';
export { RedisStateMetrics, type RedisStateMetricsOptions } from './redis-state-metrics.js';
export {
  type Completion,
  type CompletionReply,
  RequestCompletion,
  type TrackedFacts,
} from './request-completion.js';
export {
  createRequestQueue,
  queuePayloads,
  type RequestQueueOptions,
  requestQueueName,
  type SubmissionPayload,
  submissionJob,
  submissionJobId,
} from './request-queue.js';
export type { RequestState } from './request-record-codec.js';
export { RequestRecords } from './request-records.js';
export { RequestStore, type RequestStoreOptions } from './request-store.js';
export { Secret } from './secret.js';
export { ServedTargets, type UnservedTarget } from './served-targets.js';
export { readStreamGroups } from './stream-groups.js';
export {
  type JobOwner,
  type RequeueDoubt,
  type SubmissionStart,
  Submissions,
  type TimeSpan,
  type WriteInDoubt,
} from './submissions.js';
export { TargetCallGate } from './target-call-gate.js';
export type { TargetConfig } from './target-config.js';
