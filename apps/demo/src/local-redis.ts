import { RedisServer } from '@aiqum-jobs/test-support';
import { Redis } from 'ioredis';

export interface LocalRedis {
  url: string;
  /** Where it came from, for the demo's output. */
  origin: string;
  stop(): Promise<void>;
}

async function answers(url: string): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1_000,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/** `REDIS_URL` if set, else the local Redis if one answers, else a redis-server of the demo's own. */
export async function localRedis(env: NodeJS.ProcessEnv): Promise<LocalRedis> {
  if (env.REDIS_URL) {
    if (!(await answers(env.REDIS_URL))) throw new Error(`REDIS_URL ${env.REDIS_URL} does not answer`);
    return { url: env.REDIS_URL, origin: 'REDIS_URL', stop: async () => {} };
  }
  const local = 'redis://127.0.0.1:6379';
  if (await answers(local))
    return { url: local, origin: 'the local Redis on 127.0.0.1:6379', stop: async () => {} };
  try {
    const server = await RedisServer.start();
    return {
      url: server.url,
      origin: `a redis-server started for the demo on port ${server.port}`,
      stop: () => server.stop(),
    };
  } catch (error) {
    throw new Error(
      `no Redis: set REDIS_URL, start Redis on 127.0.0.1:6379, or install redis-server (Debian/Ubuntu: apt-get install redis-server). ${error instanceof Error ? error.message : ''}`,
    );
  }
}
