import type { PollPolicy, RequestSpec } from '@aiqum-jobs/contracts';
import type { Target } from './target-clients.js';

/** The target's poll policy with the request's overrides, kept consistent. */
export function pollPolicyOf(target: Target, spec: RequestSpec): PollPolicy {
  const overrides = Object.fromEntries(
    Object.entries(spec.poll ?? {}).filter((entry): entry is [string, number] => entry[1] !== undefined),
  );
  const merged: PollPolicy = { ...target.config.poll, ...overrides };
  return { ...merged, initialDelayMs: Math.min(merged.initialDelayMs, merged.maxDelayMs) };
}
