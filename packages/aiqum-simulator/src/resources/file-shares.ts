import { z } from 'zod';
import { acceptJob } from '../accept-job.js';
import { errorCodes, JobFailure, noLongerExists } from '../errors.js';
import { addFileShare, addVolume, resourcePaths } from '../inventory.js';
import { refSchema, requireKey, requireSomeField, resolveRef } from '../references.js';
import { parseBody } from '../request-body.js';
import type { Route } from '../router.js';
import { resolveServiceLevels, serviceLevelChanges } from '../service-levels.js';
import type { SimulatorState } from '../simulator-state.js';
import { asyncDeleteRoute } from './async-delete-route.js';

const sizeSchema = z.object({ size: z.number().int().positive() });

const createSchema = z.object({
  name: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'letters, digits and "_" only, not starting with a digit'),
  svm: refSchema,
  space: sizeSchema,
  performance_service_level: refSchema,
  storage_efficiency_policy: refSchema.optional(),
  access_control: z.object({ export_policy: z.object({ name: z.string().min(1) }).optional() }).optional(),
});

const patchSchema = z.object({
  space: sizeSchema.optional(),
  performance_service_level: refSchema.optional(),
  storage_efficiency_policy: refSchema.optional(),
});

/** File shares: create, change and delete are asynchronous (202 + job). */
export function fileShareRoutes(state: SimulatorState): Route[] {
  const path = resourcePaths.fileShares;
  return [
    {
      method: 'POST',
      template: path,
      handler: (ctx) => {
        const body = parseBody(createSchema, ctx.body);
        const inv = state.inventory;
        const svm = resolveRef(inv.svms, body.svm, 'svm');
        const { psl, sep } = resolveServiceLevels(inv, body);
        return acceptJob(state, ctx, {
          name: 'Provision File Share',
          type: 'fileshare_provision',
          effect: () => {
            if (inv.volumes.findByName(body.name, (v) => v.svm.key === svm.key)) {
              throw new JobFailure(
                `A volume named "${body.name}" already exists in SVM "${svm.name}".`,
                errorCodes.duplicateName,
              );
            }
            const volume = addVolume(inv, svm, body.name, body.space.size);
            const share = addFileShare(inv, {
              svm,
              volume,
              size: body.space.size,
              psl,
              sep,
              exportPolicy: body.access_control?.export_policy?.name,
            });
            return [
              { name: 'fileshareKey', value: share.key },
              { name: 'volumeKey', value: volume.key },
            ];
          },
        });
      },
    },
    {
      method: 'PATCH',
      template: `${path}/{key}`,
      handler: (ctx) => {
        const inv = state.inventory;
        const share = requireKey(inv.fileShares, ctx.params.key, 'File share');
        const body = parseBody(patchSchema, ctx.body);
        requireSomeField(body);
        const assignServiceLevels = serviceLevelChanges(inv, body);
        return acceptJob(state, ctx, {
          name: 'Modify File Share',
          type: 'fileshare_modify',
          effect: () => {
            const current = inv.fileShares.get(share.key);
            if (!current) throw noLongerExists('File share', share);
            if (body.space) {
              current.space = { size: body.space.size };
              const volume = inv.volumes.get(current.volume.key);
              if (volume) volume.size = body.space.size;
            }
            assignServiceLevels(current);
            return [{ name: 'fileshareKey', value: current.key }];
          },
        });
      },
    },
    asyncDeleteRoute(state, {
      path,
      records: (inv) => inv.fileShares,
      label: 'File share',
      job: { name: 'Delete File Share', type: 'fileshare_delete' },
      resultName: 'fileshareKey',
      // A file share is its volume seen through the storage provider: they go together.
      alsoDelete: (inv, share) => inv.volumes.delete(share.volume.key),
    }),
  ];
}
