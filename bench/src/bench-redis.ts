import { RedisServer } from '@aiqum-jobs/test-support';
import { Redis } from 'ioredis';
import { redisServerInfo } from './redis-stats.js';

/** Commands slower than this are kept in the SLOWLOG of a Redis of the bench's own. */
const slowlogThresholdUs = 1_000;

export interface BenchRedis extends AsyncDisposable {
  readonly url: string;
  /** True for a redis-server the bench started: only the bench's commands reach it. */
  readonly owned: boolean;
  readonly version: string;
  /** The redis-server process, for its CPU time; undefined when it is not on this machine. */
  readonly pid: number | undefined;
  /** A connection for INFO, MONITOR helpers and SLOWLOG. */
  readonly admin: Redis;
  close(): Promise<void>;
}

/**
 * `REDIS_URL` when set, else a redis-server of the bench's own (no persistence, as a benchmark wants), so
 * that INFO commandstats and MONITOR see the bench's commands only.
 */
export async function startBenchRedis(env: NodeJS.ProcessEnv): Promise<BenchRedis> {
  const external = env.REDIS_URL;
  const server = external ? undefined : await RedisServer.start();
  const url = external ?? server?.url ?? '';
  const admin = new Redis(url, { maxRetriesPerRequest: null, connectionName: 'bench-admin' });
  const info = await redisServerInfo(admin);
  if (server) {
    await admin.config('SET', 'slowlog-log-slower-than', String(slowlogThresholdUs));
    await admin.call('SLOWLOG', 'RESET');
  }
  const close = async () => {
    admin.disconnect();
    await server?.stop();
  };
  return {
    url,
    owned: server !== undefined,
    version: info.version,
    pid: server ? info.pid : undefined,
    admin,
    close,
    [Symbol.asyncDispose]: close,
  };
}
