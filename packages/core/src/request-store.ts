import type { RedisConnection, RedisKeys } from '@aiqum-jobs/contracts';
import { Attempts } from './attempts.js';
import { PollSchedule } from './poll-schedule.js';
import { RedisClock } from './redis-clock.js';
import { RequestCompletion } from './request-completion.js';
import { RequestRecords } from './request-records.js';
import {
  acceptJobScript,
  attemptQueuedScript,
  beginReconciliationScript,
  beginSubmissionScript,
  claimPollsScript,
  completeRequestScript,
  findWritesInDoubtScript,
  nextAttemptScript,
  recordPollMissScript,
  recordPollScript,
  requeueSubmissionScript,
} from './request-scripts.js';
import { ScriptBatcher } from './script-batcher.js';
import { Submissions } from './submissions.js';

export interface RequestStoreOptions {
  redis: RedisConnection;
  keys: RedisKeys;
  /** How long finished requests and batches are kept, in seconds (events: see `EventStreamTrimmer`). */
  retentionSeconds: number;
  /** This process's clock: a producer's createdAt, and what `clock` carries Redis's time forward by. @defaultValue `Date.now` */
  now?: () => number;
}

/**
 * Where requests and batches live in Redis, and the only code that changes them: one role each for the
 * records producers read and write, the submission state machine, the poll schedule and the completion,
 * over one connection and one script batcher (calls of every role made together leave in one command).
 */
export class RequestStore {
  /** Redis's time as the last script read it: what deadlines are compared with. */
  readonly clock: RedisClock;
  readonly records: RequestRecords;
  readonly submissions: Submissions;
  readonly schedule: PollSchedule;
  readonly completion: RequestCompletion;
  /** The attempts of requests with a retry policy. */
  readonly attempts: Attempts;

  constructor(options: RequestStoreOptions) {
    const now = options.now ?? Date.now;
    this.clock = new RedisClock(options.redis, now);
    const context = {
      redis: options.redis,
      keys: options.keys,
      // The state-machine scripts of this process, sent together when they meet.
      scripts: new ScriptBatcher(options.redis, [
        beginSubmissionScript,
        requeueSubmissionScript,
        beginReconciliationScript,
        findWritesInDoubtScript,
        acceptJobScript,
        recordPollScript,
        recordPollMissScript,
        claimPollsScript,
        completeRequestScript,
        nextAttemptScript,
        attemptQueuedScript,
      ]),
      clock: this.clock,
      now,
      retentionSeconds: options.retentionSeconds,
    };
    this.records = new RequestRecords(context);
    this.submissions = new Submissions(context);
    this.schedule = new PollSchedule(context);
    this.completion = new RequestCompletion(context);
    this.attempts = new Attempts(context);
  }
}
