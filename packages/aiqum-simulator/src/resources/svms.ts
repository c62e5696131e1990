import { z } from 'zod';
import { acceptJob } from '../accept-job.js';
import { refOf } from '../collection.js';
import { errorCodes, JobFailure } from '../errors.js';
import { objectKey, resourcePaths } from '../inventory.js';
import { refSchema, resolveRef } from '../references.js';
import { parseBody } from '../request-body.js';
import type { Route } from '../router.js';
import type { SimulatorState } from '../simulator-state.js';

const createSchema = z.object({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'not a valid SVM name'),
  cluster: refSchema,
  language: z.string().min(1).default('c.utf_8'),
  aggregates: z.array(refSchema).optional(),
});

/** SVM create is asynchronous (202 + job). */
export function svmRoutes(state: SimulatorState): Route[] {
  return [
    {
      method: 'POST',
      template: resourcePaths.svms,
      handler: (ctx) => {
        const body = parseBody(createSchema, ctx.body);
        const inv = state.inventory;
        const cluster = resolveRef(inv.clusters, body.cluster, 'cluster');
        for (const [i, aggregate] of (body.aggregates ?? []).entries()) {
          resolveRef(inv.aggregates, aggregate, `aggregates.${i}`, (a) => a.cluster.key === cluster.key);
        }
        return acceptJob(state, ctx, {
          name: 'Create SVM',
          type: 'svm_create',
          effect: () => {
            if (inv.svms.findByName(body.name, (s) => s.cluster.key === cluster.key)) {
              throw new JobFailure(
                `An SVM named "${body.name}" already exists on cluster "${cluster.name}".`,
                errorCodes.duplicateName,
              );
            }
            const uuid = inv.ids.uuid();
            const key = objectKey(cluster.uuid, 'vserver', uuid);
            inv.svms.add({
              key,
              uuid,
              name: body.name,
              state: 'running',
              subtype: 'default',
              language: body.language,
              cluster: refOf(cluster),
              _links: inv.svms.links(key),
            });
            return [{ name: 'svmKey', value: key }];
          },
        });
      },
    },
  ];
}
