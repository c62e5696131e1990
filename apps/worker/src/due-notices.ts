import { duplicateRedis, type Logger, type RedisConnection } from '@aiqum-jobs/contracts';

/** What a notice wakes: the poller of one target. */
export interface Nudgeable {
  nudge(): void;
}

/**
 * The worker's one subscription to the deployment's due channel: each message names a target whose due set
 * got a poll due sooner than any it held, and wakes that target's poller. Pub/sub delivers at most once:
 * after a reconnect (messages may have been missed meanwhile) every poller is woken.
 */
export class DueNotices {
  readonly #subscriber: RedisConnection;

  private constructor(subscriber: RedisConnection) {
    this.#subscriber = subscriber;
  }

  static async start(options: {
    redis: RedisConnection;
    channel: string;
    pollers: ReadonlyMap<string, Nudgeable>;
    logger: Logger;
  }): Promise<DueNotices> {
    const { channel, pollers, logger } = options;
    const subscriber = duplicateRedis(options.redis, { connectionName: 'aiqum-worker-due-notices' });
    // The worker's own connection reports Redis errors.
    subscriber.on('error', () => {});
    subscriber.on('message', (from: string, target: string) => {
      if (from === channel) pollers.get(target)?.nudge();
    });
    // ioredis subscribes again by itself on reconnect; the first connect's 'ready' comes before `subscribed`.
    let subscribed = false;
    subscriber.on('ready', () => {
      if (!subscribed) return;
      logger.info('due notices reconnected; waking every poller');
      for (const poller of pollers.values()) poller.nudge();
    });
    await subscriber.subscribe(channel);
    subscribed = true;
    return new DueNotices(subscriber);
  }

  close(): void {
    this.#subscriber.disconnect();
  }
}
