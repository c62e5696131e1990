import { eventStreamField } from '@aiqum-jobs/contracts';
import { Redis } from 'ioredis';
import { z } from 'zod';

/** Only what the bench reads of an event; the full schema would cost the reader more than the bench. */
const eventHeadSchema = z.object({
  type: z.string(),
  requestId: z.string().optional(),
  batchId: z.string().optional(),
  outcome: z.string().optional(),
  polls: z.number().optional(),
});

export interface Completed {
  requestId: string;
  batchId: string | undefined;
  outcome: string;
  polls: number;
  /** Milliseconds part of the stream entry id: when Redis appended the event. */
  streamMs: number;
  /** When this reader saw it. */
  seenMs: number;
}

/**
 * Follows `{prefix}:events` from the moment it starts (XREAD BLOCK on a connection of its own), and keeps
 * every `request.completed`: completion is read from the stream, never by polling records.
 */
export class CompletionStream {
  readonly completed: Completed[] = [];
  readonly #byRequest = new Set<string>();
  readonly #connection: Redis;
  readonly #key: string;
  readonly #waiters = new Set<() => void>();
  #cursor = '$';
  #running = true;
  #failure: unknown;
  readonly #loop: Promise<void>;
  duplicates = 0;
  batchesCompleted = 0;

  private constructor(connection: Redis, key: string, cursor: string) {
    this.#connection = connection;
    this.#key = key;
    this.#cursor = cursor;
    this.#loop = this.#read().catch((error: unknown) => {
      // A read that fails after close() is the disconnect itself.
      if (this.#running) this.#failure = error;
    });
  }

  static async start(url: string, key: string): Promise<CompletionStream> {
    const connection = new Redis(url, { maxRetriesPerRequest: null, connectionName: 'bench-events' });
    const [last] = await connection.xrevrange(key, '+', '-', 'COUNT', 1);
    return new CompletionStream(connection, key, last?.[0] ?? '0-0');
  }

  /** The connection's local port, so that MONITOR can tell this reader's commands apart. */
  get localPort(): number | undefined {
    return this.#connection.stream?.localPort;
  }

  get count(): number {
    return this.completed.length;
  }

  has(requestId: string): boolean {
    return this.#byRequest.has(requestId);
  }

  /** Resolves once `count` requests have completed; rejects after `timeoutMs`. */
  async waitForCount(count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.completed.length < count) {
      if (this.#failure !== undefined) throw this.#failure;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `only ${this.completed.length} of ${count} requests completed within ${timeoutMs} ms`,
        );
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.#waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 1_000));
        this.#waiters.add(wake);
      });
    }
  }

  /** Stops reading; safe to call twice. */
  async close(): Promise<void> {
    this.#running = false;
    this.#connection.disconnect();
    await this.#loop;
  }

  async #read(): Promise<void> {
    while (this.#running) {
      const reply = await this.#connection.xread(
        'COUNT',
        2_000,
        'BLOCK',
        500,
        'STREAMS',
        this.#key,
        this.#cursor,
      );
      const seenMs = Date.now();
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          this.#cursor = id;
          this.#take(id, fields, seenMs);
        }
      }
      for (const wake of [...this.#waiters]) wake();
    }
  }

  #take(id: string, fields: readonly string[], seenMs: number): void {
    const index = fields.indexOf(eventStreamField);
    const event = eventHeadSchema.parse(JSON.parse(fields[index + 1] ?? 'null'));
    if (event.type === 'batch.completed') this.batchesCompleted += 1;
    if (event.type !== 'request.completed' || event.requestId === undefined) return;
    if (this.#byRequest.has(event.requestId)) {
      this.duplicates += 1;
      return;
    }
    this.#byRequest.add(event.requestId);
    this.completed.push({
      requestId: event.requestId,
      batchId: event.batchId,
      outcome: event.outcome ?? 'unknown',
      polls: event.polls ?? 0,
      streamMs: Number(id.slice(0, id.indexOf('-'))),
      seenMs,
    });
  }
}
