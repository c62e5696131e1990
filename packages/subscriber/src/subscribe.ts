import {
  type AiqumJobsEvent,
  blockingReadConnection,
  createLogger,
  createRedisKeys,
  type Logger,
  parseEventEntry,
  type RedisConnection,
} from '@aiqum-jobs/contracts';
import { z } from 'zod';
import {
  type ParsedSubscribeOptions,
  parseSubscribeOptions,
  type SubscribeOptions,
} from './subscribe-options.js';

/** One event handed to the loop body, with its stream entry id. */
export interface Delivery {
  streamId: string;
  event: AiqumJobsEvent;
}

/**
 * The events of a consumer group, as an async iterable to use once with `for await`. Each event is
 * acknowledged when the loop asks for the next one, so only after the body succeeded: a body that throws
 * (or a `break`) leaves its event pending, to be delivered again.
 */
export interface Subscription extends AsyncIterable<Delivery>, AsyncDisposable {
  /**
   * The same events, one array per read (at most `count`), to use instead of iterating the subscription
   * itself: a read's events are acknowledged together, with one `XACK`, when the loop asks for the next
   * array, so only after the body succeeded for all of them; a body that throws leaves them all pending.
   */
  batches(): AsyncIterable<readonly Delivery[]>;
  /**
   * Stops: a blocked read ends at once and the loop ends. Called from the loop body, the loop ends after
   * that body, its event acknowledged.
   */
  close(): Promise<void>;
}

/** After a Redis error, how long to wait before trying again. */
const retryDelayMs = 1_000;

/** A stream entry as Redis returns it; the fields are nil when the entry was trimmed while pending. */
const entrySchema = z.tuple([z.string(), z.array(z.string()).nullable()]);
type Entry = z.output<typeof entrySchema>;
const readReplySchema = z.array(z.tuple([z.string(), z.array(entrySchema)])).nullable();
/** `XAUTOCLAIM`: next cursor, claimed entries, and (Redis 7) the ids that no longer exist. */
const autoclaimReplySchema = z.tuple([z.string(), z.array(entrySchema)], z.array(z.string()));

/**
 * Subscribes to the events stream through the consumer group `group` (created when missing, from
 * `startId`). Delivery is at least once: the events of a consumer that died are taken over by another after
 * `claimIdleMs`, and events carry a stable `id` to de-duplicate.
 */
export function subscribe(options: SubscribeOptions): Subscription {
  return new GroupSubscription(options.redis, parseSubscribeOptions(options), options.logger);
}

