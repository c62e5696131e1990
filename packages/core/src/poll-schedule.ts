import type { JobState, jobDialectSchema } from '@aiqum-jobs/contracts';
import type { z } from 'zod';
import type { CallSlot } from './call-slot.js';
import { readRedisTimeMs } from './redis-clock.js';
import type { ClaimedRecord } from './request-record-codec.js';
import {
  claimPollsScript,
  pollNowScript,
  recordPollMissScript,
  recordPollScript,
} from './request-scripts.js';
import type { RequestStoreContext } from './request-store-context.js';
import { limiterWindow, type TargetLimits } from './target-limiter.js';

/** When the next poll of a tracked request is due: `delayMs` from now by Redis's clock, not after `deadlineAt`. */
export interface NextPoll {
  delayMs: number;
  deadlineAt: number;
}

export interface ClaimPollsOptions {
  limits: TargetLimits;
  /** Most polls to claim. */
  max: number;
  /** How long a claim holds before the poll is due again (longer than the poll can last). */
  claimMs: number;
  /** Lease of each call slot. */
  leaseMs: number;
  /** Lease ids are this plus the claim's index. */
  leaseIdPrefix: string;
}

/** A claimed poll: the request (undefined when its record is gone or unreadable) and its call slot. */
export interface ClaimedPoll {
  requestId: string;
  slot: CallSlot;
  record: ClaimedRecord | undefined;
  /** Set when the request waited for this attempt (its retry policy's backoff is over): add its queue job. */
  nextAttempt?: number | undefined;
}

export interface ClaimedPolls {
  claims: ClaimedPoll[];
  /** With no claims: ms until the next poll is due or a slot frees (-1: nothing is tracked). */
  ms: number;
}

/** The polls of tracked requests: each target's due set, its claims and what each poll found. */
export class PollSchedule {
  readonly #context: RequestStoreContext;

  constructor(context: RequestStoreContext) {
    this.#context = context;
  }

