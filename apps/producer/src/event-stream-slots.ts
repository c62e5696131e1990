export interface EventStreamSlotsOptions {
  /** Streams open at once in this process. */
  max: number;
  /** Streams open at once for one caller (token, dashboard session or, without either, address). */
  maxPerCaller: number;
}

/** Why a stream could not open. */
export type SlotRefusal = 'process' | 'caller';

/**
 * The open event streams of this process, counted in all and per caller, so that no caller (a leaked
 * dashboard cookie, a client that reconnects in a loop) can hold every stream, or memory, of a producer.
 */
export class EventStreamSlots {
  readonly #options: EventStreamSlotsOptions;
  readonly #byCaller = new Map<string, number>();
  #open = 0;

  constructor(options: EventStreamSlotsOptions) {
    this.#options = options;
  }

  /** A slot for `caller`, with its release (idempotent); or why there is none. */
  take(caller: string): { release: () => void } | { refused: SlotRefusal } {
    const callerOpen = this.#byCaller.get(caller) ?? 0;
    if (this.#open >= this.#options.max) return { refused: 'process' };
    if (callerOpen >= this.#options.maxPerCaller) return { refused: 'caller' };
    this.#open += 1;
    this.#byCaller.set(caller, callerOpen + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#open -= 1;
      const left = (this.#byCaller.get(caller) ?? 1) - 1;
      if (left === 0) this.#byCaller.delete(caller);
      else this.#byCaller.set(caller, left);
    };
    return { release };
  }
}
