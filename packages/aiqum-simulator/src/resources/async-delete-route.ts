import { acceptJob } from '../accept-job.js';
import type { Collection, Keyed } from '../collection.js';
import { noLongerExists } from '../errors.js';
import type { Inventory } from '../inventory.js';
import { requireKey } from '../references.js';
import type { Route } from '../router.js';
import type { SimulatorState } from '../simulator-state.js';

export interface AsyncDeleteOptions<T extends Keyed> {
  /** The collection path: the route is `<path>/{key}`. */
  path: string;
  records: (inv: Inventory) => Collection<T>;
  /** Names the record in a 404 and in a failed job: `<label> "<name or key>"`. */
  label: string;
  job: { name: string; type: string };
  /** The job result that carries the deleted record's key. */
  resultName: string;
  /** Removes, in the same job, what exists only with the record (a file share's volume). */
  alsoDelete?: (inv: Inventory, record: T) => void;
}

/**
 * `DELETE <path>/{key}`: 404 for an unknown key, else 202 and a job that removes the record when it
 * ends, or fails if the record went meanwhile (another DELETE's job).
 */
export function asyncDeleteRoute<T extends Keyed>(
  state: SimulatorState,
  options: AsyncDeleteOptions<T>,
): Route {
  return {
    method: 'DELETE',
    template: `${options.path}/{key}`,
    handler: (ctx) => {
      const inv = state.inventory;
      const records = options.records(inv);
      const record = requireKey(records, ctx.params.key, options.label);
      return acceptJob(state, ctx, {
        ...options.job,
        effect: () => {
          if (!records.delete(record.key)) throw noLongerExists(options.label, record);
          options.alsoDelete?.(inv, record);
          return [{ name: options.resultName, value: record.key }];
        },
      });
    },
  };
}
