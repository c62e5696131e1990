import { z } from 'zod';

/**
 * Where Redis is: one server (`REDIS_URL`), or a Redis Cluster reached through a few of its nodes
 * (`REDIS_CLUSTER_NODES`), from which the client learns the rest of the cluster.
 */
export type RedisEndpoint =
  | { readonly kind: 'server'; readonly url: string }
  | { readonly kind: 'cluster'; readonly nodes: readonly string[] };

const redisUrlSchema = z.url({
  protocol: /^rediss?$/,
  error: 'must be a redis:// or rediss:// URL such as redis://10.0.0.1:6379',
});

/**
 * `REDIS_CLUSTER_NODES`: comma-separated node URLs, e.g. `redis://10.0.0.1:6379,redis://10.0.0.2:6379`.
 * A cluster has one scheme, one set of credentials and database 0 only, so every node must agree.
 */
export const redisClusterNodesSchema = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((node) => node.trim())
      .filter((node) => node !== ''),
  )
  .pipe(z.array(redisUrlSchema).min(1, 'list at least one node URL'))
  .superRefine((nodes, context) => {
    // Zod runs this even when a node failed the URL check: judge the nodes that parsed.
    const urls = nodes.filter((node) => URL.canParse(node)).map((node) => new URL(node));
    const [first] = urls;
    if (first === undefined) return;
    const credentials = (url: URL) => `${url.protocol}//${url.username}:${url.password}`;
    if (urls.some((url) => credentials(url) !== credentials(first))) {
      context.addIssue({
        code: 'custom',
        message: 'every node must use the same scheme (redis:// or rediss://) and the same credentials',
      });
    }
    if (urls.some((url) => !['', '/', '/0'].includes(url.pathname))) {
      context.addIssue({
        code: 'custom',
        message: 'a Redis Cluster has database 0 only: leave out the /db path',
      });
    }
  });
