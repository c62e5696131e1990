import type { BearerTokens } from '@aiqum-jobs/core';

export interface DashboardSessionsOptions {
  /** The API's tokens: a session is opened with one of them. */
  tokens: BearerTokens;
  /** @defaultValue 12 hours */
  lifetimeMs?: number;
  /** @defaultValue `Date.now` */
  now?: () => number;
}

/**
 * Dashboard sessions: a browser logs in with an API token and gets `<expiry>.<HMAC of the expiry, keyed by
 * the token's digest>`. Nothing is stored, every producer with the same tokens accepts the session, the
 * session is its token's (its name and scopes, as configured now), and removing the token from the
 * configuration ends it.
 */
export class DashboardSessions {
  readonly #tokens: BearerTokens;
  readonly #now: () => number;
  readonly lifetimeMs: number;

  constructor(options: DashboardSessionsOptions) {
    this.#tokens = options.tokens;
    this.#now = options.now ?? Date.now;
    this.lifetimeMs = options.lifetimeMs ?? 12 * 60 * 60 * 1000;
  }

  /** A session for whoever gave `token`; undefined when it is not one of the API's tokens. */
  open(token: string): string | undefined {
    const expiresAt = this.#now() + this.lifetimeMs;
    const mac = this.#tokens.sign(token, sessionMessage(expiresAt));
    return mac === undefined ? undefined : `${expiresAt}.${mac.toString('base64url')}`;
  }

  /**
   * Which token opened `session` (its index, as {@link BearerTokens.holderOf}) when that token is configured
   * now and the session has not expired; undefined otherwise.
   */
  signerOf(session: string | undefined): number | undefined {
    const match = /^(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(session ?? '');
    if (!match?.[1] || !match[2]) return undefined;
    const expiresAt = Number(match[1]);
    if (expiresAt <= this.#now()) return undefined;
    return this.#tokens.signerOf(sessionMessage(expiresAt), Buffer.from(match[2], 'base64url'));
  }
}

function sessionMessage(expiresAt: number): string {
  return `aiqum-jobs dashboard session until ${expiresAt}`;
}
