import { createHash, timingSafeEqual } from 'node:crypto';
import type { Secret } from './secret.js';

/**
 * The bearer tokens a server accepts. Only their SHA-256 digests are kept: comparing digests compares
 * equal lengths, so a check takes the same time whatever token it is given.
 */
export class BearerTokens {
  readonly #digests: readonly Buffer[];

  constructor(tokens: readonly Secret[]) {
    this.#digests = tokens.map((token) => sha256(token.reveal()));
  }

  /** True when no token is configured. */
  get empty(): boolean {
    return this.#digests.length === 0;
  }

  /** True when an `Authorization` header value is `Bearer <one of the tokens>`. */
  accepts(authorization: string | undefined): boolean {
    const match = /^Bearer ([^\s]+)$/i.exec(authorization ?? '');
    if (!match?.[1]) return false;
    const digest = sha256(match[1]);
    let matched = false;
    for (const expected of this.#digests) matched = timingSafeEqual(digest, expected) || matched;
    return matched;
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
