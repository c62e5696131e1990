import {
  compareStreamIds,
  type Logger,
  nextStreamId,
  type RedisConnection,
  type RedisKeys,
  streamIdTime,
} from '@aiqum-jobs/contracts';
import { z } from 'zod';
import { IntervalLock, PeriodicTask } from './periodic-task.js';
import { infoRowsSchema, readStreamGroups, type StreamGroup } from './stream-groups.js';

export interface EventStreamTrimmerOptions {
  redis: RedisConnection;
  keys: RedisKeys;
  /** Events older than this are trimmed once no active consumer group needs them, in seconds. */
  retentionSeconds: number;
  /** A group that has received no event for this long no longer holds trimming back, in seconds. */
  maxGroupIdleSeconds: number;
  logger: Logger;
  /** How often `start()` trims; with several trimmers on one deployment, one trims per interval. @defaultValue 60000 */
  intervalMs?: number;
  /** @defaultValue `Date.now` */
  now?: () => number;
}

/** What one trim did. */
export interface TrimResult {
  /** Entries before this id were trimmed (whole stream nodes of them: `XTRIM MINID ~`). */
  minId: string;
  trimmed: number;
  /** Active groups that kept `minId` below the retention: they still have these events pending or unread. */
  holdingGroups: string[];
  /** Groups idle beyond `maxGroupIdleSeconds`, whose pending and unread events were not protected. */
  idleGroups: string[];
}

const consumerInfoSchema = z.object({ idle: z.number() });
/** `XPENDING key group`: count, smallest and largest pending id, per-consumer counts. */
const pendingSummarySchema = z.tuple([z.number(), z.string().nullable()], z.unknown());

/**
 * Trims the events stream without taking an event from a consumer group that still needs it. Entries go
 * once they are older than the retention and every active group has read and acknowledged them:
 * `XTRIM MINID ~ <min(now - retention, each group's oldest pending id, each group's last-delivered id + 1)>`.
 * A group whose consumers received nothing for longer than `maxGroupIdleSeconds` (a group without
 * consumers: since its last-delivered entry was added) counts as abandoned and holds nothing back, so it
 * cannot make Redis grow forever; each trim names it in a warning. A group no consumer has read yet holds
 * nothing back (the retention applies to it) and counts as idle from when this trimmer first saw it.
 */
export class EventStreamTrimmer {
  readonly #redis: RedisConnection;
  readonly #keys: RedisKeys;
  readonly #retentionMs: number;
  readonly #maxGroupIdleMs: number;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #lock: IntervalLock;
  readonly #task: PeriodicTask;
  /** When this trimmer first saw each group: a group no consumer has read yet has no other age. */
  #firstSeen = new Map<string, number>();

  constructor(options: EventStreamTrimmerOptions) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#retentionMs = options.retentionSeconds * 1_000;
    this.#maxGroupIdleMs = options.maxGroupIdleSeconds * 1_000;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    const intervalMs = options.intervalMs ?? 60_000;
    this.#lock = new IntervalLock(options.redis, options.keys.eventsTrimLock, intervalMs);
    this.#task = new PeriodicTask({
      intervalMs,
      run: () => this.trimIfFirst(),
      onError: (error) => this.#logger.warn({ err: error }, 'cannot trim the events stream'),
    });
  }

  /** Trims now, then every interval, until `stop()`. A failed trim is logged and tried again next time. */
  start(): void {
    this.#task.start();
  }

  /** Stops trimming and waits for a trim in progress. */
  stop(): Promise<void> {
    return this.#task.stop();
  }

  /**
   * Trims unless another trimmer of this deployment did within the last half interval (a short lock, so
   * that of many workers one does the work); undefined when it left the trim to the other.
   */
  async trimIfFirst(): Promise<TrimResult | undefined> {
    if (!(await this.#lock.take())) return undefined;
    return this.trim();
  }

  /** One trim (no lock: running it in several processes at once is harmless, only wasted work). */
  async trim(): Promise<TrimResult> {
    const now = this.#now();
    const stream = this.#keys.events;
    let minId = `${Math.max(0, now - this.#retentionMs)}-0`;
    const holdingGroups: string[] = [];
    const idleGroups: string[] = [];
    const groups = await readStreamGroups(this.#redis, stream);
    this.#firstSeen = new Map(groups.map((group) => [group.name, this.#firstSeen.get(group.name) ?? now]));
    for (const group of groups) {
      const idleMs = await this.#idleMs(group, now);
      if (idleMs > this.#maxGroupIdleMs) {
        idleGroups.push(group.name);
        this.#logger.warn(
          {
            group: group.name,
            idleSeconds: Math.round(idleMs / 1_000),
            maxGroupIdleSeconds: this.#maxGroupIdleMs / 1_000,
          },
          'consumer group of the events stream idle too long: its unread and pending events may be trimmed (XGROUP DESTROY it if it is abandoned)',
        );
        continue;
      }
      // Not active yet (made, not read: a subscriber's first read follows at once): the retention applies.
      if (neverRead(group)) continue;
      const needed = await this.#oldestNeeded(group);
      if (compareStreamIds(needed, minId) < 0) {
        minId = needed;
        holdingGroups.push(group.name);
      }
    }
    let trimmed = 0;
    // Each XTRIM ~ removes at most 100 stream nodes' worth; a backlog freed at once takes a few.
    for (;;) {
      const removed = await this.#redis.xtrim(stream, 'MINID', '~', minId);
      trimmed += removed;
      if (removed === 0) break;
    }
    if (trimmed > 0) this.#logger.debug({ minId, trimmed, holdingGroups }, 'trimmed the events stream');
    return { minId, trimmed, holdingGroups, idleGroups };
  }

  /**
   * How long since a consumer of the group last received an event; for a group without consumers, since
   * its last-delivered entry was added, or, for a group no consumer has read yet, since this trimmer first
   * saw it (not since 1970).
   */
  async #idleMs(group: StreamGroup, now: number): Promise<number> {
    if (neverRead(group)) return now - (this.#firstSeen.get(group.name) ?? now);
    if (group.consumers === 0) return now - streamIdTime(group['last-delivered-id']);
    const consumers = infoRowsSchema.parse(
      await this.#redis.xinfo('CONSUMERS', this.#keys.events, group.name),
    );
    return Math.min(...consumers.map((row) => consumerInfoSchema.parse(row).idle));
  }

  /** The oldest entry the group still needs: its oldest pending one, else the first it has not read. */
  async #oldestNeeded(group: StreamGroup): Promise<string> {
    const unread = nextStreamId(group['last-delivered-id']);
    if (group.pending === 0) return unread;
    const [, oldestPending] = pendingSummarySchema.parse(
      await this.#redis.xpending(this.#keys.events, group.name),
    );
    return oldestPending !== null && compareStreamIds(oldestPending, unread) < 0 ? oldestPending : unread;
  }
}

/** A group no consumer has read from: no consumers, nothing delivered. */
function neverRead(group: StreamGroup): boolean {
  return group.consumers === 0 && group['last-delivered-id'] === '0-0';
}
