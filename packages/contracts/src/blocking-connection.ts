import { duplicateRedis, type RedisConnection } from './redis-connection.js';

export interface BlockingReadOptions {
  /**
   * While Redis is away, reads wait for the reconnect (a subscriber that must not stop), or fail at once (an
   * HTTP event stream, which tells its client and lets it reconnect).
   * @defaultValue true
   */
  waitForReconnect?: boolean;
}

/**
 * A connection like `redis` for blocking reads (`XREAD BLOCK`, `XREADGROUP BLOCK`), which hold a connection
 * while they wait: connected on first use, with a command timeout longer than a blocked read. Every blocking
 * reader of the system gets its connection here.
 */
export function blockingReadConnection(
  redis: RedisConnection,
  blockMs: number,
  options: BlockingReadOptions = {},
): RedisConnection {
  const connection = duplicateRedis(redis, {
    lazyConnect: true,
    ...((options.waitForReconnect ?? true)
      ? { enableOfflineQueue: true, maxRetriesPerRequest: null }
      : { enableOfflineQueue: false }),
    commandTimeout: blockMs + 10_000,
    // Its socket is closed when the reader stops anyway; a short grace keeps ioredis's timer from delaying exit.
    disconnectTimeout: 100,
  });
  // Errors surface as the read's rejection; the reader's owner reports them.
  connection.on('error', () => {});
  return connection;
}
