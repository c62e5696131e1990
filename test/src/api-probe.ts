import type { AiqumJobsEvent, RequestInput } from '@aiqum-jobs/contracts';
import { Redis } from 'ioredis';
import { z } from 'zod';

/** One POST of the probe and how the producer API answered it. */
export interface ProbeAnswer {
  /** The tag in the metadata of the POST's requests (and batch). */
  tag: string;
  /** Requests the POST carried: 1 for `POST /v1/requests`, more for `POST /v1/batches`. */
  size: number;
  firedAt: number;
  answeredAt: number;
  /** HTTP status; 0 when no answer came within the probe's timeout (a hang). */
  status: number;
  /** Request ids of a 202. */
  requestIds: string[];
}

/** What Redis holds, after recovery, of the probe's POSTs. */
export interface ProbeAudit {
  accepted: number;
  refused: number;
  /** POSTs answered neither 202 nor 503 (0 means no answer at all). */
  otherStatuses: number[];
  /** Accepted requests without exactly one `request.completed` event. */
  acceptedNotCompletedOnce: number;
  /** Records, queue jobs and events that carry the tag of a POST that was not answered 202. */
  leftBehind: { requests: number; batches: number; queueJobs: number; events: number };
}

const acceptedSchema = z.union([
  z.object({ requestId: z.string() }).transform((answer) => [answer.requestId]),
  z.object({ requestIds: z.array(z.string()) }).transform((answer) => answer.requestIds),
]);
const batchMetadataSchema = z.object({ probe: z.string().optional() });
/** A request spec (record or queue job payload) as far as the probe's tag goes. */
const specSchema = z.object({ metadata: batchMetadataSchema.optional() });

/**
 * Submits tagged requests to a producer HTTP API while a fault is injected, records every answer, and
 * afterwards checks the promise the API makes: a 202 means stored and (eventually) completed once, any
 * other answer leaves nothing behind in Redis.
 */
export class ApiProbe {
  readonly answers: ProbeAnswer[] = [];
  readonly #apiUrl: string;
  readonly #request: (name: string) => RequestInput;
  readonly #timeoutMs: number;
  /** Each POST without an answer yet, and when it was fired. */
  readonly #inFlight = new Map<Promise<void>, number>();
  #fired = 0;

  /** `request` builds one request whose unique `name` it must use so that AIQUM sees distinct calls. */
  constructor(options: { apiUrl: string; request: (name: string) => RequestInput; timeoutMs?: number }) {
    this.#apiUrl = options.apiUrl;
    this.#request = options.request;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Fires one POST without waiting for its answer; every third one is a batch of three. */
  fire(): void {
    const index = this.#fired;
    this.#fired += 1;
    const tag = `probe-${index}`;
    const size = index % 3 === 2 ? 3 : 1;
    const requests = Array.from({ length: size }, (_, item) => ({
      ...this.#request(`probe_${index}_${item}`),
      metadata: { probe: tag },
    }));
    const firedAt = Date.now();
    const pending = this.#post(tag, size, requests, firedAt).finally(() => this.#inFlight.delete(pending));
    this.#inFlight.set(pending, firedAt);
  }

  /** Fires a POST every `intervalMs` until `signal` aborts. */
  async fireEvery(intervalMs: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      this.fire();
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  /** Every answer, once all POSTs fired so far have one. */
  async settled(): Promise<ProbeAnswer[]> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight.keys());
    return this.answers;
  }

  /** Resolves once every POST fired before `at` has an answer. */
  async answeredFiredBefore(at: number): Promise<void> {
    await Promise.all([...this.#inFlight].filter(([, firedAt]) => firedAt < at).map(([pending]) => pending));
  }

  get acceptedRequestIds(): string[] {
    return this.answers.flatMap((answer) => answer.requestIds);
  }

  /** Reads Redis (request and batch records, queue jobs, the event stream) for every probe tag. */
  async audit(redisUrl: string, prefix: string, events: readonly AiqumJobsEvent[]): Promise<ProbeAudit> {
    const notAccepted = new Set(this.answers.filter((answer) => answer.status !== 202).map((a) => a.tag));
    const completions = new Map<string, number>();
    let leftEvents = 0;
    for (const event of events) {
      if (event.type === 'request.completed') {
        completions.set(event.requestId, (completions.get(event.requestId) ?? 0) + 1);
      }
      const tag = 'metadata' in event ? event.metadata?.probe : undefined;
      if (typeof tag === 'string' && notAccepted.has(tag)) leftEvents += 1;
    }
    const redis = new Redis(redisUrl);
    try {
      const uuid = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
      const keyPattern = (kind: string) => new RegExp(`^${prefix.replace(/[{}]/g, '\\$&')}:${kind}:${uuid}$`);
      /** Tags of the not-accepted POSTs found in hashes `<prefix>:<kind>:<uuid>`, field `field`. */
      const leftIn = async (kind: string, field: string, tagOf: (value: unknown) => unknown) => {
        let found = 0;
        const shape = keyPattern(kind);
        const scan = redis.scanStream({ match: `${prefix}:${kind}:*`, count: 1_000 });
        for await (const keys of scan as AsyncIterable<string[]>) {
          for (const key of keys.filter((candidate) => shape.test(candidate))) {
            const tag = tagOf(JSON.parse((await redis.hget(key, field)) ?? '{}'));
            if (typeof tag === 'string' && notAccepted.has(tag)) found += 1;
          }
        }
        return found;
      };
      const specTag = (value: unknown) => specSchema.safeParse(value).data?.metadata?.probe;
      const [requests, batches, queueJobs] = await Promise.all([
        leftIn('request', 'spec', specTag),
        leftIn('batch', 'metadata', (value) => batchMetadataSchema.safeParse(value).data?.probe),
        leftIn('requests', 'data', specTag),
      ]);
      return {
        accepted: this.answers.filter((answer) => answer.status === 202).length,
        refused: this.answers.filter((answer) => answer.status === 503).length,
        otherStatuses: this.answers
          .map((answer) => answer.status)
          .filter((status) => status !== 202 && status !== 503),
        acceptedNotCompletedOnce: this.acceptedRequestIds.filter((id) => completions.get(id) !== 1).length,
        leftBehind: { requests, batches, queueJobs, events: leftEvents },
      };
    } finally {
      redis.disconnect();
    }
  }

  async #post(tag: string, size: number, requests: RequestInput[], firedAt: number): Promise<void> {
    const batch = size > 1;
    let status = 0;
    let requestIds: string[] = [];
    try {
      const response = await fetch(`${this.#apiUrl}/v1/${batch ? 'batches' : 'requests'}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(batch ? { requests, metadata: { probe: tag } } : requests[0]),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      status = response.status;
      const body: unknown = await response.json();
      if (status === 202) requestIds = acceptedSchema.parse(body);
    } catch {
      // No answer within the timeout, or a broken connection: recorded as status 0.
    }
    this.answers.push({ tag, size, firedAt, answeredAt: Date.now(), status, requestIds });
  }
}
