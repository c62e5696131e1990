import { isIP } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { WebhookUrlError, type WebhookUrlPolicy } from './url-policy.js';

/**
 * The connection pool of deliveries, with the allowlist at the one place a connection is made: an address
 * in the URL is checked before connecting, and a host name is resolved by the policy's `lookup`, which
 * refuses it when it resolves to an address that is not allowed, and hands the connection the addresses it
 * checked. A name that resolved to a public address when the subscription was made cannot be turned
 * against an internal host later.
 */
export function createWebhookAgent(policy: WebhookUrlPolicy, options: { connections: number }): Agent {
  const connect = buildConnector({ lookup: policy.lookup });
  return new Agent({
    connections: options.connections,
    connect: (target, callback) => {
      const refusal = isIP(target.hostname) === 0 ? undefined : policy.refusal(target.hostname);
      if (refusal !== undefined) {
        callback(new WebhookUrlError(refusal), null);
        return;
      }
      connect(target, callback);
    },
  });
}
