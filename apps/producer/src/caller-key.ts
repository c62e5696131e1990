import { createHash } from 'node:crypto';
import type { BearerTokens } from '@aiqum-jobs/core';
import type { FastifyRequest } from 'fastify';
import type { DashboardSessions } from './dashboard-sessions.js';
import { readSessionCookie } from './session-cookie.js';

/** Who is calling, for limits that count per caller: never the credential itself, which is secret. */
export type CallerKey = (request: FastifyRequest) => string;

/**
 * Callers are told apart by an accepted bearer token, else by an open dashboard session, else by address.
 * A credential that is not accepted counts as its address: inventing tokens does not buy new budgets.
 */
export function createCallerKey(tokens: BearerTokens, sessions: DashboardSessions): CallerKey {
  return (request) => {
    const { authorization } = request.headers;
    if (authorization !== undefined && tokens.accepts(authorization)) return `token:${digest(authorization)}`;
    const session = readSessionCookie(request.headers.cookie);
    if (session !== undefined && sessions.valid(session)) return `session:${digest(session)}`;
    return `address:${request.ip}`;
  };
}

function digest(credential: string): string {
  return createHash('sha256').update(credential).digest('base64url').slice(0, 22);
}
