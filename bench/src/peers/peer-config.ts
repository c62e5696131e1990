import { z } from 'zod';

export const peerKinds = ['poll-loop', 'hold-slot'] as const;

/** What a peer process is told to do, as JSON on its command line. */
export const peerConfigSchema = z.strictObject({
  kind: z.enum(peerKinds),
  simulatorUrl: z.url(),
  /** The hold-slot peer's BullMQ queue lives here. */
  redisUrl: z.string().min(1),
  jobs: z.number().int().positive(),
  concurrency: z.number().int().positive(),
  /** NetApp's own AIQUM modules poll every second. */
  pollIntervalMs: z.number().int().positive(),
  /** The peer stops after this long, finished or not; its rate is measured over what it did. */
  capMs: z.number().int().positive(),
});
export type PeerConfig = z.output<typeof peerConfigSchema>;

/** What a peer process reports, as one JSON line on stdout. */
export const peerResultSchema = z.strictObject({
  kind: z.enum(peerKinds),
  submitted: z.number().int(),
  completed: z.number().int(),
  elapsedMs: z.number(),
  /** Job GETs of the completed jobs only, so GETs per job is not skewed by the ones cut short. */
  getsOfCompleted: z.number().int(),
  peakTracked: z.number().int(),
});
export type PeerResult = z.output<typeof peerResultSchema>;

export const peerResultPrefix = 'peer-result ';
