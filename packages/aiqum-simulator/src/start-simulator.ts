import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Authenticator } from './auth.js';
import { createCertificate } from './certificate.js';
import { RequestHandler } from './request-handler.js';
import { allRoutes } from './resources/all-routes.js';
import { Router } from './router.js';
import type { Scenario, ScenarioInput } from './scenario.js';
import { type SimulatorOptions, type SimulatorUser, simulatorOptionsSchema } from './simulator-options.js';
import { SimulatorState } from './simulator-state.js';
import type { SimulatorStats } from './stats.js';

/** A running simulator. */
export interface Simulator {
  /** Base URL, e.g. `https://127.0.0.1:43211`. */
  readonly url: string;
  /** Path of the PEM CA certificate clients should trust; undefined without TLS. */
  readonly caFile: string | undefined;
  readonly caPem: string | undefined;
  readonly users: readonly SimulatorUser[];
  /** The same object `GET /_sim/stats` returns. */
  stats(): SimulatorStats;
  /** Clears the stats; with `all`, also jobs and inventory (back to the seed). */
  reset(options?: { all?: boolean }): void;
  /** Validates and installs a scenario; throws a zod error when it is invalid. */
  setScenario(scenario: ScenarioInput): Scenario;
  /** Answers pending long polls, ends keep-alive sockets and stops the server. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Starts an AIQUM simulator on a real HTTP(S) server. Options are validated with zod. */
export async function startSimulator(input: SimulatorOptions = {}): Promise<Simulator> {
  const options = simulatorOptionsSchema.parse(input);
  const logger = options.logger ?? pino({ level: 'silent' });
  const state = new SimulatorState(options, logger);
  const handler = new RequestHandler(state, new Router(allRoutes(state)), new Authenticator(options.users));

  const ownsStateDir = options.tls && options.stateDir === undefined;
  let caFile: string | undefined;
  let caPem: string | undefined;
  let server: Server;
  if (options.tls) {
    const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'aiqum-simulator-')));
    await mkdir(stateDir, { recursive: true });
    const certificate = await createCertificate(options.host, options.tlsNames);
    caPem = certificate.caPem;
    caFile = join(stateDir, 'ca.pem');
    await writeFile(caFile, caPem, { mode: 0o644 });
    server = createHttpsServer({ key: certificate.key, cert: certificate.cert }, handler.listener);
  } else {
    server = createHttpServer(handler.listener);
  }
  server.keepAliveTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `${options.tls ? 'https' : 'http'}://${formatHost(options.host)}:${port}`;
  logger.info(
    { url, caFile, dialect: options.dialect, longPoll: options.longPoll, seed: options.seed },
    'aiqum-simulator listening',
  );

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      state.closing.abort();
      await handler.drain();
      state.jobs.close();
      server.closeAllConnections();
      await closed;
      if (ownsStateDir && caFile !== undefined)
        await rm(join(caFile, '..'), { recursive: true, force: true });
      logger.info({ url }, 'aiqum-simulator closed');
    })();
    return closing;
  };

  return {
    url,
    caFile,
    caPem,
    users: options.users,
    stats: () => state.snapshot(),
    reset: (resetOptions = {}) => {
      state.stats.reset();
      if (resetOptions.all) state.resetAll();
    },
    setScenario: (scenario) => state.setScenario(scenario),
    close,
    [Symbol.asyncDispose]: close,
  };
}