  /**
   * Records a poll of a tracked Job, releases its slot and schedules the next poll; returns the status after
   * it and the poll count.
   */
  async recordPoll(
    requestId: string,
    jobState: JobState,
    dialect: z.output<typeof jobDialectSchema> | undefined,
    slot: CallSlot,
    next: NextPoll,
  ): Promise<{ status: string; polls: number }> {
    const { keys } = this.#context;
    return this.#context.scripts.run(recordPollScript, {
      keys: {
        request: keys.request(requestId),
        inFlight: keys.targetInFlight(slot.target),
        due: keys.targetDue(slot.target),
      },
      args: {
        jobState: JSON.stringify(jobState),
        // Stored as an empty field: the record codec reads that as absent.
        dialect: dialect ?? '',
        leaseId: slot.leaseId,
        delayMs: Math.round(next.delayMs),
        deadlineAt: next.deadlineAt,
        requestId,
        dueChannel: keys.dueChanges,
        target: slot.target,
      },
    });
  }

  /**
   * Counts a failed poll, releases its slot and schedules the next try; returns the status and how many
   * polls in a row failed.
   */
  async recordPollError(
    requestId: string,
    slot: CallSlot,
    next: NextPoll,
  ): Promise<{ status: string; pollErrors: number }> {
    const { status, count } = await this.#recordPollMiss('pollErrors', requestId, slot, next);
    return { status, pollErrors: count };
  }

  /**
   * Counts a poll that failed inside the worker (not an AIQUM answer), releases its slot and schedules the
   * next try; returns the status and how many such failures came in a row.
   */
  async recordPollFailure(
    requestId: string,
    slot: CallSlot,
    next: NextPoll,
  ): Promise<{ status: string; pollFailures: number }> {
    const { status, count } = await this.#recordPollMiss('pollFailures', requestId, slot, next);
    return { status, pollFailures: count };
  }

  #recordPollMiss(
    counter: 'pollErrors' | 'pollFailures',
    requestId: string,
    slot: CallSlot,
    next: NextPoll,
  ): Promise<{ status: string; count: number }> {
    const { keys } = this.#context;
    return this.#context.scripts.run(recordPollMissScript, {
      keys: {
        request: keys.request(requestId),
        inFlight: keys.targetInFlight(slot.target),
        due: keys.targetDue(slot.target),
      },
      args: {
        counter,
        leaseId: slot.leaseId,
        delayMs: Math.round(next.delayMs),
        deadlineAt: next.deadlineAt,
        requestId,
        dueChannel: keys.dueChanges,
        target: slot.target,
      },
    });
  }

  /**
   * Claims up to `max` due polls of a target, as many as its limits allow, each with a call slot and a
   * claim that makes it due again after `claimMs` (a worker that dies with it loses it then).
   */
  async claim(target: string, options: ClaimPollsOptions): Promise<ClaimedPolls> {
    const { keys } = this.#context;
    const { windowMs, callsPerWindow } = limiterWindow(options.limits);
    const { now, ms, claims } = await this.#context.scripts.run(claimPollsScript, {
      keys: {
        due: keys.targetDue(target),
        inFlight: keys.targetInFlight(target),
        recent: keys.targetRecentCalls(target),
      },
      args: {
        maxClaims: options.max,
        claimMs: options.claimMs,
        leaseMs: options.leaseMs,
        maxConcurrent: options.limits.maxConcurrent,
        callsPerWindow,
        windowMs,
        leaseIdPrefix: options.leaseIdPrefix,
        requestKeyPrefix: keys.request(''),
      },
    });
    this.#context.clock.observe(now);
    return {
      ms,
      claims: claims.map((claim) => ({
        requestId: claim.requestId,
        slot: { target, leaseId: claim.leaseId },
        record: claim.record,
        nextAttempt: claim.nextAttempt,
      })),
    };
  }

  /**
   * Moves a tracked request's next poll to now (Redis's clock), and wakes the target's pollers. False when
   * there is none to move: the request is not tracked, or its poll is due already.
   */
  async pollNow(request: { requestId: string; target: string }): Promise<boolean> {
    const { keys } = this.#context;
    const moved = await pollNowScript.run(this.#context.redis, {
      keys: { due: keys.targetDue(request.target) },
      args: { requestId: request.requestId, dueChannel: keys.dueChanges, target: request.target },
    });
    return moved === 1;
  }

  /** Up to `max` of a target's tracked requests (its due set), soonest due first. */
  async trackedRequestIds(target: string, max: number): Promise<string[]> {
    return this.#context.redis.zrange(this.#context.keys.targetDue(target), 0, max - 1);
  }

  /** Takes a request whose record is gone out of its target's due set. */
  async untrack(target: string, requestId: string): Promise<void> {
    await this.#context.redis.zrem(this.#context.keys.targetDue(target), requestId);
  }

  /**
   * Hands claimed polls back, due now, with their slots (a worker stopping before it polled them), and
   * wakes their targets' pollers in the other workers.
   */
  async releaseClaims(claims: readonly Pick<ClaimedPoll, 'requestId' | 'slot'>[]): Promise<void> {
    if (claims.length === 0) return;
    const { keys } = this.#context;
    // Read fresh, not the clock's estimate (which lags by a reply's latency): at shutdown, due means now.
    const now = await readRedisTimeMs(this.#context.redis);
    const pipeline = this.#context.redis.pipeline();
    for (const claim of claims) {
      pipeline.zadd(keys.targetDue(claim.slot.target), 'XX', now, claim.requestId);
      pipeline.zrem(keys.targetInFlight(claim.slot.target), claim.slot.leaseId);
    }
    for (const target of new Set(claims.map((claim) => claim.slot.target))) {
      pipeline.publish(keys.dueChanges, target);
    }
    await pipeline.exec();
  }
}
