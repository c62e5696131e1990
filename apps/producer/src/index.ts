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
  batchViewSchema,
  type ErrorBody,
  errorBodySchema,
  type SubmitAnswer,
  submitAnswerSchema,
  submitResponseSchema,
} from './api-schemas.js';
export {
  buildProducerServer,
  defaultProducerLimits,
  type ProducerServer,
  type ProducerServerOptions,
} from './http-server.js';
export {
  type BatchRequestsPage,
  createProducer,
  type EventsOptions,
  type Producer,
  type ProducerOptions,
  type ProducerTarget,
  type StreamedEvent,
  type SubmitOptions,
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
