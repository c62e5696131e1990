import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiRoute } from './api-route.js';
import type { CallerKey } from './caller-key.js';
import { errorAnswer } from './error-answer.js';
import type { ProducerServer } from './http-server.js';
import { dashboardPath } from './page-paths.js';
import { ProducerError, producerErrorCodes } from './producer-error.js';

export interface RateLimitSettings {
  /** Requests one caller (token, dashboard session or, without either, address) may send per minute. */
  perMinute: number;
  /** Dashboard login attempts one address may send per minute: a token cannot be guessed by trying. */
  loginPerMinute: number;
  /** Routes no budget applies to (probes, metrics, the documentation): cheap, and polled by machines. */
  exemptRoutes: ReadonlySet<string>;
}

/** Probes, metrics and the documentation are polled by machines and cheap: no budget applies to them. */
export function isRateLimited(route: ApiRoute): boolean {
  return route.tag !== 'operations';
}

type OnRequestHook = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

const loginRoute = `${dashboardPath}/login`;
const minuteMs = 60_000;

/**
 * Registers `@fastify/rate-limit` and returns the `onRequest` hook that applies its budgets. The server adds
 * the hook before its auth hook, so that refused credentials count too (the plugin's own route hooks would
 * run after it). The counters live in this process's memory, not in Redis: limiting costs no Redis round
 * trip, and it keeps working while Redis is down or slow, which is when floods hurt most. Behind a load
 * balancer a caller gets the budget once per producer; it is a guard against floods and guessing, not a
 * quota.
 */
export function registerRateLimits(
  app: ProducerServer,
  settings: RateLimitSettings,
  callerOf: CallerKey,
): OnRequestHook {
  app.register(fastifyRateLimit, { global: false });
  type Limiter = ReturnType<ProducerServer['createRateLimit']>;
  let limiters: { perCaller: Limiter; login: Limiter } | undefined;
  return async (request, reply) => {
    const route = request.routeOptions.url;
    if (route !== undefined && settings.exemptRoutes.has(route)) return undefined;
    // `createRateLimit` exists once the plugin has loaded, which is before the first request.
    limiters ??= {
      perCaller: app.createRateLimit({
        max: settings.perMinute,
        timeWindow: minuteMs,
        keyGenerator: callerOf,
      }),
      login: app.createRateLimit({
        max: settings.loginPerMinute,
        timeWindow: minuteMs,
        keyGenerator: (loginRequest) => loginRequest.ip,
      }),
    };
    const login = route === loginRoute && request.method === 'POST';
    const verdict = await (login ? limiters.login : limiters.perCaller)(request);
    if (verdict.isAllowed || !verdict.isExceeded) return undefined;
    reply.header('retry-after', String(verdict.ttlInSeconds));
    const { status, body } = errorAnswer(
      new ProducerError(
        producerErrorCodes.tooManyRequests,
        login
          ? `too many login attempts; retry in ${verdict.ttlInSeconds} s`
          : `more than ${verdict.max} requests in a minute; retry in ${verdict.ttlInSeconds} s`,
      ),
    );
    return reply.code(status).send(body);
  };
}
