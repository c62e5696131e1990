/**
 * The Redis key layout. Every key starts with the deployment's hash-tagged prefix, so all of them hash to
 * one Redis Cluster slot and multi-key scripts never meet CROSSSLOT errors.
 */
export interface RedisKeys {
  readonly prefix: string;
  /** Stream of every event (`request.accepted`, `request.completed`, `batch.completed`). */
  readonly events: string;
  /** String: held by the worker that trims the events stream, so one trims at a time. */
  readonly eventsTrimLock: string;
  /** Sorted set: each target a worker serves, scored by its last heartbeat (Redis time, ms). */
  readonly servedTargets: string;
  /** String: held by the worker that ends the requests of targets no worker serves, so one does at a time. */
  readonly orphanCheckLock: string;
  /** Hash: one request's record. */
  request(requestId: string): string;
  /** String: one request's body (JSON), kept apart from the record for retries; only when it has one. */
  requestBody(requestId: string): string;
  /** List: the ids of the requests that retry one request, newest last; lives as long as its record. */
  requestRetries(requestId: string): string;
  /** List: the ids of the requests of its batch that depend on one request; lives until it completes. */
  requestDependants(requestId: string): string;
  /**
   * Sorted set: requests whose dependencies all ended (ready to queue, or to skip), scored by when (Redis
   * time, ms); a completion adds them, whoever queues or skips them removes them.
   */
  readonly releasedDependants: string;
  /** Hash: one batch's totals and counters. */
  batch(batchId: string): string;
  /** List: the request ids of a batch, in batch order. */
  batchRequests(batchId: string): string;
  /** String: the answer first given for an `Idempotency-Key`. */
  idempotency(key: string): string;
  /** Sorted set: leases of calls in flight to one AIQUM target, scored by lease expiry. */
  targetInFlight(target: string): string;
  /** Sorted set: start times of recent calls to one AIQUM target, for its per-second limit. */
  targetRecentCalls(target: string): string;
  /** Sorted set: the tracked requests of one target, scored by the time of their next poll. */
  targetDue(target: string): string;
  /** Pub/sub channel: the name of a target whose due set got a poll due sooner than any it held. */
  readonly dueChanges: string;
  /**
   * String: the id of the request an AIQUM job of one target belongs to, set when AIQUM's answer named the
   * job (or reconciliation proved it); kept for the retention, so reconciliation leaves other requests' jobs alone.
   */
  jobOwner(target: string, jobKey: string): string;
  /**
   * Sorted set: the writes to one target that may have reached AIQUM unanswered (in flight, or whose answer
   * was lost), by request id, scored by the end of that time (Redis time, ms); see docs/RELIABILITY.md.
   */
  targetWritesInDoubt(target: string): string;
  /** Hash: webhook subscriptions made through the API, by id (the JSON record, secret included). */
  readonly webhookSubscriptions: string;
  /** String: a counter raised with every change of `webhookSubscriptions`, so readers re-read it only then. */
  readonly webhookSubscriptionsVersion: string;
  /** Sorted set: the dead-lettered deliveries of one webhook subscription, scored by when they failed. */
  webhookDeadLetters(subscriptionId: string): string;
  /** Sorted set: leases of webhook deliveries in flight to one URL origin, scored by lease expiry. */
  webhookOriginInFlight(origin: string): string;
}

export function createRedisKeys(prefix: string): RedisKeys {
  return {
    prefix,
    events: `${prefix}:events`,
    eventsTrimLock: `${prefix}:events:trim-lock`,
    servedTargets: `${prefix}:targets:served`,
    orphanCheckLock: `${prefix}:targets:orphan-check-lock`,
    request: (requestId) => `${prefix}:request:${requestId}`,
    requestBody: (requestId) => `${prefix}:request:${requestId}:body`,
    requestRetries: (requestId) => `${prefix}:request:${requestId}:retries`,
    requestDependants: (requestId) => `${prefix}:request:${requestId}:dependants`,
    releasedDependants: `${prefix}:dependants:released`,
    batch: (batchId) => `${prefix}:batch:${batchId}`,
    batchRequests: (batchId) => `${prefix}:batch:${batchId}:requests`,
    idempotency: (key) => `${prefix}:idempotency:${key}`,
    targetInFlight: (target) => `${prefix}:target:${target}:in-flight`,
    targetRecentCalls: (target) => `${prefix}:target:${target}:recent-calls`,
    targetDue: (target) => `${prefix}:target:${target}:due`,
    dueChanges: `${prefix}:due-changes`,
    jobOwner: (target, jobKey) => `${prefix}:target:${target}:job:${jobKey}:owner`,
    targetWritesInDoubt: (target) => `${prefix}:target:${target}:writes-in-doubt`,
    webhookSubscriptions: `${prefix}:webhook-subscriptions`,
    webhookSubscriptionsVersion: `${prefix}:webhook-subscriptions:version`,
    webhookDeadLetters: (subscriptionId) => `${prefix}:webhook-subscription:${subscriptionId}:dead-letters`,
    webhookOriginInFlight: (origin) => `${prefix}:webhook-origin:${origin}:in-flight`,
  };
}
