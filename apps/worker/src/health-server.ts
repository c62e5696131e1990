import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '@aiqum-jobs/contracts';
import { BearerTokens, type Secret } from '@aiqum-jobs/core';
import type { Registry } from 'prom-client';

export interface HealthServerOptions {
  host: string;
  port: number;
  /** True when the process can do its work (Redis answers and it is not shutting down). */
  ready: () => Promise<boolean>;
  /** Served at `/metrics`. */
  metrics: Registry;
  /** When set, `/metrics` asks for `Authorization: Bearer <token>`. @defaultValue open, like `/healthz` */
  metricsToken?: Secret | undefined;
}

/**
 * `/healthz` (the process runs), `/readyz` (it can work) and `/metrics` (Prometheus) on a small HTTP port
 * of its own.
 */
export class HealthServer {
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(options: HealthServerOptions): Promise<HealthServer> {
    const metricsTokens = new BearerTokens(options.metricsToken ? [options.metricsToken] : []);
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
      if (request.url === '/metrics') {
        if (!metricsTokens.empty && !metricsTokens.accepts(request.headers.authorization)) {
          response.setHeader('www-authenticate', 'Bearer');
          return reply(401, { error: 'a valid bearer token is required' });
        }
        options.metrics.metrics().then(
          (text) => response.writeHead(200, { 'content-type': options.metrics.contentType }).end(text),
          () => reply(500, { error: 'metrics could not be collected' }),
        );
        return;
      }
      reply(404, { error: 'not found' });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EADDRINUSE') return reject(error);
        reject(
          new ConfigError([
            `WORKER_HEALTH_PORT: ${options.host}:${options.port} is taken (another worker on this host?); ` +
              'set WORKER_HEALTH_PORT to a free port, or 0 for one the system picks (logged at start)',
          ]),
        );
      });
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
