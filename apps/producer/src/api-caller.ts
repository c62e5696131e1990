import { type ApiScope, scopesGrant } from './api-scopes.js';
import type { ApiToken } from './api-token-config.js';
import { ProducerError, producerErrorCodes } from './producer-error.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the server's auth hook on every route that is not public. */
    caller: ApiCaller | undefined;
  }
}

/** Who sent an API request: the name of its token (never the token), what it may do, and where. */
export interface ApiCaller {
  /** Kept in records and events as `submittedBy`, and bound to the request's log lines as `caller`. */
  readonly name: string;
  readonly scopes: ReadonlySet<ApiScope>;
  /** The only targets it may submit to and act on, and whose requests it sees; undefined: any target. */
  readonly targets: ReadonlySet<string> | undefined;
}

/** The caller of a server without tokens, which serves loopback clients only: whoever is on this machine. */
export const localCaller: ApiCaller = { name: 'local', scopes: new Set(['admin']), targets: undefined };

export function callerOfToken(token: ApiToken): ApiCaller {
  return {
    name: token.name,
    scopes: new Set(token.scopes),
    targets: token.targets === undefined ? undefined : new Set(token.targets),
  };
}

/** 403 `FORBIDDEN_SCOPE` naming the missing scope, when `caller` may not do what needs `needed`. */
export function scopeRefusal(caller: ApiCaller, needed: ApiScope): ProducerError | undefined {
  if (scopesGrant(caller.scopes, needed)) return undefined;
  return new ProducerError(
    producerErrorCodes.forbiddenScope,
    `the token ${caller.name} lacks the scope ${needed}`,
    { details: { scope: needed } },
  );
}
