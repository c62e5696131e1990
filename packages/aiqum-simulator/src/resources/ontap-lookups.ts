import { z } from 'zod';
import { errorCodes, HttpError } from '../errors.js';
import type { ClusterRecord, Inventory, SvmRecord } from '../inventory.js';
import type { SimulatorState } from '../simulator-state.js';

/** ONTAP answers errors with string codes, e.g. `"4"` for "entry doesn't exist". */
export function ontapNotFound(message: string, target: string): HttpError {
  return new HttpError(404, message, errorCodes.ontapEntryNotFound, { target });
}

/** The cluster a gateway path's `{cluster}` names (its uuid), or ONTAP's 404. */
export function gatewayCluster(state: SimulatorState, uuid: string | undefined): ClusterRecord {
  const found = state.inventory.clusters.values().find((c) => c.uuid === uuid);
  if (!found) throw ontapNotFound(`Cluster "${uuid}" is not managed by this server`, 'cluster');
  return found;
}

/** An SVM as ONTAP's writes take it: by name or by uuid. */
export const ontapSvmSchema = z
  .object({ name: z.string().min(1).optional(), uuid: z.string().min(1).optional() })
  .refine((s) => s.name !== undefined || s.uuid !== undefined, { message: 'give "name" or "uuid"' });

/** The SVM of `cluster` an ONTAP body names, or ONTAP's 400 for an SVM that does not exist. */
export function ontapSvm(
  inv: Inventory,
  cluster: ClusterRecord,
  svm: z.output<typeof ontapSvmSchema>,
): SvmRecord {
  const found = inv.svms
    .values()
    .find(
      (s) =>
        s.cluster.key === cluster.key && (svm.uuid === undefined ? s.name === svm.name : s.uuid === svm.uuid),
    );
  if (!found) {
    throw new HttpError(400, `SVM "${svm.name ?? svm.uuid}" does not exist.`, '2621462', {
      target: svm.uuid === undefined ? 'svm.name' : 'svm.uuid',
    });
  }
  return found;
}
