import { setTimeout as sleepFor } from 'node:timers/promises';
import { inspect } from 'node:util';
import { type JobRef, jobRefSchema } from '@aiqum-jobs/contracts';
import { type BaseLogger, pino } from 'pino';
import type { Agent, Dispatcher } from 'undici';
import { z } from 'zod';
import { hasJobReference, jobRefFromAccepted } from './accepted-job-ref.js';
import { parseApiPath } from './api-path.js';
import {
  type AiqumClientOptions,
  aiqumClientOptionsSchema,
  type ResolvedClientOptions,
  type SleepFunction,
} from './client-options.js';
import {
  AiqumConfigurationError,
  AiqumInvalidRequestError,
  AiqumNotFoundError,
  AiqumResponseValidationError,
} from './errors.js';
import type { WriteMethod } from './http-method.js';
import { goneSnapshot, type JobSnapshot, normalizeJob } from './job-snapshot.js';
import { type ListOptions, paginate } from './paginate.js';
import { answersWithoutJob } from './result-routes.js';
import { createOwnedAgent, tlsConnectOptions } from './tls.js';
import { parseJsonBody, Transport } from './transport.js';
import { type WaitPolicy, waitForJob } from './wait-for-job.js';

// The transport sets these; a caller's value would break authentication or framing.
const reservedRequestHeaders = new Set([
  'authorization',
  'proxy-authorization',
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
]);
const headerNamePattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const callerHeadersSchema = z
  .record(
    z
      .string()
      .regex(headerNamePattern, 'invalid header name')
      .refine((name) => !reservedRequestHeaders.has(name.toLowerCase()), 'header is set by the client'),
    z.string().refine((value) => !/[\r\n\0]/.test(value), 'header value contains CR, LF or NUL'),
  )
  .optional();

const submitRequestSchema = z.strictObject({
  method: z.enum(['POST', 'PATCH', 'PUT', 'DELETE']),
  path: z.string(),
  body: z.unknown().optional(),
  headers: callerHeadersSchema,
  signal: z.custom<AbortSignal>((value) => value instanceof AbortSignal).optional(),
});

/** Checks extra headers of a read before anything is sent. */
function parseCallerHeaders(
  headers: Record<string, string> | undefined,
  call: { method: string; path: string },
): Record<string, string> | undefined {
  const parsed = callerHeadersSchema.safeParse(headers);
  if (!parsed.success) {
    throw new AiqumInvalidRequestError(`invalid headers: ${z.prettifyError(parsed.error)}`, call);
  }
  return parsed.data;
}

export interface SubmitRequest {
  method: WriteMethod;
  /** Path under `/api/`, query allowed (e.g. `return_timeout=10` for the ONTAP gateway). */
  path: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Extra headers such as `X-Correlation-Id`; Authorization, Host and Content-Length are refused. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

interface ResultBase {
  body: unknown;
  headers: Record<string, string>;
  requestId: string | undefined;
}

/**
 * What a write produced: an asynchronous job to track, or an immediate result. A `sync` 202 is a route that
 * answers "accepted" with its result and no job (data placement).
 */
export type SubmitResult =
  | (ResultBase & { kind: 'job'; status: 202; job: JobRef })
  | (ResultBase & { kind: 'sync'; status: 200 | 201 | 202 | 204 });

export interface GetJobOptions {
  /**
   * Ask for a long poll of this many seconds, capped to 1..`longPoll.maxWaitSeconds`; ignored unless the
   * client has `longPoll` configured, for ONTAP jobs, and when not above 0. The call's timeout grows by it.
   */
  longPollSeconds?: number;
  /**
   * With a long poll: answer as soon as the job changed after this moment (an ISO 8601 date-time with an
   * offset, or a Date), sent as `longPoll.lastModifiedParameter`.
   * @defaultValue not sent (the server waits for a change after the request arrived)
   */
  lastModified?: string | Date;
  /**
   * Whether the job is known to have existed (e.g. its ref came from `submit`). Then a 404 means the job
   * finished and was purged, or was lost: a `gone` snapshot. When false a 404 throws `AiqumNotFoundError`.
   * @defaultValue true
   */
  seenBefore?: boolean;
  /** Extra headers such as `X-Correlation-Id`; Authorization, Host and Content-Length are refused. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface GetOptions<T> {
  /** Parses the answer body. @defaultValue the body is returned as `unknown` */
  schema?: z.ZodType<T>;
  /** Extra headers such as `X-Correlation-Id`; Authorization, Host and Content-Length are refused. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

function toJsonText(body: unknown, call: { method: string; path: string }): string | undefined {
  if (body === undefined) return undefined;
  try {
    return JSON.stringify(body);
  } catch (error) {
    // BigInt values and cycles cannot be sent; say so before anything reaches AIQUM.
    throw new AiqumInvalidRequestError(`body cannot be serialized as JSON: ${String(error)}`, {
      ...call,
      cause: error,
    });
  }
}

const isoDateTimeSchema = z.iso.datetime({ offset: true });

/** `lastModified` as the ISO text to send; refused before sending when it is not a date-time. */
function parseLastModified(
  value: string | Date | undefined,
  call: { method: string; path: string },
): string | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime()))
      throw new AiqumInvalidRequestError('lastModified is an invalid Date', call);
    return value.toISOString();
  }
  if (!isoDateTimeSchema.safeParse(value).success) {
    throw new AiqumInvalidRequestError(
      `lastModified ${JSON.stringify(value)} is not an ISO 8601 date-time with an offset`,
      call,
    );
  }
  return value;
}

