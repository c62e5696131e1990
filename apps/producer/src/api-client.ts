import {
  type AiqumJobsEvent,
  batchViewSchema,
  type EventType,
  eventSchema,
  type RequestView,
  requestViewSchema,
} from '@aiqum-jobs/contracts';
import type { z } from 'zod';
import {
  batchRequestsPageSchema,
  batchResponseSchema,
  errorBodySchema,
  recentBatchesSchema,
  submitResponseSchema,
} from './api-schemas.js';
import type { InputIssue } from './producer-error.js';
import type { RetryBatchInput, RetryRequestInput } from './retry-input.js';
import { readSseStream } from './sse.js';

export interface ApiClientOptions {
  /** Base URL of the producer API. @defaultValue `http://127.0.0.1:8080` */
  baseUrl?: string;
  /** Bearer token; sent only in the Authorization header, never printed. */
  token?: string | undefined;
  /** Timeout of one call (not of an event stream), in milliseconds. @defaultValue 30000 */
  timeoutMs?: number;
}

/** The API answered with an error, or could not be reached (`status` 0). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly issues: InputIssue[] | undefined;

  constructor(status: number, code: string, message: string, issues?: InputIssue[], cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.status = status;
    this.code = code;
    this.issues = issues;
  }
}

export interface ClientEventsOptions {
  /** `false`: the retained events, then the iteration ends. @defaultValue true */
  follow?: boolean;
  batchId?: string;
  types?: readonly EventType[];
  after?: string;
  signal?: AbortSignal;
}

/** The HTTP API seen from a client: every answer parsed with the schemas the server builds it from. */
export class ProducerApiClient {
  readonly #baseUrl: string;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;

  constructor(options: ApiClientOptions = {}) {
    this.#baseUrl = (options.baseUrl ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  submitBatch(body: unknown, idempotencyKey?: string) {
    return this.#call('POST', '/v1/batches', batchResponseSchema, {
      body,
      headers: idempotencyHeaders(idempotencyKey),
    });
  }

  getRequest(id: string): Promise<RequestView> {
    return this.#call('GET', `/v1/requests/${encodeURIComponent(id)}`, requestViewSchema);
  }

  /** The recently active batches, the most recent first. */
  listBatches(limit?: number) {
    return this.#call(
      'GET',
      `/v1/batches${limit === undefined ? '' : `?limit=${limit}`}`,
      recentBatchesSchema,
    );
  }

  getBatch(id: string) {
    return this.#call('GET', `/v1/batches/${encodeURIComponent(id)}`, batchViewSchema);
  }

  listBatchRequests(id: string, offset: number, limit: number) {
    const path = `/v1/batches/${encodeURIComponent(id)}/requests?offset=${offset}&limit=${limit}`;
    return this.#call('GET', path, batchRequestsPageSchema);
  }

  cancel(id: string): Promise<RequestView> {
    return this.#call('DELETE', `/v1/requests/${encodeURIComponent(id)}`, requestViewSchema);
  }

  pollNow(id: string): Promise<RequestView> {
    return this.#call('POST', `/v1/requests/${encodeURIComponent(id)}/poll`, requestViewSchema);
  }

  submit(body: unknown) {
    return this.#call('POST', '/v1/requests', submitResponseSchema, { body });
  }

  /** `POST /v1/requests/:id/retry`. */
  retry(id: string, body: RetryRequestInput = {}, idempotencyKey?: string) {
    const path = `/v1/requests/${encodeURIComponent(id)}/retry`;
    return this.#call('POST', path, submitResponseSchema, {
      body,
      headers: idempotencyHeaders(idempotencyKey),
    });
  }

  /** `POST /v1/batches/:id/retry`. */
  retryBatch(id: string, body: RetryBatchInput = {}, idempotencyKey?: string) {
    const path = `/v1/batches/${encodeURIComponent(id)}/retry`;
    return this.#call('POST', path, batchResponseSchema, {
      body,
      headers: idempotencyHeaders(idempotencyKey),
    });
  }

  /** Follows `GET /v1/events` until the signal aborts or the server ends the stream. */
  async *events(
    options: ClientEventsOptions = {},
  ): AsyncGenerator<{ streamId: string; event: AiqumJobsEvent }> {
    const query = new URLSearchParams();
    if (options.batchId !== undefined) query.set('batchId', options.batchId);
    if (options.types !== undefined) query.set('types', options.types.join(','));
    if (options.after !== undefined) query.set('after', options.after);
    if (options.follow === false) query.set('follow', 'false');
    const response = await this.#fetch('GET', `/v1/events?${query}`, {
      headers: { accept: 'text/event-stream' },
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    if (!response.ok || response.body === null) throw await apiErrorOf(response);
    try {
      for await (const message of readSseStream(response.body)) {
        if (message.event === 'error') {
          const body = errorBodySchema.parse(JSON.parse(message.data));
          throw new ApiError(503, body.error.code, body.error.message);
        }
        yield { streamId: message.id ?? '', event: eventSchema.parse(JSON.parse(message.data)) };
      }
    } catch (error) {
      if (options.signal?.aborted) return;
      throw error;
    }
  }

  async #call<T extends z.ZodType>(
    method: string,
    path: string,
    schema: T,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<z.output<T>> {
    const response = await this.#fetch(method, path, {
      headers: options.headers ?? {},
      signal: AbortSignal.timeout(this.#timeoutMs),
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    if (!response.ok) throw await apiErrorOf(response);
    const parsed = schema.safeParse(await response.json());
    if (!parsed.success) {
      throw new ApiError(response.status, 'INVALID_RESPONSE', `unexpected answer from ${method} ${path}`);
    }
    return parsed.data;
  }

  async #fetch(
    method: string,
    path: string,
    init: { headers: Record<string, string>; body?: string; signal?: AbortSignal },
  ): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(`${this.#baseUrl}${path}`, {
        method,
        headers,
        ...(init.body === undefined ? {} : { body: init.body }),
        ...(init.signal === undefined ? {} : { signal: init.signal }),
      });
    } catch (error) {
      const reason: unknown = init.signal?.reason;
      // A caller's abort is theirs to handle; only a timeout means the API did not answer.
      if (init.signal?.aborted && !(reason instanceof DOMException && reason.name === 'TimeoutError'))
        throw error;
      const detail =
        error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : '';
      throw new ApiError(0, 'API_UNREACHABLE', `cannot reach ${this.#baseUrl}: ${detail}`, undefined, error);
    }
  }
}

function idempotencyHeaders(idempotencyKey: string | undefined): Record<string, string> {
  return idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey };
}

async function apiErrorOf(response: Response): Promise<ApiError> {
  const text = await response.text();
  try {
    const body = errorBodySchema.parse(JSON.parse(text));
    return new ApiError(response.status, body.error.code, body.error.message, body.error.issues);
  } catch {
    return new ApiError(response.status, 'HTTP_ERROR', `HTTP ${response.status}`);
  }
}
