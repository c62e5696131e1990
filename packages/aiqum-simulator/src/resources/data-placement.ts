import { z } from 'zod';
import { invalidField } from '../errors.js';
import type { AggregateRecord, Inventory } from '../inventory.js';
import { parseBody } from '../request-body.js';
import type { Route } from '../router.js';
import type { SimulatorState } from '../simulator-state.js';

const units: Record<string, number> = { M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4, P: 1024 ** 5 };

const requestSchema = z.object({
  capacity: z
    .string()
    .regex(/^\d+(\.\d+)?\s*[MGTP]B?$/i, 'an amount such as "240G" (M, G, T or P)')
    .default('100G'),
  ssl_key: z.string().min(1).optional(),
  resource_keys: z.array(z.string().min(1)).optional(),
  priority_order: z.array(z.string().min(1)).optional(),
});

function bytesOf(capacity: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([MGTP])/i.exec(capacity);
  return Number(match?.[1] ?? 0) * (units[(match?.[2] ?? 'G').toUpperCase()] ?? 0);
}

/** Does the aggregate belong to one of the resources (an aggregate, node, cluster or SVM key)? */
function within(inv: Inventory, aggregate: AggregateRecord, keys: readonly string[]): boolean {
  return keys.some(
    (key) =>
      key === aggregate.key ||
      key === aggregate.node.key ||
      key === aggregate.cluster.key ||
      inv.svms.get(key)?.cluster.key === aggregate.cluster.key,
  );
}

/**
 * `POST storage-provider/data-placement`: a 202 that is NOT a job. SPEC answers the best aggregate itself
 * (its `aggregate` definition): here, the one with the most space available among those that hold the
 * capacity, within `resource_keys` when given.
 */
export function dataPlacementRoutes(state: SimulatorState): Route[] {
  return [
    {
      method: 'POST',
      template: '/api/storage-provider/data-placement',
      handler: (ctx) => {
        const body = parseBody(requestSchema, ctx.body ?? {});
        const inv = state.inventory;
        const needed = bytesOf(body.capacity);
        const best = inv.aggregates
          .values()
          .filter((a) => body.resource_keys === undefined || within(inv, a, body.resource_keys))
          .filter((a) => a.space.available >= needed)
          .sort((a, b) => b.space.available - a.space.available)[0];
        if (!best) throw invalidField('capacity', `No aggregate has ${body.capacity} available.`);
        return { status: 202, body: best };
      },
    },
  ];
}