const isSyncStatus = (status: number): status is 200 | 201 | 204 =>
  status === 200 || status === 201 || status === 204;

/** Typed client for one Active IQ Unified Manager server. */
export class AiqumClient implements AsyncDisposable {
  /** Origin every call goes to. */
  readonly baseUrl: string;
  readonly #transport: Transport;
  readonly #ownedAgent: Agent | undefined;
  readonly #logger: BaseLogger;
  readonly #sleep: SleepFunction;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #longPoll: ResolvedClientOptions['longPoll'];

  constructor(options: AiqumClientOptions) {
    const parsed = aiqumClientOptionsSchema.safeParse(options);
    if (!parsed.success) {
      throw new AiqumConfigurationError(`invalid AIQUM client options: ${z.prettifyError(parsed.error)}`);
    }
    const config = parsed.data;
    if (config.dispatcher && (config.ca !== undefined || config.insecureSkipTlsVerify)) {
      throw new AiqumConfigurationError(
        'dispatcher cannot be combined with ca or insecureSkipTlsVerify: configure TLS on the dispatcher',
      );
    }
    this.baseUrl = config.baseUrl;
    this.#logger = config.logger ?? pino({ level: 'silent' });
    this.#sleep = config.sleep ?? ((ms, signal) => sleepFor(ms, undefined, signal ? { signal } : {}));
    this.#now = config.now ?? Date.now;
    this.#random = config.random ?? Math.random;
    this.#longPoll = config.longPoll;
    let dispatcher: Dispatcher;
    if (config.dispatcher) {
      dispatcher = config.dispatcher;
    } else {
      const connect = tlsConnectOptions({
        ca: config.ca,
        insecureSkipTlsVerify: config.insecureSkipTlsVerify,
      });
      this.#ownedAgent = createOwnedAgent(connect, config.connections);
      dispatcher = this.#ownedAgent;
    }
    if (config.insecureSkipTlsVerify) {
      this.#logger.warn(
        { baseUrl: this.baseUrl },
        'TLS certificate verification is OFF for this AIQUM server',
      );
    }
    // Allowed for tests and labs, but it sends the Basic credentials in clear text: say so once per client.
    if (this.baseUrl.startsWith('http:')) {
      this.#logger.warn(
        { baseUrl: this.baseUrl },
        'plain HTTP to this AIQUM server: credentials and data travel unencrypted; use https',
      );
    }
    this.#transport = new Transport({
      origin: this.baseUrl,
      authorization: `Basic ${Buffer.from(`${config.username}:${config.password}`, 'utf8').toString('base64')}`,
      dispatcher,
      logger: this.#logger,
      timeoutMs: config.timeoutMs,
      retry: config.retry,
      sleep: this.#sleep,
      now: this.#now,
      random: this.#random,
      onResponse: config.onResponse,
    });
  }

  /**
   * Sends one write, exactly once. A 202 names a job to track (except on data placement, whose 202 is the
   * result); 200/201/204 are immediate results.
   * On failure, the error's `ambiguous` says whether the write may have taken effect.
   */
  async submit(request: SubmitRequest): Promise<SubmitResult> {
    const parsed = submitRequestSchema.safeParse(request);
    if (!parsed.success) {
      throw new AiqumInvalidRequestError(`invalid submit request: ${z.prettifyError(parsed.error)}`, {
        method: request.method,
        path: request.path,
      });
    }
    const { method, headers, signal, body } = parsed.data;
    const path = parseApiPath(parsed.data.path);
    const call = { method, path };
    const result = await this.#transport.send({
      method,
      path,
      body: toJsonText(body, call),
      headers,
      signal,
    });
    const base = { headers: result.headers, requestId: result.requestId };
    if (result.status === 202) {
      const accepted = parseJsonBody(result, call);
      if (answersWithoutJob(method, path) && !hasJobReference(accepted)) {
        return { ...base, kind: 'sync', status: 202, body: accepted };
      }
      return {
        ...base,
        kind: 'job',
        status: 202,
        body: accepted,
        job: jobRefFromAccepted(accepted, { ...call, origin: this.baseUrl }),
      };
    }
    if (isSyncStatus(result.status)) {
      const syncBody = result.status === 204 ? null : parseJsonBody(result, call);
      return { ...base, kind: 'sync', status: result.status, body: syncBody };
    }
    throw new AiqumResponseValidationError(`answered ${result.status}, which this client does not expect`, {
      ...call,
      status: result.status,
      ambiguous: true,
    });
  }

  /** Polls a job once (retrying transient failures) and classifies it. */
  async getJob(ref: JobRef, options: GetJobOptions = {}): Promise<JobSnapshot> {
    const parsedRef = jobRefSchema.safeParse(ref);
    if (!parsedRef.success) {
      throw new AiqumInvalidRequestError(`invalid job reference: ${z.prettifyError(parsedRef.error)}`);
    }
    const jobPath = parseApiPath(parsedRef.data.href);
    const lastModified = parseLastModified(options.lastModified, { method: 'GET', path: jobPath });
    let path = jobPath;
    let extraTimeoutMs = 0;
    const wanted = options.longPollSeconds;
    // ONTAP jobs have no long poll of this kind; AIQUM's is used only where configured.
    if (wanted !== undefined && wanted > 0 && this.#longPoll && ref.kind === 'aiqum') {
      const { parameter, maxWaitSeconds, lastModifiedParameter } = this.#longPoll;
      const seconds = Math.min(maxWaitSeconds, Math.max(1, Math.floor(wanted)));
      const query = [`${encodeURIComponent(parameter)}=${seconds}`];
      if (lastModified !== undefined) {
        query.push(`${encodeURIComponent(lastModifiedParameter)}=${encodeURIComponent(lastModified)}`);
      }
      path = `${jobPath}${jobPath.includes('?') ? '&' : '?'}${query.join('&')}`;
      extraTimeoutMs = seconds * 1000;
    }
    const headers = parseCallerHeaders(options.headers, { method: 'GET', path });
    let result: Awaited<ReturnType<Transport['send']>>;
    try {
      result = await this.#transport.send({
        method: 'GET',
        path,
        headers,
        signal: options.signal,
        extraTimeoutMs,
      });
    } catch (error) {
      if (error instanceof AiqumNotFoundError && options.seenBefore !== false) {
        this.#logger.warn({ path }, 'job answered 404 after it was seen: outcome unknown');
        return goneSnapshot(parsedRef.data, error.error.message);
      }
      throw error;
    }
    const call = { method: 'GET', path };
    return normalizeJob(parsedRef.data, parseJsonBody(result, call), {
      ...call,
      status: result.status,
      retryAfterMs: result.retryAfterMs,
    });
  }

  /** Polls until the job is terminal or gone. For scripts; durable tracking belongs to the worker. */
  waitForJob(ref: JobRef, policy: WaitPolicy = {}): Promise<JobSnapshot> {
    return waitForJob(ref, policy, {
      poll: (jobRef, options) => this.getJob(jobRef, options),
      sleep: this.#sleep,
      now: this.#now,
      random: this.#random,
    });
  }

  /** GETs one resource (retrying transient failures) and returns its JSON body. */
  async get<T = unknown>(path: string, options: GetOptions<T> = {}): Promise<T> {
    const checkedPath = parseApiPath(path);
    const headers = parseCallerHeaders(options.headers, { method: 'GET', path: checkedPath });
    const body = await this.#getJson(checkedPath, options.signal, headers);
    if (options.schema === undefined) return body as T;
    const parsed = options.schema.safeParse(body);
    if (!parsed.success) {
      throw new AiqumResponseValidationError('answer does not match the schema', {
        method: 'GET',
        path,
        status: 200,
        issues: parsed.error.issues,
      });
    }
    return parsed.data;
  }

  /** Iterates over a collection's records across pages: `for await (const lun of client.list(...))`. */
  list<T = unknown>(path: string, options: ListOptions<T> = {}): AsyncIterable<T> {
    return paginate(path, options, {
      origin: this.baseUrl,
      getJson: (pagePath, signal) => this.#getJson(pagePath, signal, undefined),
    });
  }

  /** Closes the agent the client owns; an injected dispatcher is left to its owner. */
  async close(): Promise<void> {
    await this.#ownedAgent?.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  toJSON(): { baseUrl: string } {
    return { baseUrl: this.baseUrl };
  }

  [inspect.custom](): string {
    return `AiqumClient { baseUrl: ${JSON.stringify(this.baseUrl)} }`;
  }

  async #getJson(
    path: string,
    signal: AbortSignal | undefined,
    headers: Record<string, string> | undefined,
  ): Promise<unknown> {
    const result = await this.#transport.send({ method: 'GET', path, headers, signal });
    return parseJsonBody(result, { method: 'GET', path });
  }
}
