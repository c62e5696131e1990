import { AiqumClient } from '@aiqum-jobs/aiqum-client';
import type { Logger } from '@aiqum-jobs/contracts';
import type { TargetCallGate, TargetConfig } from '@aiqum-jobs/core';
import type { Dispatcher } from 'undici';
import { NameResolver } from './name-resolver.js';
import type { WorkerMetrics } from './worker-metrics.js';

/** Added to a call's own time budget in its slot lease or poll claim, so a slow answer never outlives it. */
const leaseMarginMs = 5_000;

/**
 * How long a call slot or claim on this target is held: the client's timeout, plus the wait of a long poll
 * when the call is one, plus a margin. A holder that dies loses it after that.
 */
export function callLeaseMs(config: TargetConfig, longPoll: boolean): number {
  const waitMs = longPoll ? (config.longPoll?.maxWaitSeconds ?? 0) * 1000 : 0;
  return config.timeoutMs + waitMs + leaseMarginMs;
}

/** A configured AIQUM server, the client that talks to it, and the names it has looked up there. */
export interface Target {
  readonly config: TargetConfig;
  readonly client: AiqumClient;
  readonly resolver: NameResolver;
}

export interface TargetClientsOptions {
  targets: ReadonlyMap<string, TargetConfig>;
  logger: Logger;
  /** Call slots for name lookups, under the targets' shared limits. */
  gate: TargetCallGate;
  /** Clock of the name caches. @defaultValue `Date.now` */
  now?: () => number;
  /** Counts each client's HTTP answers by status. */
  aiqumResponses: WorkerMetrics['aiqumResponses'];
  /** Replaces each client's own connection pool; tests inject one. */
  dispatcher?: Dispatcher;
}

/**
 * One client per target, its connection pool sized by the target's concurrency limit. Clients never retry
 * by themselves here: the worker retries through Redis, so a waiting request holds no worker slot.
 */
export function createTargetClients(options: TargetClientsOptions): Map<string, Target> {
  const targets = new Map<string, Target>();
  for (const config of options.targets.values()) {
    const logger = options.logger.child({ target: config.name });
    const client = new AiqumClient({
      baseUrl: config.url,
      username: config.username,
      password: config.password.reveal(),
      ...(options.dispatcher
        ? { dispatcher: options.dispatcher }
        : {
            ...(config.caFile ? { ca: { file: config.caFile } } : {}),
            ...(config.insecureTls ? { insecureSkipTlsVerify: true } : {}),
            connections: config.limits.maxConcurrent,
          }),
      timeoutMs: config.timeoutMs,
      retry: { maxRetries: 0 },
      logger,
      onResponse: ({ status }) => options.aiqumResponses.inc({ target: config.name, status: String(status) }),
      ...(config.longPoll ? { longPoll: config.longPoll } : {}),
    });
    const resolver = new NameResolver({
      client,
      config,
      gate: options.gate,
      logger,
      leaseMs: callLeaseMs(config, false),
      ...(options.now ? { now: options.now } : {}),
    });
    targets.set(config.name, { config, client, resolver });
  }
  return targets;
}

export async function closeTargetClients(targets: ReadonlyMap<string, Target>): Promise<void> {
  await Promise.all([...targets.values()].map((target) => target.client.close()));
}
