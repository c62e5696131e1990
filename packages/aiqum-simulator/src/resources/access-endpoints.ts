import { z } from 'zod';
import { acceptJob } from '../accept-job.js';
import { refOf } from '../collection.js';
import { errorCodes, JobFailure, noLongerExists } from '../errors.js';
import { addAccessEndpoint, resourcePaths } from '../inventory.js';
import { refSchema, requireKey, requireSomeField, resolveRef } from '../references.js';
import { parseBody } from '../request-body.js';
import type { Route } from '../router.js';
import type { SimulatorState } from '../simulator-state.js';
import { asyncDeleteRoute } from './async-delete-route.js';

const createSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only'),
  ip: z.object({ address: z.ipv4(), netmask: z.ipv4().default('255.255.255.0') }),
  svm: refSchema,
  data_protocols: z.array(z.enum(['iscsi', 'fcp', 'nfs', 'cifs'])).min(1),
  lun: refSchema.optional(),
  fileshare: refSchema.optional(),
});

const patchSchema = z.object({
  ip: z.object({ address: z.ipv4(), netmask: z.ipv4().optional() }).optional(),
});

/** Access endpoints (LIFs): create, change and delete are asynchronous (202 + job). */
export function accessEndpointRoutes(state: SimulatorState): Route[] {
  const path = resourcePaths.accessEndpoints;
  return [
    {
      method: 'POST',
      template: path,
      handler: (ctx) => {
        const body = parseBody(createSchema, ctx.body);
        const inv = state.inventory;
        const svm = resolveRef(inv.svms, body.svm, 'svm');
        const sameSvm = (r: { svm: { key: string } }): boolean => r.svm.key === svm.key;
        const lun = body.lun && refOf(resolveRef(inv.luns, body.lun, 'lun', sameSvm));
        const fileshare =
          body.fileshare && refOf(resolveRef(inv.fileShares, body.fileshare, 'fileshare', sameSvm));
        return acceptJob(state, ctx, {
          name: 'Create Access Endpoint',
          type: 'access_endpoint_create',
          effect: () => {
            if (inv.accessEndpoints.findByName(body.name, sameSvm)) {
              throw new JobFailure(
                `An access endpoint named "${body.name}" already exists in SVM "${svm.name}".`,
                errorCodes.duplicateName,
              );
            }
            const endpoint = addAccessEndpoint(inv, {
              svm,
              name: body.name,
              address: body.ip.address,
              netmask: body.ip.netmask,
              protocols: body.data_protocols,
              ...(lun ? { lun } : {}),
              ...(fileshare ? { fileshare } : {}),
            });
            return [{ name: 'accessEndpointKey', value: endpoint.key }];
          },
        });
      },
    },
    {
      method: 'PATCH',
      template: `${path}/{key}`,
      handler: (ctx) => {
        const inv = state.inventory;
        const endpoint = requireKey(inv.accessEndpoints, ctx.params.key, 'Access endpoint');
        const body = parseBody(patchSchema, ctx.body);
        requireSomeField(body);
        return acceptJob(state, ctx, {
          name: 'Modify Access Endpoint',
          type: 'access_endpoint_modify',
          effect: () => {
            const current = inv.accessEndpoints.get(endpoint.key);
            if (!current) throw noLongerExists('Access endpoint', endpoint);
            if (body.ip)
              current.ip = { address: body.ip.address, netmask: body.ip.netmask ?? current.ip.netmask };
            return [{ name: 'accessEndpointKey', value: current.key }];
          },
        });
      },
    },
    asyncDeleteRoute(state, {
      path,
      records: (inv) => inv.accessEndpoints,
      label: 'Access endpoint',
      job: { name: 'Delete Access Endpoint', type: 'access_endpoint_delete' },
      resultName: 'accessEndpointKey',
    }),
  ];
}
