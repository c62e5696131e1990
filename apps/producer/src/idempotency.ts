import { createHash, randomUUID } from 'node:crypto';
import type { Logger, RedisConnection, RedisKeys } from '@aiqum-jobs/contracts';
import { LuaScript, readLuaFile } from '@aiqum-jobs/core';
import { z } from 'zod';
import { ProducerError, producerErrorCodes } from './producer-error.js';

/**
 * Lifetime of a claim whose answer is not known yet. Short, so a producer that crashed mid-enqueue does
 * not block the key for the whole retention.
 */
const pendingClaimSeconds = 120;

const recordSchema = z.discriminatedUnion('status', [
  // `claim` tells one caller's claim from another's, so that only its own is ever released.
  z.object({ status: z.literal('pending'), fingerprint: z.string(), claim: z.string().optional() }),
  z.object({ status: z.literal('done'), fingerprint: z.string(), response: z.json() }),
]);
type IdempotencyRecord = z.output<typeof recordSchema>;

/** Deletes a key if it still holds this value. */
const releaseClaimScript = new LuaScript({
  body: readLuaFile(new URL('./lua/release-claim.lua', import.meta.url)),
  keys: ['key'],
  args: ['value'],
  reply: z.number(),
});

export interface IdempotencyOptions {
  redis: RedisConnection;
  keys: RedisKeys;
  /** How long a key and its first answer are remembered, in seconds. */
  retentionSeconds: number;
  /** How long a duplicate waits for the first call with the same key to answer. @defaultValue 5000 */
  waitForWinnerMs?: number;
  /** Where a claim that could not be released is reported. @defaultValue none */
  logger?: Logger;
}

/** Either the first answer given for a key, replayed, or a fresh one. */
export interface IdempotentResult<T> {
  response: T;
  replayed: boolean;
}

/**
 * `Idempotency-Key` handling. The first caller claims the key with SET NX before it enqueues anything, so
 * two concurrent duplicates can never both enqueue; the loser waits briefly for the winner's answer.
 */
export class Idempotency {
  readonly #redis: RedisConnection;
  readonly #keys: RedisKeys;
  readonly #retentionSeconds: number;
  readonly #waitForWinnerMs: number;
  readonly #logger: Logger | undefined;

  constructor(options: IdempotencyOptions) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#retentionSeconds = options.retentionSeconds;
    this.#waitForWinnerMs = options.waitForWinnerMs ?? 5_000;
    this.#logger = options.logger;
  }

  /**
   * Runs `action` once per key. `scope` and `body` make the fingerprint: the same key with another body
   * (or on another endpoint) is a conflict, never a silent replay.
   */
  async run<T>(
    key: string,
    scope: string,
    body: unknown,
    responseSchema: z.ZodType<T>,
    action: () => Promise<T>,
  ): Promise<IdempotentResult<T>> {
    const redisKey = this.#keys.idempotency(sha256(key));
    const fingerprint = sha256(`${scope}\n${canonicalJson(body)}`);
    const deadline = Date.now() + this.#waitForWinnerMs;
    for (;;) {
      const pending: IdempotencyRecord = { status: 'pending', fingerprint, claim: randomUUID() };
      const claim = JSON.stringify(pending);
      let claimed: string | null;
      try {
        claimed = await this.#redis.set(redisKey, claim, 'EX', pendingClaimSeconds, 'NX');
      } catch (error) {
        // A SET that timed out on a hung Redis still runs once Redis resumes: release that claim then,
        // or a retry with the same key would be told "in progress" until it expires.
        this.#release(redisKey, claim);
        throw error;
      }
      if (claimed === 'OK')
        return { response: await this.#runClaimed(redisKey, claim, fingerprint, action), replayed: false };

      const existing = await this.#read(redisKey);
      // The winner failed and released the key between our SET and GET: try to claim it again.
      if (existing === undefined) continue;
      if (existing.fingerprint !== fingerprint) {
        throw new ProducerError(
          producerErrorCodes.idempotencyKeyReused,
          'this Idempotency-Key was already used with another request body',
        );
      }
      if (existing.status === 'done')
        return { response: responseSchema.parse(existing.response), replayed: true };
      if (Date.now() >= deadline) {
        throw new ProducerError(
          producerErrorCodes.idempotencyInProgress,
          'a request with this Idempotency-Key is still being processed; retry shortly',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async #runClaimed<T>(
    redisKey: string,
    claim: string,
    fingerprint: string,
    action: () => Promise<T>,
  ): Promise<T> {
    let response: T;
    try {
      response = await action();
    } catch (error) {
      // Nothing was enqueued, so the caller may retry with the same key. A failed release leaves the
      // claim to expire, and the retry is told "in progress" until then.
      this.#release(redisKey, claim);
      throw error;
    }
    const done: IdempotencyRecord = { status: 'done', fingerprint, response: z.json().parse(response) };
    // The requests are stored and queued: answering 503 now would invite a duplicate. If this write
    // fails, the claim expires after `pendingClaimSeconds` and the key is free again.
    await this.#redis
      .set(redisKey, JSON.stringify(done), 'EX', this.#retentionSeconds)
      .catch(() => undefined);
    return response;
  }

  /**
   * Releases our claim if it is still there. Sent, not awaited: on a hung Redis it runs in order behind
   * the commands it follows, and the caller is not kept waiting for it.
   */
  #release(redisKey: string, claim: string): void {
    // By its source, not its SHA: on a Redis that hangs (or restarts) the release may run long after it was
    // sent, when a NOSCRIPT could no longer be answered with the source.
    void releaseClaimScript
      .eval(this.#redis, { keys: { key: redisKey }, args: { value: claim } })
      .catch((error: unknown) =>
        this.#logger?.warn(
          { err: error },
          'an Idempotency-Key claim could not be released; retries with the key are told "in progress" until it expires',
        ),
      );
  }

  async #read(redisKey: string): Promise<IdempotencyRecord | undefined> {
    const text = await this.#redis.get(redisKey);
    return text === null ? undefined : recordSchema.parse(JSON.parse(text));
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** JSON with object keys sorted at every level, so key order does not change the fingerprint. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    return Object.fromEntries(
      Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
  });
}
