export { type JobRef, jobRefSchema } from '@aiqum-jobs/contracts';
export {
  AiqumClient,
  type GetJobOptions,
  type GetOptions,
  type SubmitRequest,
  type SubmitResult,
} from './aiqum-client.js';
export { parseApiPath } from './api-path.js';
export { type Backoff, backoffDelayMs } from './backoff.js';
export type { AiqumClientOptions, ResponseObserver, SleepFunction } from './client-options.js';
export {
  AiqumAbortError,
  AiqumApiError,
  AiqumAuthenticationError,
  AiqumBadRequestError,
  AiqumConfigurationError,
  AiqumConflictError,
  AiqumConnectionError,
  AiqumError,
  type AiqumErrorBody,
  AiqumInvalidRequestError,
  AiqumJobWaitTimeoutError,
  AiqumNotFoundError,
  AiqumPermissionDeniedError,
  AiqumRateLimitError,
  AiqumResponseValidationError,
  AiqumServerError,
  AiqumTimeoutError,
} from './errors.js';
export { exactFilterValue } from './filter-value.js';
export type { HttpMethod, WriteMethod } from './http-method.js';
export { type JobDialect, type JobOutcome, type JobSnapshot, normalizeJob } from './job-snapshot.js';
export { type ListOptions, maxPageSize } from './paginate.js';
export { parseRetryAfter, type RetryPolicyOptions } from './retry-policy.js';
export type { CaOption } from './tls.js';
export type { WaitPolicy } from './wait-for-job.js';
