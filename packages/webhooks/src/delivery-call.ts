import { parseRetryAfter } from '@aiqum-jobs/aiqum-client';
import type { Dispatcher } from 'undici';
import { WebhookUrlError } from './url-policy.js';

/** What one delivery attempt came to. */
export type DeliveryResult =
  | { kind: 'delivered'; status: number }
  | {
      kind: 'failed';
      /** Network errors, timeouts, 408, 429 and 5xx are worth another attempt; other answers are not. */
      retryable: boolean;
      /** Why, for the dead letter and the logs, e.g. `answered 503`. */
      reason: string;
      status?: number;
      /** The receiver's `Retry-After`, in milliseconds. */
      retryAfterMs?: number;
    };

export interface DeliveryCall {
  dispatcher: Dispatcher;
  url: string;
  /** The JSON body, already signed. */
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Aborts the call, e.g. when the worker stops for good. */
  signal?: AbortSignal;
  now: () => number;
}

/** POSTs one delivery within its timeout and classifies the outcome; never throws. */
export async function sendDelivery(call: DeliveryCall): Promise<DeliveryResult> {
  const url = new URL(call.url);
  const timeout = AbortSignal.timeout(call.timeoutMs);
  const signal = call.signal ? AbortSignal.any([call.signal, timeout]) : timeout;
  let response: Dispatcher.ResponseData;
  try {
    response = await call.dispatcher.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers: call.headers,
      body: call.body,
      signal,
    });
    // The answer's body is not used: read a little of it so the connection can be reused, drop the rest.
    await response.body.dump({ limit: 64 * 1024, signal });
  } catch (error) {
    const refusal = urlRefusalOf(error);
    if (refusal) return { kind: 'failed', retryable: false, reason: refusal.message };
    if (timeout.aborted)
      return { kind: 'failed', retryable: true, reason: `no answer within ${call.timeoutMs} ms` };
    return { kind: 'failed', retryable: true, reason: `could not deliver (${errorCodeOf(error)})` };
  }
  const { statusCode: status } = response;
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  const retryable = status === 408 || status === 429 || status >= 500;
  const header = response.headers['retry-after'];
  const retryAfterMs = parseRetryAfter(Array.isArray(header) ? header[0] : header, call.now());
  return {
    kind: 'failed',
    retryable,
    reason: `answered ${status}`,
    status,
    ...(retryable && retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };
}

/** The allowlist's refusal along the cause chain (undici may wrap the error of the connection's lookup). */
function urlRefusalOf(error: unknown): WebhookUrlError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    if (current instanceof WebhookUrlError) return current;
    current = current.cause;
  }
  return undefined;
}

function errorCodeOf(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.message : String(error);
}
