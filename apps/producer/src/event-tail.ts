import { blockingReadConnection, type RedisConnection } from '@aiqum-jobs/contracts';

/** One raw entry of the events stream: its id and its fields. */
export type StreamEntry = [streamId: string, fields: string[]];

/** Entries one XREAD of the tail asks for. */
const tailReadCount = 500;

export interface EventTailOptions {
  /** The producer's command connection: the tail duplicates it for its blocking reads. */
  redis: RedisConnection;
  /** Key of the events stream. */
  streamKey: string;
  /** Longest single XREAD BLOCK, in milliseconds. */
  blockMs: number;
  /** Entries a follower may have waiting; past that it drops them and reads them again itself. */
  followerBufferSize: number;
}

/** What a follower has been given since it last asked. */
export interface TailDelivery {
  /** Entries the tail read, oldest first, each newer than those of the previous delivery. */
  entries: StreamEntry[];
  /**
   * True when entries were dropped because the follower fell behind: it reads them again from its own
   * position (XRANGE), as a reconnecting client would, and the tail never waits for it.
   */
  overflowed: boolean;
}

/**
 * One reader of the tail, with a bounded buffer of its own. The tail never waits for a follower: a slow one
 * overflows and catches up by itself, so it cannot hold up the others.
 */
export class TailFollower {
  readonly #bufferSize: number;
  #buffer: StreamEntry[] = [];
  #overflowed = false;
  #failure: { error: unknown } | undefined;
  #wake: (() => void) | undefined;

  constructor(bufferSize: number) {
    this.#bufferSize = bufferSize;
  }

  /** Called by the tail with each read's entries. */
  deliver(entries: readonly StreamEntry[]): void {
    if (this.#buffer.length + entries.length > this.#bufferSize) {
      this.#buffer = [];
      this.#overflowed = true;
    } else {
      this.#buffer.push(...entries);
    }
    this.#notify();
  }

  /** Called by the tail when its read failed: the follower's next {@link take} throws the error. */
  fail(error: unknown): void {
    this.#failure = { error };
    this.#notify();
  }

  /** Waits until there is something (or the signal aborts, giving nothing) and takes all of it. */
  async take(signal: AbortSignal): Promise<TailDelivery> {
    while (this.#failure === undefined && !this.#overflowed && this.#buffer.length === 0 && !signal.aborted) {
      let onAbort = () => {};
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        onAbort = resolve;
        signal.addEventListener('abort', onAbort, { once: true });
      });
      signal.removeEventListener('abort', onAbort);
      this.#wake = undefined;
    }
    if (this.#failure !== undefined) throw this.#failure.error;
    const delivery = { entries: this.#buffer, overflowed: this.#overflowed };
    this.#buffer = [];
    this.#overflowed = false;
    return delivery;
  }

  #notify(): void {
    this.#wake?.();
  }
}

/**
 * One blocking XREAD on the events stream, on one connection, shared by every follower of this process:
 * event streams cost Redis one connection per producer, not one per client. It starts with the first
 * follower and stops (closing its connection) when the last one leaves.
 *
 * Gap-free joining: a follower registers first and only then learns where the tail is (`follow` resolves
 * after the tail's start position is known). From then on it is given every entry after that position,
 * so a follower that reads the stream itself (XRANGE) from its own position up to the end, after `follow`
 * resolved, misses nothing; the entries it sees twice it recognises by their ids.
 */
export class EventTail {
  readonly #options: EventTailOptions;
  #run: TailRun | undefined;

  constructor(options: EventTailOptions) {
    this.#options = options;
  }

  /** A new follower, once the tail runs; throws when the tail cannot start (Redis unreachable). */
  async follow(): Promise<TailFollower> {
    const follower = new TailFollower(this.#options.followerBufferSize);
    const run = this.#run ?? this.#start();
    run.followers.add(follower);
    try {
      await run.started;
    } catch (error) {
      this.unfollow(follower);
      throw error;
    }
    return follower;
  }

  /** Ends a follower; the last one stops the tail. */
  unfollow(follower: TailFollower): void {
    const run = this.#run;
    if (run === undefined || !run.followers.delete(follower)) return;
    if (run.followers.size === 0) this.#stop(run);
  }

  /** Stops the tail whoever follows it. */
  close(): void {
    if (this.#run !== undefined) this.#stop(this.#run);
  }

  #start(): TailRun {
    const run = new TailRun(this.#options, (failed) => {
      if (this.#run === failed) this.#run = undefined;
    });
    this.#run = run;
    return run;
  }

  #stop(run: TailRun): void {
    if (this.#run === run) this.#run = undefined;
    run.stop();
  }
}

/** One life of the tail: its connection, its position and its followers, from start to stop or failure. */
class TailRun {
  readonly followers = new Set<TailFollower>();
  readonly started: Promise<void>;
  readonly #options: EventTailOptions;
  readonly #connection: RedisConnection;
  readonly #ended: (run: TailRun) => void;
  #stopped = false;
  #cursor = '0-0';

  constructor(options: EventTailOptions, ended: (run: TailRun) => void) {
    this.#options = options;
    this.#ended = ended;
    // A failed read reaches the followers (their streams end with an error; clients resume from their last id).
    this.#connection = blockingReadConnection(options.redis, options.blockMs, { waitForReconnect: false });
    this.started = this.#begin();
    // A start that fails is reported by `follow`; the loop is not started then.
    this.started.then(
      () => this.#loop(),
      () => this.#end(),
    );
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    // Once only: a second disconnect of a closed socket leaves ioredis's 2 s disconnect timer behind.
    this.#connection.disconnect();
  }

  async #begin(): Promise<void> {
    await this.#connection.connect();
    const [last] = await this.#connection.xrevrange(this.#options.streamKey, '+', '-', 'COUNT', 1);
    this.#cursor = last?.[0] ?? '0-0';
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      try {
        const reply = await this.#connection.xread(
          'COUNT',
          tailReadCount,
          'BLOCK',
          this.#options.blockMs,
          'STREAMS',
          this.#options.streamKey,
          this.#cursor,
        );
        const entries = reply?.[0]?.[1] ?? [];
        const last = entries.at(-1);
        if (last === undefined) continue;
        // The cursor moves with the delivery, in one synchronous step: see EventTail on joining.
        this.#cursor = last[0];
        for (const follower of this.followers) follower.deliver(entries);
      } catch (error) {
        if (!this.#stopped) for (const follower of this.followers) follower.fail(error);
        break;
      }
    }
    this.#end();
  }

  #end(): void {
    this.stop();
    this.#ended(this);
  }
}
