import type { RedisKeys } from '@aiqum-jobs/contracts';

/** A call slot taken on a target's limits; the script that records the call's result releases it. */
export interface CallSlot {
  target: string;
  leaseId: string;
}

/** The leases key of a slot's target, for the scripts that release it; none without a slot. */
export function slotKeys(keys: RedisKeys, slot: CallSlot | undefined): { inFlight?: string } {
  return slot ? { inFlight: keys.targetInFlight(slot.target) } : {};
}
