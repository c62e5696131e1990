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

export interface SseStreamOptions {
  /** Interval of the comment lines that keep proxies from closing an idle stream. @defaultValue 15000 */
  heartbeatMs?: number;
  /** Ends the stream, e.g. when the server shuts down. */
  signal: AbortSignal;
}

/**
 * Writes messages to a response as `text/event-stream` until the source ends, the signal aborts or the
 * client goes away. Respects back-pressure, so a slow client slows its own reads, not the server.
 */
export async function writeSseStream(
  response: ServerResponse,
  source: AsyncIterable<SseMessage>,
  options: SseStreamOptions,
): Promise<void> {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  // An immediate first write sends the headers, so a client knows the stream is open.
  response.write(': connected\nretry: 2000\n\n');
  const heartbeat = setInterval(() => response.write(': heartbeat\n\n'), options.heartbeatMs ?? 15_000);
  try {
    for await (const message of source) {
      if (!response.write(formatSseMessage(message))) {
        await once(response, 'drain', { signal: options.signal });
      }
    }
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
