import type { z } from 'zod';
import { isIdempotent } from './http-method.js';
import type { JobSnapshot } from './job-snapshot.js';

/** Where an error happened; absent for errors raised before a call was built (configuration). */
export interface AiqumErrorContext {
  method?: string | undefined;
  path?: string | undefined;
  cause?: unknown;
}

interface AiqumErrorInit extends AiqumErrorContext {
  retryable: boolean;
  ambiguous: boolean;
}

/** Longest raw body an error keeps: enough to read AIQUM's message, too short to carry a whole page. */
const maxBodyChars = 2_000;

/**
 * Base of every error this package throws. `code` is stable and meant for programs; `message` for people.
 * `retryable`: another attempt is safe and may succeed. `ambiguous`: a write may have reached AIQUM and its
 * effect is unknown, so submitting it again could do the work twice.
 */
export abstract class AiqumError extends Error {
  abstract readonly code: string;
  readonly retryable: boolean;
  readonly ambiguous: boolean;
  readonly method: string | undefined;
  readonly path: string | undefined;

  constructor(message: string, init: AiqumErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.retryable = init.retryable;
    this.ambiguous = init.ambiguous;
    this.method = init.method;
    this.path = init.path;
  }

  /** Plain, credential-free view for logs and queues. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ambiguous: this.ambiguous,
      method: this.method,
      path: this.path,
    };
  }
}

function describeCall(context: AiqumErrorContext): string {
  return context.method && context.path ? `${context.method} ${context.path}` : 'AIQUM call';
}

/** The error object AIQUM and ONTAP put in a failed answer: `{"error": {"message", "code", "target"}}`. */
export interface AiqumErrorBody {
  message?: string;
  /**
   * Exactly as the server sent it: a string per the specification (`"262179"`, leading zeros and all), a
   * number from servers that send one. Never converted, so compare it as the type you expect.
   */
  code?: string | number;
  target?: string;
}

function parseErrorBody(text: string): AiqumErrorBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  const error = typeof parsed === 'object' && parsed !== null && 'error' in parsed ? parsed.error : undefined;
  if (typeof error !== 'object' || error === null) return {};
  const result: AiqumErrorBody = {};
  if ('message' in error && typeof error.message === 'string') result.message = error.message;
  if ('code' in error && (typeof error.code === 'string' || typeof error.code === 'number')) {
    result.code = error.code;
  }
  if ('target' in error && typeof error.target === 'string') result.target = error.target;
  return result;
}

export interface AiqumApiErrorInit {
  method: string;
  path: string;
  status: number;
  headers: Record<string, string>;
  bodyText: string;
  retryAfterMs?: number | undefined;
}

/** How a status answers "was it processed?" and "may it be sent again?" for a given method. */
function statusSemantics(status: number, method: string): { retryable: boolean; ambiguous: boolean } {
  // 408, 429 and 503 mean the server turned the request away before processing it.
  if (status === 408 || status === 429 || status === 503) return { retryable: true, ambiguous: false };
  if (status >= 500) {
    const gatewayLike = status === 500 || status === 502 || status === 504;
    return isIdempotent(method)
      ? { retryable: gatewayLike, ambiguous: false }
      : { retryable: false, ambiguous: true };
  }
  return { retryable: false, ambiguous: false };
}

/** AIQUM answered with a non-2xx status. Use `AiqumApiError.from` to get the subclass for the status. */
export class AiqumApiError extends AiqumError {
  readonly code: string = 'AIQUM_API_ERROR';
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly requestId: string | undefined;
  readonly error: AiqumErrorBody;
  /** Raw answer body, truncated. */
  readonly body: string;
  readonly retryAfterMs: number | undefined;

  constructor(init: AiqumApiErrorInit) {
    const error = parseErrorBody(init.bodyText);
    const detail = error.message ? `: ${error.message}` : '';
    const target = error.target ? ` (target: ${error.target})` : '';
    super(`${init.method} ${init.path} answered ${init.status}${detail}${target}`, {
      method: init.method,
      path: init.path,
      ...statusSemantics(init.status, init.method),
    });
    this.status = init.status;
    this.headers = init.headers;
    this.requestId = requestIdOf(init.headers);
    this.error = error;
    this.body = init.bodyText.slice(0, maxBodyChars);
    this.retryAfterMs = init.retryAfterMs;
  }

