import type { FastifyRequest } from 'fastify';
import type { ApiRoute, RouteHandler } from './api-route.js';
import { eventStreamMessageSchema, eventsHeadersSchema, eventsQuerySchema } from './api-schemas.js';
import { errorAnswer } from './error-answer.js';
import type { Producer } from './producer.js';
import { producerErrorCodes as codes } from './producer-error.js';
import { parse, targetAccessOf } from './route-input.js';
import { type SseMessage, writeSseStream } from './sse.js';

const streamEvents: RouteHandler = async (request, reply, context) => {
  const query = parse(eventsQuerySchema, request.query);
  const lastEventId = request.headers['last-event-id'];
  // A reconnecting EventSource sends the original URL plus Last-Event-ID: the header is the newer cursor.
  const after =
    typeof lastEventId === 'string' && lastEventId !== ''
      ? parse(eventsHeadersSchema.shape['Last-Event-ID'], lastEventId, 'Last-Event-ID')
      : query.after;
  const controller = new AbortController();
  const events = context.producer.events({
    signal: controller.signal,
    follow: query.follow,
    ...targetAccessOf(request),
    ...(query.batchId === undefined ? {} : { batchId: query.batchId }),
    ...(query.types === undefined ? {} : { types: query.types }),
    ...(after === undefined ? {} : { after }),
  });
  context.streams.add(controller);
  reply.raw.on('close', () => controller.abort());
  reply.hijack();
  try {
    await writeSseStream(reply.raw, toSseMessages(events, request.log), {
      signal: controller.signal,
      ...(context.heartbeatMs === undefined ? {} : { heartbeatMs: context.heartbeatMs }),
    });
  } finally {
    context.streams.delete(controller);
    controller.abort();
    context.countAnswer(request, reply);
  }
};

async function* toSseMessages(
  events: ReturnType<Producer['events']>,
  log: FastifyRequest['log'],
): AsyncGenerator<SseMessage> {
  try {
    for await (const { streamId, event } of events) {
      yield { id: streamId, event: event.type, data: JSON.stringify(event) };
    }
  } catch (error) {
    // Headers are sent: the error travels as an event, and the client reconnects with Last-Event-ID.
    const answer = errorAnswer(error);
    log.warn({ err: error }, 'event stream ended by an error');
    yield { event: 'error', data: JSON.stringify(answer.body) };
  }
}

/** The event stream, as server-sent events. */
export const eventRoutes: readonly ApiRoute[] = [
  {
    method: 'GET',
    url: '/v1/events',
    operationId: 'streamEvents',
    summary: 'Follow events as server-sent events',
    description:
      'Each message has `id:` (its stream entry id), `event:` (its type) and one `data:` line of JSON: an ' +
      '`Event`. A failure after the stream opened ends it with an `error` message whose data is an error ' +
      'body; reconnect with `Last-Event-ID`. Comment lines keep the stream alive (every 15 s). With ' +
      '`follow=false` the stream ends after the events retained when it opened. A token limited to targets ' +
      'gets the request events of its targets only (and every `batch.completed`).',
    tag: 'events',
    access: 'read',
    query: eventsQuerySchema,
    headers: eventsHeadersSchema,
    responses: {
      200: {
        description: 'The event stream; the schema is that of one message, with `data` parsed.',
        mediaType: 'text/event-stream',
        body: eventStreamMessageSchema,
      },
    },
    errors: [codes.validationFailed],
    handler: streamEvents,
  },
];
