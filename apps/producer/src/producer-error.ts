/** Stable codes of every error the producer answers with; HTTP statuses follow from them. */
export const producerErrorCodes = {
  validationFailed: 'VALIDATION_FAILED',
  unknownTarget: 'UNKNOWN_TARGET',
  notFound: 'NOT_FOUND',
  unauthorized: 'UNAUTHORIZED',
  forbidden: 'FORBIDDEN',
  forbiddenScope: 'FORBIDDEN_SCOPE',
  forbiddenTarget: 'FORBIDDEN_TARGET',
  forbiddenHost: 'FORBIDDEN_HOST',
  crossOrigin: 'CROSS_ORIGIN',
  bodyTooLarge: 'BODY_TOO_LARGE',
  unsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  idempotencyKeyReused: 'IDEMPOTENCY_KEY_REUSED',
  idempotencyInProgress: 'IDEMPOTENCY_IN_PROGRESS',
  requestCompleted: 'REQUEST_COMPLETED',
  notPollable: 'NOT_POLLABLE',
  requestNotCompleted: 'REQUEST_NOT_COMPLETED',
  nothingToRetry: 'NOTHING_TO_RETRY',
  retryNeedsReconciliation: 'RETRY_NEEDS_RECONCILIATION',
  retryBreaksOrder: 'RETRY_BREAKS_ORDER',
  subscriptionConfigured: 'SUBSCRIPTION_CONFIGURED',
  subscriptionLimit: 'SUBSCRIPTION_LIMIT',
  tooManyRequests: 'TOO_MANY_REQUESTS',
  tooManyEventStreams: 'TOO_MANY_EVENT_STREAMS',
  storeUnavailable: 'STORE_UNAVAILABLE',
  internal: 'INTERNAL_ERROR',
} as const;

export type ProducerErrorCode = (typeof producerErrorCodes)[keyof typeof producerErrorCodes];

/** The HTTP status that goes with each code. */
export const statusOfCode: Record<ProducerErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNKNOWN_TARGET: 400,
  NOT_FOUND: 404,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  FORBIDDEN_SCOPE: 403,
  FORBIDDEN_TARGET: 403,
  FORBIDDEN_HOST: 403,
  CROSS_ORIGIN: 403,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 409,
  IDEMPOTENCY_IN_PROGRESS: 409,
  REQUEST_COMPLETED: 409,
  NOT_POLLABLE: 409,
  REQUEST_NOT_COMPLETED: 409,
  NOTHING_TO_RETRY: 409,
  RETRY_NEEDS_RECONCILIATION: 409,
  RETRY_BREAKS_ORDER: 409,
  SUBSCRIPTION_CONFIGURED: 409,
  SUBSCRIPTION_LIMIT: 409,
  TOO_MANY_REQUESTS: 429,
  TOO_MANY_EVENT_STREAMS: 429,
  STORE_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
};

/** One problem with a caller's input: where (`requests[3].path`) and why. */
export interface InputIssue {
  path: string;
  message: string;
}

export interface ProducerErrorDetails {
  issues?: InputIssue[];
  /** Extra facts a caller can act on, such as the outcome of an already completed request. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** An error with a stable `code` and the HTTP status that goes with it. */
export class ProducerError extends Error {
  override readonly name = 'ProducerError';
  readonly code: ProducerErrorCode;
  readonly status: number;
  readonly issues: InputIssue[] | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ProducerErrorCode, message: string, extra: ProducerErrorDetails = {}) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.code = code;
    this.status = statusOfCode[code];
    this.issues = extra.issues;
    this.details = extra.details;
  }
}