class GroupSubscription implements Subscription {
  readonly #redis: RedisConnection;
  /** Blocking reads hold their connection, so they get one of their own; closing it ends a blocked read. */
  readonly #reader: RedisConnection;
  readonly #options: ParsedSubscribeOptions;
  readonly #stream: string;
  readonly #types: ReadonlySet<string> | undefined;
  readonly #logger: Logger;
  /** `reading` while the loop talks to Redis or waits, `delivering` while a loop body runs. */
  #state: 'new' | 'reading' | 'delivering' | 'ended' = 'new';
  #iterated = false;
  /** Set by `batches()`: a read's events are handed out, and acknowledged, together. */
  #perRead = false;
  #closing = false;
  #disconnected = false;
  #ended: () => void = () => {};
  readonly #endedPromise = new Promise<void>((resolve) => {
    this.#ended = resolve;
  });
  #wake: (() => void) | undefined;

  constructor(redis: RedisConnection, options: ParsedSubscribeOptions, logger: Logger | undefined) {
    this.#redis = redis;
    this.#options = options;
    this.#stream = createRedisKeys(options.prefix).events;
    this.#types = options.types === undefined ? undefined : new Set(options.types);
    this.#logger = logger ?? createLogger({ name: 'aiqum-jobs-subscriber' });
    this.#reader = blockingReadConnection(redis, options.blockMs);
    this.#reader.on('error', (error: unknown) =>
      this.#logger.debug({ err: error }, 'subscriber Redis connection error'),
    );
  }

  [Symbol.asyncIterator](): AsyncIterator<Delivery> {
    return this.#oneByOne(this.#start(false));
  }

  batches(): AsyncIterable<readonly Delivery[]> {
    return { [Symbol.asyncIterator]: () => this.#start(true) };
  }

  #start(perRead: boolean): AsyncGenerator<readonly Delivery[]> {
    if (this.#iterated) throw new Error('a subscription can be iterated once');
    this.#iterated = true;
    this.#perRead = perRead;
    if (this.#state === 'new') this.#state = 'reading';
    return this.#deliveries();
  }

  /** Without `batches()`, every array holds one event. */
  async *#oneByOne(arrays: AsyncGenerator<readonly Delivery[]>): AsyncGenerator<Delivery> {
    for await (const [delivery] of arrays) if (delivery !== undefined) yield delivery;
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#disconnect();
    this.#wake?.();
    if (this.#state === 'new') this.#end();
    // A loop body that calls close() must not wait for itself; otherwise the loop ends promptly.
    if (this.#state === 'reading') await this.#endedPromise;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async *#deliveries(): AsyncGenerator<readonly Delivery[]> {
    try {
      yield* this.#withRetries(() => this.#ownPending());
      yield* this.#withRetries(() => this.#claimedAndNew());
    } finally {
      this.#end();
    }
  }

  /** Runs `deliveries` to its end; a Redis error is logged and the run started again after a pause. */
  async *#withRetries(
    deliveries: () => AsyncGenerator<readonly Delivery[]>,
  ): AsyncGenerator<readonly Delivery[]> {
    while (!this.#closing) {
      try {
        yield* deliveries();
        return;
      } catch (error) {
        if (this.#closing) return;
        // A group deleted under a running subscriber is an operator's decision: never re-create it here.
        if (error instanceof Error && error.message.startsWith('NOGROUP')) throw error;
        this.#logger.warn({ group: this.#options.group, err: error }, 'subscriber Redis error; retrying');
        await this.#sleep(retryDelayMs);
      }
    }
  }

  /** The events this consumer had not acknowledged when it last stopped (a crash, or a body that threw). */
  async *#ownPending(): AsyncGenerator<readonly Delivery[]> {
    await this.#createGroup();
    let cursor = '0-0';
    while (!this.#closing) {
      const entries = await this.#read(cursor);
      if (entries.length === 0) return;
      for (const entry of entries) cursor = entry[0];
      yield* this.#deliver(entries);
    }
  }

  /** Events taken over from consumers that died, and new events, until closed. */
  async *#claimedAndNew(): AsyncGenerator<readonly Delivery[]> {
    const { claimIdleMs, blockMs } = this.#options;
    // Pending events are looked at twice per claimIdleMs, so a dead consumer's wait at most ~1.5× that.
    const claimEveryMs = Math.max(1, Math.floor(claimIdleMs / 2));
    let claimCursor = '0-0';
    let nextClaimAt = 0;
    while (!this.#closing) {
      if (claimCursor !== '0-0' || Date.now() >= nextClaimAt) {
        if (claimCursor === '0-0') nextClaimAt = Date.now() + claimEveryMs;
        const [next, claimed, deleted = []] = autoclaimReplySchema.parse(
          await this.#redis.xautoclaim(
            this.#stream,
            this.#options.group,
            this.#options.consumer,
            claimIdleMs,
            claimCursor,
            'COUNT',
            this.#options.count,
          ),
        );
        claimCursor = next;
        if (deleted.length > 0) {
          this.#logger.warn(
            { group: this.#options.group, streamIds: deleted },
            'pending events were trimmed from the stream before they were handled',
          );
        }
        yield* this.#deliver(claimed);
        if (this.#closing) return;
      }
      const block = Math.max(1, Math.min(blockMs, nextClaimAt - Date.now()));
      yield* this.#deliver(await this.#read('>', block));
    }
  }

  /**
   * Yields the entries that parse and match the filters, each acknowledged once the loop asks for the
   * next; the others are acknowledged first, together, so they never block the group. With `batches()`,
   * yields them as one array, then acknowledges the whole read at once.
   */
  async *#deliver(entries: readonly Entry[]): AsyncGenerator<readonly Delivery[]> {
    const skipped: string[] = [];
    const matching: Delivery[] = [];
    for (const [streamId, fields] of entries) {
      const event = fields === null ? undefined : parseEventEntry(fields);
      if (event === undefined) {
        this.#logger.warn(
          { group: this.#options.group, streamId },
          fields === null
            ? 'a pending event was trimmed from the stream before it was handled'
            : 'acknowledged a stream entry that is not a valid event, without delivering it',
        );
        skipped.push(streamId);
      } else if (this.#matches(event)) {
        matching.push({ streamId, event });
      } else {
        skipped.push(streamId);
      }
    }
    if (this.#perRead) {
      // Closed by the previous body: the matching events stay pending, to be delivered again.
      const handedOut = matching.length > 0 && !this.#closing ? matching : [];
      if (handedOut.length > 0) {
        this.#state = 'delivering';
        yield handedOut;
        this.#state = 'reading';
      }
      await this.#ack([...skipped, ...handedOut.map((delivery) => delivery.streamId)]);
      return;
    }
    await this.#ack(skipped);
    for (const delivery of matching) {
      // Closed by the previous body: the rest stay pending, to be delivered again.
      if (this.#closing) return;
      this.#state = 'delivering';
      yield [delivery];
      this.#state = 'reading';
      await this.#ack([delivery.streamId]);
    }
  }

  async #ack(streamIds: readonly string[]): Promise<void> {
    if (streamIds.length > 0) await this.#redis.xack(this.#stream, this.#options.group, ...streamIds);
  }

  #matches(event: AiqumJobsEvent): boolean {
    if (this.#types !== undefined && !this.#types.has(event.type)) return false;
    return this.#options.batchId === undefined || event.batchId === this.#options.batchId;
  }

  async #createGroup(): Promise<void> {
    try {
      await this.#redis.xgroup(
        'CREATE',
        this.#stream,
        this.#options.group,
        this.#options.startId,
        'MKSTREAM',
      );
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('BUSYGROUP')) throw error;
    }
  }

  /** `XREADGROUP` from `id`: `>` for new events (blocking up to `blockMs`), else this consumer's pending ones. */
  async #read(id: string, blockMs?: number): Promise<Entry[]> {
    const { group, consumer, count } = this.#options;
    const reply =
      blockMs === undefined
        ? await this.#reader.xreadgroup('GROUP', group, consumer, 'COUNT', count, 'STREAMS', this.#stream, id)
        : await this.#reader.xreadgroup(
            'GROUP',
            group,
            consumer,
            'COUNT',
            count,
            'BLOCK',
            blockMs,
            'STREAMS',
            this.#stream,
            id,
          );
    return (readReplySchema.parse(reply) ?? []).flatMap(([, entries]) => entries);
  }

  /** Waits `ms`, or less when closed. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }

  #end(): void {
    this.#state = 'ended';
    this.#disconnect();
    this.#ended();
  }

  /** Once only: a second disconnect of a closed socket leaves ioredis's disconnect timer behind. */
  #disconnect(): void {
    if (this.#disconnected) return;
    this.#disconnected = true;
    this.#reader.disconnect();
  }
}
