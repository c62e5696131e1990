/**
 * The calls one worker process makes to AIQUM at once (`WORKER_CONCURRENCY`), shared by its submissions
 * and the polls of all its targets. Submissions wait for a permit and are served first when one frees;
 * pollers take what is free without waiting (they claim only as many polls as they got permits for), and
 * are told when permits free.
 */
export class CallBudget {
  #available: number;
  readonly #waiters: Array<() => void> = [];
  readonly #listeners = new Set<() => void>();

  constructor(size: number) {
    this.#available = size;
  }

  /** Permits free now. */
  get available(): number {
    return this.#available;
  }

  /** Takes up to `max` permits without waiting; returns how many it took. */
  tryAcquire(max: number): number {
    const taken = Math.max(0, Math.min(max, this.#available));
    this.#available -= taken;
    return taken;
  }

  /** Waits for one permit. */
  acquire(): Promise<void> {
    if (this.#available > 0) {
      this.#available -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Gives `count` permits back: to waiting submissions first, then to whoever listens. */
  release(count = 1): void {
    for (let index = 0; index < count; index += 1) {
      const waiter = this.#waiters.shift();
      if (waiter) waiter();
      else this.#available += 1;
    }
    if (this.#available > 0) for (const listener of this.#listeners) listener();
  }

  /** Calls `listener` whenever permits become free; returns the function that stops it. */
  onFree(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
