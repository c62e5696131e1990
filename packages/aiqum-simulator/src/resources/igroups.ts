import { z } from 'zod';
import { refOf } from '../collection.js';
import { errorCodes, HttpError } from '../errors.js';
import { clusterUuidOf, objectKey, resourcePaths } from '../inventory.js';
import { refSchema, resolveRef } from '../references.js';
import { parseBody } from '../request-body.js';
import type { Route } from '../router.js';
import type { SimulatorState } from '../simulator-state.js';

const createSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_.:-]+$/, 'not a valid initiator group name'),
  os_type: z.enum([
    'aix',
    'hpux',
    'hyper_v',
    'linux',
    'netware',
    'openvms',
    'solaris',
    'vmware',
    'windows',
    'xen',
  ]),
  protocol: z.enum(['iscsi', 'fcp', 'mixed']).default('iscsi'),
  svm: refSchema,
  initiators: z.array(z.object({ name: z.string().min(1) })).default([]),
});

/** Initiator group create is SYNCHRONOUS: 201 with the record. */
export function igroupRoutes(state: SimulatorState): Route[] {
  return [
    {
      method: 'POST',
      template: resourcePaths.igroups,
      handler: (ctx) => {
        const body = parseBody(createSchema, ctx.body);
        const inv = state.inventory;
        const svm = resolveRef(inv.svms, body.svm, 'svm');
        if (inv.igroups.findByName(body.name, (g) => g.svm.key === svm.key)) {
          throw new HttpError(
            400,
            `An initiator group named "${body.name}" already exists in SVM "${svm.name}".`,
            errorCodes.duplicateName,
            { target: 'name' },
          );
        }
        const uuid = inv.ids.uuid();
        const key = objectKey(clusterUuidOf(svm), 'igroup', uuid);
        const record = inv.igroups.add({
          key,
          uuid,
          name: body.name,
          os_type: body.os_type,
          protocol: body.protocol,
          initiators: body.initiators,
          svm: refOf(svm),
          cluster: svm.cluster,
          _links: inv.igroups.links(key),
        });
        return { status: 201, body: record, headers: { location: record._links.self.href } };
      },
    },
  ];
}
