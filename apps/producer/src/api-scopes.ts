import { z } from 'zod';

/**
 * What an API token may do. `read`: read requests, batches, events and the dashboard; `submit`: queue
 * requests and batches, poll a request now; `cancel`: cancel requests; `subscriptions`: manage webhook
 * subscriptions; `admin`: everything, dead letters and their replay included.
 */
export const apiScopes = ['read', 'submit', 'cancel', 'subscriptions', 'admin'] as const;

export const apiScopeSchema = z.enum(apiScopes, {
  error: `must be one of ${apiScopes.join(', ')}`,
});

export type ApiScope = z.output<typeof apiScopeSchema>;

/** True when `scopes` allow what needs `needed`: `admin` implies every scope. */
export function scopesGrant(scopes: ReadonlySet<ApiScope>, needed: ApiScope): boolean {
  return scopes.has('admin') || scopes.has(needed);
}
