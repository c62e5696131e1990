import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HealthServerOptions {
  host: string;
  port: number;
  /** True when the process can do its work (Redis answers and it is not shutting down). */
  ready: () => Promise<boolean>;
}

/** `/healthz` (the process runs) and `/readyz` (it can work) on a small HTTP port of its own. */
export class HealthServer {
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(options: HealthServerOptions): Promise<HealthServer> {
    const server = createServer((request, response) => {
      const reply = (status: number, body: object) => {
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (request.method !== 'GET') return reply(405, { error: 'method not allowed' });
      if (request.url === '/healthz') return reply(200, { status: 'ok' });
      if (request.url === '/readyz') {
        options.ready().then(
          (ready) => reply(ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' }),
          () => reply(503, { status: 'not ready' }),
        );
        return;
      }
      reply(404, { error: 'not found' });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => resolve());
    });
    return new HealthServer(server);
  }

  get url(): string {
    const address = this.#server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
