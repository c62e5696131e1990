import { waitUntil } from './wait-until.js';

/** The command the readers use; ioredis' Redis and Cluster both have it. */
export interface StreamRange {
  xrange(key: string, start: string, end: string): Promise<Array<[id: string, fields: string[]]>>;
}

/** What an event has that the filters look at. */
export interface StreamEvent {
  type: string;
  batchId?: string | undefined;
}

/**
 * Where and how aiqum-jobs writes its events: core's `createRedisKeys(prefix).events`, `eventStreamField` and
 * `eventSchema` (passed in: core's own tests use this package, so it cannot depend on core).
 */
export interface EventStream<Event extends StreamEvent> {
  key: string;
  field: string;
  schema: { parse(value: unknown): Event };
}

/** The events of these types: of a discriminated union (core's events), its members of these types. */
export type OfType<Event extends StreamEvent, Type extends Event['type']> = Event & { type: Type };

export interface EventFilter<Type extends string> {
  /** Only events of these types. */
  types?: readonly Type[];
  /** Only events of this batch. */
  batchId?: string;
}

/**
 * The events of the stream, oldest first, that pass `filter`. An entry without the event field, or whose
 * event does not parse, fails the test: the writers under test must never write one.
 */
export async function readEvents<Event extends StreamEvent, Type extends Event['type'] = Event['type']>(
  redis: StreamRange,
  stream: EventStream<Event>,
  filter: EventFilter<Type> = {},
): Promise<Array<OfType<Event, Type>>> {
  const entries = await redis.xrange(stream.key, '-', '+');
  return entries
    .map(([id, fields]) => {
      const index = fields.indexOf(stream.field);
      const text = index >= 0 ? fields[index + 1] : undefined;
      if (text === undefined) throw new Error(`stream entry ${id} has no ${stream.field} field`);
      return stream.schema.parse(JSON.parse(text));
    })
    .filter(
      (event): event is OfType<Event, Type> =>
        (filter.types === undefined || filter.types.some((type) => type === event.type)) &&
        (filter.batchId === undefined || event.batchId === filter.batchId),
    );
}

/** Waits until the stream holds at least `count` events that pass the filter; returns them all. */
export async function waitForEvents<Event extends StreamEvent, Type extends Event['type'] = Event['type']>(
  redis: StreamRange,
  stream: EventStream<Event>,
  filter: EventFilter<Type> & { count: number; timeoutMs?: number },
): Promise<Array<OfType<Event, Type>>> {
  const kind = filter.types === undefined ? '' : `${filter.types.join(' or ')} `;
  return waitUntil(
    async () => {
      const events = await readEvents(redis, stream, filter);
      return events.length >= filter.count ? events : undefined;
    },
    {
      ...(filter.timeoutMs === undefined ? {} : { timeoutMs: filter.timeoutMs }),
      what: `${filter.count} ${kind}events`,
    },
  );
}
