interface Entry {
  at: number;
  seq: number;
  id: string;
}

// setTimeout treats longer delays as 1 ms.
const maxTimerDelayMs = 2_147_483_647;

/**
 * Drives job ends (and the start of an abort) with a min-heap of times and ONE timer for the earliest, so 100,000 live jobs
 * cost no timer each. `settle()` may also be called at any time (every request does) so results stay
 * consistent when the timer is late.
 */
export class JobClock {
  readonly #heap: Entry[] = [];
  readonly #now: () => number;
  readonly #onDue: (id: string, at: number) => void;
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #closed = false;

  constructor(now: () => number, onDue: (id: string, at: number) => void) {
    this.#now = now;
    this.#onDue = onDue;
  }

  get size(): number {
    return this.#heap.length;
  }

  schedule(id: string, at: number): void {
    this.#push({ at, seq: this.#seq++, id });
    this.#arm();
  }

  /** Fires every entry whose time has come, earliest first (ties in scheduling order). */
  settle(): void {
    const now = this.#now();
    for (let top = this.#heap[0]; top !== undefined && top.at <= now; top = this.#heap[0]) {
      this.#pop();
      this.#onDue(top.id, top.at);
    }
    this.#arm();
  }

  close(): void {
    this.#closed = true;
    this.#disarm();
  }

  #arm(): void {
    const top = this.#heap[0];
    if (this.#closed || top === undefined) {
      this.#disarm();
      return;
    }
    if (this.#timer !== undefined && this.#timerAt <= top.at) return;
    this.#disarm();
    this.#timerAt = top.at;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerAt = Number.POSITIVE_INFINITY;
        this.settle();
      },
      Math.min(Math.max(top.at - this.#now(), 0), maxTimerDelayMs),
    );
    // The HTTP server keeps the process alive; the clock must not.
    this.#timer.unref();
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  #less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  #push(entry: Entry): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent];
      if (p === undefined || !this.#less(entry, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = entry;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = last;
      let next = -1;
      const l = heap[left];
      if (l !== undefined && this.#less(l, smallest)) {
        smallest = l;
        next = left;
      }
      const r = heap[right];
      if (r !== undefined && this.#less(r, smallest)) {
        smallest = r;
        next = right;
      }
      if (next < 0) break;
      heap[i] = smallest;
      i = next;
    }
    heap[i] = last;
  }
}
