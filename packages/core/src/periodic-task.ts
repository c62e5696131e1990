import { randomUUID } from 'node:crypto';
import type { RedisConnection } from '@aiqum-jobs/contracts';

export interface PeriodicTaskOptions {
  intervalMs: number;
  /** One run; the next starts `intervalMs` after it ends. */
  run: () => Promise<unknown>;
  /** A failed run is reported here and tried again at the next interval. */
  onError: (error: unknown) => void;
}

/** Work a process does now, then every interval, until `stop()` (trimming, checks for orphaned targets). */
export class PeriodicTask {
  readonly #options: PeriodicTaskOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = false;

  constructor(options: PeriodicTaskOptions) {
    this.#options = options;
  }

  start(): void {
    if (this.#timer !== undefined || this.#running !== undefined || this.#stopped) return;
    const tick = () => {
      this.#running = this.#options
        .run()
        .catch(this.#options.onError)
        .finally(() => {
          this.#running = undefined;
          if (!this.#stopped) this.#timer = setTimeout(tick, this.#options.intervalMs);
        });
    };
    tick();
  }

  /** Stops and waits for a run in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }
}

/**
 * A short lock (half an interval) on work that every process of a deployment runs periodically, so that one
 * of them does it per interval; true when this process took it.
 */
export class IntervalLock {
  readonly #redis: RedisConnection;
  readonly #key: string;
  readonly #lockMs: number;
  readonly #token = randomUUID();

  constructor(redis: RedisConnection, key: string, intervalMs: number) {
    this.#redis = redis;
    this.#key = key;
    this.#lockMs = Math.max(1, Math.floor(intervalMs / 2));
  }

  async take(): Promise<boolean> {
    return (await this.#redis.set(this.#key, this.#token, 'PX', this.#lockMs, 'NX')) === 'OK';
  }
}
