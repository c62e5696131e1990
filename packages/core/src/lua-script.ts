import { createHash } from 'node:crypto';
import type { RedisConnection } from '@aiqum-jobs/contracts';

export type ScriptArgument = string | number;

/**
 * A Lua script run by its SHA, loaded on first use and again after a Redis restart (NOSCRIPT). One script
 * call is one round trip and one atomic step.
 */
export class LuaScript {
  readonly sha: string;
  readonly source: string;

  constructor(source: string) {
    this.source = source;
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(
    redis: RedisConnection,
    keys: readonly string[],
    args: readonly ScriptArgument[],
  ): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
