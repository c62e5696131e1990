export {
  type ApiClientOptions,
  ApiError,
  type ClientEventsOptions,
  ProducerApiClient,
} from './api-client.js';
export {
  type BatchAnswer,
  batchAnswerSchema,
  batchRequestsPageSchema,
  batchResponseSchema,
  type ErrorBody,
  errorBodySchema,
  type SubmitAnswer,
  submitAnswerSchema,
  submitResponseSchema,
} from './api-schemas.js';
export { type ApiScope, apiScopes } from './api-scopes.js';
export { type ApiToken, unnamedApiTokens } from './api-token-config.js';
export {
  buildProducerServer,
  defaultProducerLimits,
  type ProducerServer,
  type ProducerServerOptions,
} from './http-server.js';
export {
  type BatchRequestsPage,
  type BatchRetryOptions,
  createProducer,
  type EventsOptions,
  type Producer,
  type ProducerOptions,
  type ProducerTarget,
  type RetryOptions,
  type StreamedEvent,
  type SubmitOptions,
  type TargetAccess,
} from './producer.js';
export { loadProducerConfig, type ProducerConfig, type ProducerLimits } from './producer-config.js';
export {
  type InputIssue,
  ProducerError,
  type ProducerErrorCode,
  producerErrorCodes,
} from './producer-error.js';
export { createProducerMetrics, type ProducerMetrics } from './producer-metrics.js';
export { createProducerRedis, type ProducerRedisOptions } from './producer-redis.js';
export {
  type ProducerService,
  type ProducerServiceOptions,
  startProducerService,
} from './producer-service.js';
export {
  defaultBatchRetryOutcomes,
  type RetryBatchInput,
  type RetryRequestInput,
  retriableOutcomes,
  retryBatchInputSchema,
  retryRequestInputSchema,
} from './retry-input.js';
