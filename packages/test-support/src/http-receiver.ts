import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  /** Path and query. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The raw body. */
  body: string;
  /** When it arrived (`Date.now()`), to measure the waits between a caller's requests. */
  receivedAt: number;
}

export interface ReceiverAnswer {
  /** @defaultValue 204 */
  status?: number;
  headers?: Record<string, string>;
  /** How long to hold the request before answering, in milliseconds. @defaultValue 0 */
  delayMs?: number;
}

/** Chooses the answer to the `index`-th request (from 0). */
export type Respond = (request: ReceivedRequest, index: number) => ReceiverAnswer;

export interface HttpReceiver {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Every request received, in arrival order. */
  readonly requests: ReceivedRequest[];
  /** The most requests it was ever answering at once. */
  readonly maxConcurrent: number;
  /** Changes how the following requests are answered. */
  respondWith(respond: Respond): void;
  close(): Promise<void>;
}

/**
 * A real HTTP server on a free loopback port that records what it receives, for tests of code that calls
 * out (webhooks): it answers as `respond` says and counts the requests it holds at once.
 */
export async function startHttpReceiver(respond: Respond = () => ({})): Promise<HttpReceiver> {
  let answer = respond;
  const requests: ReceivedRequest[] = [];
  let inFlight = 0;
  let maxConcurrent = 0;
  const server = createServer((request, response) => {
    const receivedAt = Date.now();
    inFlight += 1;
    maxConcurrent = Math.max(maxConcurrent, inFlight);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const received: ReceivedRequest = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt,
      };
      const { status = 204, headers = {}, delayMs = 0 } = answer(received, requests.length);
      requests.push(received);
      setTimeout(() => {
        inFlight -= 1;
        response.writeHead(status, headers).end();
      }, delayMs);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    get maxConcurrent() {
      return maxConcurrent;
    },
    respondWith(next) {
      answer = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
