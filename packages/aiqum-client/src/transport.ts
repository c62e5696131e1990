import type { BaseLogger } from 'pino';
import type { Dispatcher } from 'undici';
import { abortableSleep } from './abortable-sleep.js';
import type { ResponseObserver, SleepFunction } from './client-options.js';
import {
  AiqumAbortError,
  AiqumApiError,
  AiqumError,
  AiqumResponseValidationError,
  requestIdOf,
} from './errors.js';
import { type HttpMethod, isIdempotent } from './http-method.js';
import { toNetworkError } from './network-error.js';
import { parseRetryAfter, type RetryPolicy, retryDelayMs } from './retry-policy.js';

export interface TransportOptions {
  origin: string;
  authorization: string;
  dispatcher: Dispatcher;
  logger: BaseLogger;
  timeoutMs: number;
  retry: RetryPolicy;
  sleep: SleepFunction;
  now: () => number;
  random: () => number;
  onResponse?: ResponseObserver | undefined;
}

export interface Call {
  method: HttpMethod;
  /** Already validated by `parseApiPath`. */
  path: string;
  /** JSON text. */
  body?: string | undefined;
  headers?: Record<string, string> | undefined;
  signal?: AbortSignal | undefined;
  /** Added to the timeout of this call, e.g. the wait of a long poll. */
  extraTimeoutMs?: number | undefined;
}

export interface CallResult {
  status: number;
  headers: Record<string, string>;
  text: string;
  requestId: string | undefined;
  retryAfterMs: number | undefined;
}

/** Session cookies are credentials too: they never leave the transport. */
const hiddenResponseHeaders = new Set(['set-cookie']);

function flattenHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    if (value === undefined || hiddenResponseHeaders.has(key)) continue;
    flat[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/** Parses a 2xx answer body; empty means `null`. Unreadable JSON after a write is ambiguous. */
export function parseJsonBody(result: CallResult, call: { method: string; path: string }): unknown {
  if (result.text.trim() === '') return null;
  try {
    return JSON.parse(result.text);
  } catch {
    throw new AiqumResponseValidationError(`answered ${result.status} with a body that is not JSON`, {
      ...call,
      status: result.status,
      ambiguous: !isIdempotent(call.method),
    });
  }
}

/**
 * Sends HTTP calls to one AIQUM server: authentication, timeout, error classification, and retries of
 * idempotent calls. Holds the only copy of the Authorization value.
 */
export class Transport {
  readonly #options: TransportOptions;

  constructor(options: TransportOptions) {
    this.#options = options;
  }

  /** Sends `call`; GET/HEAD are retried on retryable failures, writes are sent exactly once. */
  async send(call: Call): Promise<CallResult> {
    const { logger, retry, random } = this.#options;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.#sendOnce(call, attempt);
      } catch (error) {
        if (
          !isIdempotent(call.method) ||
          !(error instanceof AiqumError) ||
          !error.retryable ||
          attempt >= retry.maxRetries
        ) {
          throw error;
        }
        const apiError = error instanceof AiqumApiError ? error : undefined;
        const delayMs = retryDelayMs(retry, attempt, apiError?.retryAfterMs, random);
        logger.warn(
          {
            method: call.method,
            path: call.path,
            status: apiError?.status,
            code: error.code,
            attempt,
            delayMs,
          },
          'retrying AIQUM call',
        );
        await abortableSleep(this.#options.sleep, delayMs, call.signal, call);
      }
    }
  }

  async #sendOnce(call: Call, attempt: number): Promise<CallResult> {
    const { origin, authorization, dispatcher, logger, now } = this.#options;
    const context = { method: call.method, path: call.path };
    if (call.signal?.aborted) throw new AiqumAbortError({ ...context, ambiguous: false });
    const timeoutMs = this.#options.timeoutMs + (call.extraTimeoutMs ?? 0);
    const timeoutSignal = AbortSignal.timeout(timeoutMs);
    const signal = call.signal ? AbortSignal.any([call.signal, timeoutSignal]) : timeoutSignal;
    // Lower-case names so a caller's `Accept` replaces the default instead of being sent twice.
    const headers: Record<string, string> = { accept: 'application/json' };
    for (const [name, value] of Object.entries(call.headers ?? {})) headers[name.toLowerCase()] = value;
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    headers.authorization = authorization;
    const started = now();
    logger.debug({ ...context, attempt }, 'AIQUM request');
    let result: CallResult;
    try {
      const response = await dispatcher.request({
        origin,
        path: call.path,
        method: call.method,
        headers,
        body: call.body ?? null,
        signal,
      });
      const text = await response.body.text();
      const responseHeaders = flattenHeaders(response.headers);
      result = {
        status: response.statusCode,
        headers: responseHeaders,
        text,
        requestId: requestIdOf(responseHeaders),
        retryAfterMs: parseRetryAfter(responseHeaders['retry-after'], now()),
      };
    } catch (error) {
      const failure = toNetworkError(error, {
        ...context,
        timeoutMs,
        callerSignal: call.signal,
        timeoutSignal,
      });
      logger.debug(
        { ...context, attempt, code: failure.code, ambiguous: failure.ambiguous },
        'AIQUM call failed',
      );
      throw failure;
    }
    this.#options.onResponse?.({ method: call.method, status: result.status });
    logger.debug(
      {
        ...context,
        attempt,
        status: result.status,
        requestId: result.requestId,
        durationMs: now() - started,
      },
      'AIQUM response',
    );
    if (result.status < 200 || result.status > 299) {
      throw AiqumApiError.from({ ...context, bodyText: result.text, ...result });
    }
    return result;
  }
}
