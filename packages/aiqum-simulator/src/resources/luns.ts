import { z } from 'zod';
import { acceptJob } from '../accept-job.js';
import { refOf } from '../collection.js';
import { errorCodes, JobFailure, noLongerExists } from '../errors.js';
import {
  addLun,
  addVolume,
  type IgroupRecord,
  type LunMap,
  resourcePaths,
  type SvmRecord,
} from '../inventory.js';
import { refSchema, requireKey, requireSomeField, resolveRef } from '../references.js';
import { parseBody } from '../request-body.js';
import type { Route } from '../router.js';
import { resolveServiceLevels, serviceLevelChanges } from '../service-levels.js';
import type { SimulatorState } from '../simulator-state.js';
import { asyncDeleteRoute } from './async-delete-route.js';

const osTypes = [
  'aix',
  'hpux',
  'hyper_v',
  'linux',
  'netware',
  'openvms',
  'solaris',
  'solaris_efi',
  'vmware',
  'windows',
  'windows_2008',
  'windows_gpt',
  'xen',
] as const;

const lunMapsSchema = z.array(
  z.object({ igroup: refSchema, logical_unit_number: z.number().int().min(0).max(4095).optional() }),
);
const sizeSchema = z.object({ size: z.number().int().positive() });

const createSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only'),
  os_type: z.enum(osTypes),
  space: sizeSchema,
  svm: refSchema,
  performance_service_level: refSchema,
  storage_efficiency_policy: refSchema.optional(),
  lun_maps: lunMapsSchema.optional(),
  volume: z
    .object({ name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not a valid volume name') })
    .optional(),
});

const patchSchema = z.object({
  space: sizeSchema.optional(),
  performance_service_level: refSchema.optional(),
  storage_efficiency_policy: refSchema.optional(),
  lun_maps: lunMapsSchema.optional(),
});

function resolveLunMaps(
  state: SimulatorState,
  maps: z.output<typeof lunMapsSchema>,
  svm: { key: string },
): LunMap[] {
  return maps.map((map, i) => {
    const igroup: IgroupRecord = resolveRef(
      state.inventory.igroups,
      map.igroup,
      `lun_maps.${i}.igroup`,
      (g) => g.svm.key === svm.key,
    );
    return { igroup: refOf(igroup), logical_unit_number: map.logical_unit_number ?? i };
  });
}

/** LUNs: create, change and delete are asynchronous (202 + job). */
export function lunRoutes(state: SimulatorState): Route[] {
  const path = resourcePaths.luns;
  return [
    {
      method: 'POST',
      template: path,
      handler: (ctx) => {
        const body = parseBody(createSchema, ctx.body);
        const inv = state.inventory;
        const svm: SvmRecord = resolveRef(inv.svms, body.svm, 'svm');
        const { psl, sep } = resolveServiceLevels(inv, body);
        const lunMaps = resolveLunMaps(state, body.lun_maps ?? [], svm);
        const volumeName = body.volume?.name ?? `vol_${body.name.replace(/[^A-Za-z0-9_]/g, '_')}`;
        return acceptJob(state, ctx, {
          name: 'Provision LUN',
          type: 'lun_provision',
          effect: () => {
            const fullName = `/vol/${volumeName}/${body.name}`;
            if (inv.luns.findByName(fullName, (l) => l.svm.key === svm.key)) {
              throw new JobFailure(
                `LUN "${fullName}" already exists in SVM "${svm.name}".`,
                errorCodes.duplicateName,
              );
            }
            const volume =
              inv.volumes.findByName(volumeName, (v) => v.svm.key === svm.key) ??
              addVolume(inv, svm, volumeName, Math.ceil(body.space.size * 1.2));
            const lun = addLun(inv, {
              svm,
              volume,
              name: body.name,
              osType: body.os_type,
              size: body.space.size,
              psl,
              sep,
              lunMaps,
            });
            return [
              { name: 'lunKey', value: lun.key },
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
        const lun = requireKey(inv.luns, ctx.params.key, 'LUN');
        const body = parseBody(patchSchema, ctx.body);
        requireSomeField(body);
        const assignServiceLevels = serviceLevelChanges(inv, body);
        const lunMaps = body.lun_maps && resolveLunMaps(state, body.lun_maps, lun.svm);
        return acceptJob(state, ctx, {
          name: 'Modify LUN',
          type: 'lun_modify',
          effect: () => {
            const current = inv.luns.get(lun.key);
            if (!current) throw noLongerExists('LUN', lun);
            if (body.space) current.space = { size: body.space.size };
            assignServiceLevels(current);
            if (lunMaps) current.lun_maps = lunMaps;
            return [{ name: 'lunKey', value: current.key }];
          },
        });
      },
    },
    asyncDeleteRoute(state, {
      path,
      records: (inv) => inv.luns,
      label: 'LUN',
      job: { name: 'Delete LUN', type: 'lun_delete' },
      resultName: 'lunKey',
    }),
  ];
}
