import type { FastifyRequest } from 'fastify';
import type { ApiCaller } from './api-caller.js';

/** Who is calling, for limits that count per caller: never the credential itself, which is secret. */
export type CallerKey = (request: FastifyRequest) => string;

/**
 * Callers are told apart by the token their credentials belong to (a bearer token, or a dashboard session
 * opened with it: both share the token's budget), else by address. Credentials that are not accepted count
 * as their address: inventing tokens does not buy new budgets.
 */
export function createCallerKey(
  callerOfCredentials: (request: FastifyRequest) => ApiCaller | undefined,
): CallerKey {
  return (request) => {
    const caller = callerOfCredentials(request);
    return caller === undefined ? `address:${request.ip}` : `token:${caller.name}`;
  };
}
