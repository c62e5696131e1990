import { Redis } from 'ioredis';
import { freePort, RedisServer } from './redis-server.js';
import { runCommand } from './test-process.js';
import { waitUntil } from './wait-until.js';

export interface RedisClusterOptions {
  /** @defaultValue 3 */
  masters?: number;
}

/**
 * A Redis Cluster of a test's own: masters without replicas on free loopback ports, each a redis-server
 * in its own temp dir without persistence, joined with `redis-cli --cluster create`.
 */
export class RedisCluster {
  readonly servers: readonly RedisServer[];
  /** One URL per master, as `REDIS_CLUSTER_NODES` takes them (comma-separated). */
  readonly urls: readonly string[];

  private constructor(servers: readonly RedisServer[]) {
    this.servers = servers;
    this.urls = servers.map((server) => server.url);
  }

  static async start(options: RedisClusterOptions = {}): Promise<RedisCluster> {
    const servers: RedisServer[] = [];
    try {
      for (let index = 0; index < (options.masters ?? 3); index += 1) {
        servers.push(await RedisServer.start({ clusterBusPort: await freePort() }));
      }
      await redisCli([
        '--cluster',
        'create',
        ...servers.map((server) => `127.0.0.1:${server.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ]);
      await Promise.all(servers.map(waitForClusterOk));
    } catch (error) {
      await Promise.all(servers.map((server) => server.stop()));
      throw error;
    }
    return new RedisCluster(servers);
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.stop()));
  }
}

/** Waits until a node says `cluster_state:ok`: every slot is served and the nodes agree. */
async function waitForClusterOk(server: RedisServer): Promise<void> {
  const redis = new Redis(server.url);
  try {
    await waitUntil(async () => /cluster_state:ok/.test(String(await redis.cluster('INFO'))), {
      timeoutMs: 20_000,
      intervalMs: 100,
      what: `cluster_state:ok on port ${server.port}`,
    });
  } finally {
    redis.disconnect();
  }
}

async function redisCli(args: string[]): Promise<void> {
  const result = await runCommand({ command: 'redis-cli', args });
  if (result.code !== 0) {
    throw new Error(
      `redis-cli ${args.join(' ')} exited with ${result.code}:\n${result.stdout}${result.stderr}`,
    );
  }
}
