import { once } from 'node:events';
import type { ServerResponse } from 'node:http';

/** One server-sent event as it travels: `id:`, `event:` and one JSON `data:` line. */
export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

export function formatSseMessage(message: SseMessage): string {
  let text = '';
  if (message.id !== undefined) text += `id: ${message.id}\n`;
  if (message.event !== undefined) text += `event: ${message.event}\n`;
  for (const line of message.data.split('\n')) text += `data: ${line}\n`;
  return `${text}\n`;
}

/** A client that leaves the stream unread this many heartbeat intervals is disconnected. */
const unreadHeartbeatsAllowed = 4;

export interface SseStreamOptions {
  /**
   * Interval of the comment lines that keep proxies from closing an idle stream. A client that reads
   * nothing for 4 intervals is disconnected: it resumes with Last-Event-ID. @defaultValue 15000
   */
  heartbeatMs?: number;
  /** Ends the stream, e.g. when the server shuts down. */
  signal: AbortSignal;
}

/** How a stream ended: `unread` when the client was disconnected for reading nothing. */
export type SseStreamEnd = 'ended' | 'unread';

/**
 * Writes messages to a response as `text/event-stream` until the source ends, the signal aborts or the
 * client goes away. Respects back-pressure, so a slow client slows its own reads, not the server; one that
 * stops reading is disconnected rather than left holding its socket and its stream slot.
 */
export async function writeSseStream(
  response: ServerResponse,
  source: AsyncIterable<SseMessage>,
  options: SseStreamOptions,
): Promise<SseStreamEnd> {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  // An immediate first write sends the headers, so a client knows the stream is open.
  response.write(': connected\nretry: 2000\n\n');
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const heartbeat = setInterval(() => response.write(': heartbeat\n\n'), heartbeatMs);
  try {
    for await (const message of source) {
      if (!response.write(formatSseMessage(message))) {
        const unread = AbortSignal.timeout(heartbeatMs * unreadHeartbeatsAllowed);
        try {
          await once(response, 'drain', { signal: AbortSignal.any([options.signal, unread]) });
        } catch (error) {
          if (!unread.aborted || options.signal.aborted) throw error;
          response.destroy();
          return 'unread';
        }
      }
    }
    return 'ended';
  } finally {
    clearInterval(heartbeat);
    response.end();
  }
}

/** Reads server-sent events from a response body; comments and `retry:` lines are skipped. */
export async function* readSseStream(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = '';
  let message: { id?: string; event?: string; data: string[] } = { data: [] };
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf('\n');
      if (line === '') {
        if (message.data.length > 0) {
          yield {
            data: message.data.join('\n'),
            ...(message.id === undefined ? {} : { id: message.id }),
            ...(message.event === undefined ? {} : { event: message.event }),
          };
        }
        message = { data: [] };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') message.data.push(value);
      else if (field === 'id') message.id = value;
      else if (field === 'event') message.event = value;
    }
  }
}
