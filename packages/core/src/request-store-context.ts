import type { RedisConnection, RedisKeys } from '@aiqum-jobs/contracts';
import type { RedisClock } from './redis-clock.js';
import type { ScriptBatcher } from './script-batcher.js';

/**
 * What the roles of one `RequestStore` share: the connection, the keys, Redis's clock, and one script batcher,
 * so that calls of every role made together still leave together in one command.
 */
export interface RequestStoreContext {
  readonly redis: RedisConnection;
  readonly keys: RedisKeys;
  readonly scripts: ScriptBatcher;
  readonly clock: RedisClock;
  /** This process's clock: a producer's createdAt, and what `clock` carries Redis's time forward by. */
  readonly now: () => number;
  /** How long finished requests and batches are kept, in seconds. */
  readonly retentionSeconds: number;
}
