import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
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
    return match?.[1] !== undefined && this.#digestOf(match[1]) !== undefined;
  }

  /**
   * HMAC-SHA256 of `message` keyed with the digest of `token`, or undefined when `token` is not one of the
   * tokens: proof, checked by {@link verifies}, that whoever asked for it held a token.
   */
  sign(token: string, message: string): Buffer | undefined {
    const digest = this.#digestOf(token);
    return digest === undefined ? undefined : hmac(digest, message);
  }

  /** True when `mac` is what {@link sign} gives for `message` with one of the tokens configured now. */
  verifies(message: string, mac: Buffer): boolean {
    let matched = false;
    for (const digest of this.#digests) {
      const expected = hmac(digest, message);
      matched = (mac.length === expected.length && timingSafeEqual(mac, expected)) || matched;
    }
    return matched;
  }

  #digestOf(token: string): Buffer | undefined {
    const given = sha256(token);
    let found: Buffer | undefined;
    for (const digest of this.#digests) {
      if (timingSafeEqual(given, digest)) found = digest;
    }
    return found;
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function hmac(key: Buffer, message: string): Buffer {
  return createHmac('sha256', key).update(message).digest();
}
