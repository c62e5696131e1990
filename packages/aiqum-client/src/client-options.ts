import type { BaseLogger } from 'pino';
import type { Dispatcher } from 'undici';
import { z } from 'zod';
import type { HttpMethod } from './http-method.js';
import { retryPolicySchema } from './retry-policy.js';

/** Waits `ms`, rejecting early when `signal` aborts. */
export type SleepFunction = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Sees one HTTP answer of AIQUM; called synchronously, it must not throw. */
export type ResponseObserver = (response: { method: HttpMethod; status: number }) => void;

const isFunction = (value: unknown): boolean => typeof value === 'function';
const hasMethods =
  (...names: string[]) =>
  (value: unknown): boolean =>
    typeof value === 'object' &&
    value !== null &&
    names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function');

const queryParameterName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'not a query parameter name');

const baseUrlSchema = z.string().transform((value, context) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    context.addIssue({
      code: 'custom',
      message: 'baseUrl must be an absolute URL such as https://aiqum:443',
    });
    return z.NEVER;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    context.addIssue({ code: 'custom', message: 'baseUrl must use https (or http for tests)' });
  }
  // Credentials in a URL end up in logs and error messages; they belong in username/password.
  if (url.username !== '' || url.password !== '') {
    context.addIssue({ code: 'custom', message: 'baseUrl must not contain credentials' });
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    context.addIssue({ code: 'custom', message: 'baseUrl must be an origin only, e.g. https://aiqum:443' });
  }
  return url.origin;
});

export const aiqumClientOptionsSchema = z.strictObject({
  /** Origin of the Unified Manager server, e.g. `https://aiqum.example.com` (http only for tests). */
  baseUrl: baseUrlSchema,
  /** User for HTTP Basic authentication. */
  username: z.string().min(1),
  /** Password for HTTP Basic authentication; kept only inside the encoded header, never logged. */
  password: z.string().min(1),
  /**
   * CA certificate(s) that signed the server's certificate: PEM text, or `{ file }` read at construction.
   * @defaultValue Node's built-in CA store
   */
  ca: z.union([z.string().min(1), z.strictObject({ file: z.string().min(1) })]).optional(),
  /**
   * Turns off certificate verification. An explicit opt-in for lab servers; logs one warning per client.
   * @defaultValue false
   */
  insecureSkipTlsVerify: z.boolean().default(false),
  /**
   * Limit for one HTTP call, from sending to the end of the answer body (a long poll adds its wait).
   * @defaultValue 30_000
   */
  timeoutMs: z.number().int().positive().default(30_000),
  /**
   * Maximum sockets to the server when the client owns its agent.
   * @defaultValue 6 (as ONTAP's Terraform provider)
   */
  connections: z.number().int().positive().default(6),
  /**
   * undici dispatcher to send through (e.g. a `MockAgent`); the caller owns it and configures its TLS.
   * @defaultValue an `Agent` owned by the client, closed by `close()`
   */
  dispatcher: z
    .custom<Dispatcher>(hasMethods('dispatch', 'request'), {
      message: 'dispatcher must be an undici Dispatcher',
    })
    .optional(),
  /**
   * pino logger for request, retry and warning lines (never headers or credentials).
   * @defaultValue a silent logger
   */
  logger: z
    .custom<BaseLogger>(hasMethods('warn', 'debug'), { message: 'logger must be a pino Logger' })
    .optional(),
  /**
   * Retries of idempotent calls (GET, job polls); writes are never retried.
   * @defaultValue `{ maxRetries: 5, baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 60_000 }`
   */
  retry: retryPolicySchema.prefault({}),
  /**
   * Waits between retries and polls; tests inject one that returns at once.
   * @defaultValue `setTimeout` from `node:timers/promises`
   */
  sleep: z.custom<SleepFunction>(isFunction, { message: 'sleep must be a function' }).optional(),
  /**
   * Clock in epoch milliseconds (for `Retry-After` dates and `waitForJob` deadlines).
   * @defaultValue `Date.now`
   */
  now: z.custom<() => number>(isFunction, { message: 'now must be a function' }).optional(),
  /**
   * Source of jitter in [0, 1).
   * @defaultValue `Math.random`
   */
  random: z.custom<() => number>(isFunction, { message: 'random must be a function' }).optional(),
  /**
   * Called with every HTTP answer AIQUM gives, each retry's included and whatever its status, e.g. to
   * count statuses. Calls that get no answer (connection errors, timeouts) are not seen.
   * @defaultValue none
   */
  onResponse: z.custom<ResponseObserver>(isFunction, { message: 'onResponse must be a function' }).optional(),
  /**
   * Long polling of AIQUM jobs, Deploy style. Unified Manager's API specification has no long poll; its
   * documentation page copies ONTAP Select Deploy's (`poll_timeout` 1-120 s, `last_modified`), whose names
   * are the defaults here. `longPoll: {}` turns it on with them; it is off unless configured.
   * @defaultValue undefined (standard polls only)
   */
  longPoll: z
    .strictObject({
      /**
       * Query parameter that asks the server to hold the answer, in seconds.
       * @defaultValue 'poll_timeout'
       */
      parameter: queryParameterName.default('poll_timeout'),
      /**
       * Longest wait the server accepts, in seconds (1-120); longer requests are capped to it.
       * @defaultValue 120
       */
      maxWaitSeconds: z.number().int().min(1).max(120).default(120),
      /**
       * Query parameter carrying `lastModified`: the server answers once the job changed after it.
       * @defaultValue 'last_modified'
       */
      lastModifiedParameter: queryParameterName.default('last_modified'),
    })
    .optional(),
});

export type AiqumClientOptions = z.input<typeof aiqumClientOptionsSchema>;
export type ResolvedClientOptions = z.output<typeof aiqumClientOptionsSchema>;
