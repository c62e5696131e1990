import { Cluster, type Redis } from 'ioredis';

/**
 * Deletes every key that starts with `prefix`, a page at a time (SCAN, never KEYS). On a cluster, SCAN
 * sees one node's keys, so every master is scanned.
 */
export async function deleteKeysWithPrefix(redis: Redis | Cluster, prefix: string): Promise<void> {
  for (const server of await serversOf(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
      cursor = next;
      if (keys.length > 0) await server.unlink(...keys);
    } while (cursor !== '0');
  }
}

async function serversOf(redis: Redis | Cluster): Promise<Redis[]> {
  if (!(redis instanceof Cluster)) return [redis];
  // The cluster knows its masters once it has connected.
  await redis.ping();
  return redis.nodes('master');
}