  static from(init: AiqumApiErrorInit): AiqumApiError {
    const status = init.status;
    if (status === 400) return new AiqumBadRequestError(init);
    if (status === 401) return new AiqumAuthenticationError(init);
    if (status === 403) return new AiqumPermissionDeniedError(init);
    if (status === 404) return new AiqumNotFoundError(init);
    if (status === 409) return new AiqumConflictError(init);
    if (status === 429) return new AiqumRateLimitError(init);
    if (status >= 500) return new AiqumServerError(init);
    return new AiqumApiError(init);
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      status: this.status,
      requestId: this.requestId,
      error: this.error,
      retryAfterMs: this.retryAfterMs,
    };
  }
}

/** The request id AIQUM (or a proxy) returned, or the echo of the caller's correlation id. */
export function requestIdOf(headers: Record<string, string>): string | undefined {
  return headers['x-request-id'] ?? headers['x-correlation-id'];
}

export class AiqumBadRequestError extends AiqumApiError {
  override readonly code = 'AIQUM_BAD_REQUEST';
}
export class AiqumAuthenticationError extends AiqumApiError {
  override readonly code = 'AIQUM_UNAUTHORIZED';
}
export class AiqumPermissionDeniedError extends AiqumApiError {
  override readonly code = 'AIQUM_FORBIDDEN';
}
export class AiqumNotFoundError extends AiqumApiError {
  override readonly code = 'AIQUM_NOT_FOUND';
}
export class AiqumConflictError extends AiqumApiError {
  override readonly code = 'AIQUM_CONFLICT';
}
export class AiqumRateLimitError extends AiqumApiError {
  override readonly code = 'AIQUM_RATE_LIMITED';
}
export class AiqumServerError extends AiqumApiError {
  override readonly code = 'AIQUM_SERVER_ERROR';
}

/** The network failed: the request either never reached AIQUM, or the connection broke mid-call. */
export class AiqumConnectionError extends AiqumError {
  readonly code = 'AIQUM_CONNECTION_ERROR';
  constructor(message: string, init: AiqumErrorInit) {
    super(`${describeCall(init)} failed: ${message}`, init);
  }
}

/** The call took longer than the configured timeout; for a write the effect is unknown. */
export class AiqumTimeoutError extends AiqumError {
  readonly code = 'AIQUM_TIMEOUT';
  constructor(detail: string, init: AiqumErrorInit) {
    super(`${describeCall(init)} timed out: ${detail}`, init);
  }
}

/** AIQUM answered something this client cannot read (shape, JSON, unknown job state). */
export class AiqumResponseValidationError extends AiqumError {
  readonly code = 'AIQUM_RESPONSE_INVALID';
  readonly status: number | undefined;
  readonly issues: z.core.$ZodIssue[];
  constructor(
    message: string,
    init: AiqumErrorContext & { status?: number; issues?: z.core.$ZodIssue[]; ambiguous?: boolean },
  ) {
    super(`${describeCall(init)}: ${message}`, {
      ...init,
      retryable: false,
      ambiguous: init.ambiguous ?? false,
    });
    this.status = init.status;
    this.issues = init.issues ?? [];
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), status: this.status, issues: this.issues };
  }
}

/** The caller asked for something this client refuses to send; nothing was sent. */
export class AiqumInvalidRequestError extends AiqumError {
  readonly code = 'AIQUM_INVALID_REQUEST';
  constructor(message: string, context: AiqumErrorContext = {}) {
    super(message, { ...context, retryable: false, ambiguous: false });
  }
}

/** The client options are unusable; thrown by the constructor. */
export class AiqumConfigurationError extends AiqumError {
  readonly code = 'AIQUM_INVALID_CONFIGURATION';
  constructor(message: string, context: AiqumErrorContext = {}) {
    super(message, { ...context, retryable: false, ambiguous: false });
  }
}

/** The caller's `AbortSignal` fired. A write aborted in flight may still have reached AIQUM. */
export class AiqumAbortError extends AiqumError {
  readonly code = 'AIQUM_ABORTED';
  constructor(init: AiqumErrorContext & { ambiguous: boolean }) {
    super(`${describeCall(init)} was aborted by the caller`, { ...init, retryable: false });
  }
}

/** `waitForJob` reached its deadline while the job was still running. */
export class AiqumJobWaitTimeoutError extends AiqumError {
  readonly code = 'AIQUM_JOB_WAIT_TIMEOUT';
  readonly lastSnapshot: JobSnapshot;
  constructor(deadlineMs: number, lastSnapshot: JobSnapshot) {
    super(`job ${lastSnapshot.ref.href} still running after ${deadlineMs} ms`, {
      method: 'GET',
      path: lastSnapshot.ref.href,
      retryable: true,
      ambiguous: false,
    });
    this.lastSnapshot = lastSnapshot;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), lastSnapshot: this.lastSnapshot };
  }
}
