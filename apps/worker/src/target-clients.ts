import { AiqumClient } from '@aiqum-jobs/aiqum-client';
import type { Logger, TargetConfig } from '@aiqum-jobs/core';
import type { Dispatcher } from 'undici';

/** A configured AIQUM server and the client that talks to it. */
export interface Target {
  readonly config: TargetConfig;
  readonly client: AiqumClient;
}

export interface TargetClientsOptions {
  targets: ReadonlyMap<string, TargetConfig>;
  logger: Logger;
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
      ...(config.longPoll ? { longPoll: config.longPoll } : {}),
    });
    targets.set(config.name, { config, client });
  }
  return targets;
}

export async function closeTargetClients(targets: ReadonlyMap<string, Target>): Promise<void> {
  await Promise.all([...targets.values()].map((target) => target.client.close()));
}
