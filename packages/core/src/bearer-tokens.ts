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
    return this.holderOf(authorization) !== undefined;
  }

  /**
   * Which token an `Authorization` header value `Bearer <token>` holds: its index in the list given to the
   * constructor, so that a caller can keep what goes with each token (a name, its scopes).
   */
  holderOf(authorization: string | undefined): number | undefined {
    const match = /^Bearer ([^\s]+)$/i.exec(authorization ?? '');
    return match?.[1] === undefined ? undefined : this.#indexOf(match[1]);
  }

  /**
   * HMAC-SHA256 of `message` keyed with the digest of `token`, or undefined when `token` is not one of the
   * tokens: proof, checked by {@link signerOf}, that whoever asked for it held that token.
   */
  sign(token: string, message: string): Buffer | undefined {
    const digest = this.#digestOf(token);
    return digest === undefined ? undefined : hmac(digest, message);
  }

  /**
   * Which token `mac` is what {@link sign} gives for `message` with (its index, as {@link holderOf}), among
   * the tokens configured now; undefined when none.
   */
  signerOf(message: string, mac: Buffer): number | undefined {
    let signer: number | undefined;
    this.#digests.forEach((digest, index) => {
      const expected = hmac(digest, message);
      if (mac.length === expected.length && timingSafeEqual(mac, expected)) signer = index;
    });
    return signer;
  }

  #digestOf(token: string): Buffer | undefined {
    const index = this.#indexOf(token);
    return index === undefined ? undefined : this.#digests[index];
  }

  /** Compares with every digest, whichever matches, so that the time taken says nothing of which one did. */
  #indexOf(token: string): number | undefined {
    const given = sha256(token);
    let found: number | undefined;
    this.#digests.forEach((digest, index) => {
      if (timingSafeEqual(given, digest)) found = index;
    });
    return found;
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function hmac(key: Buffer, message: string): Buffer {
  return createHmac('sha256', key).update(message).digest();
}
