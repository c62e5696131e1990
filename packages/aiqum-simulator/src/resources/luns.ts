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
import { refSchema, requireKey, requireOneField, resolveRef } from '../references.js';
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

/** A97 sends the logical unit number of a PATCH as the text it split from its input ("1"). */
const lunNumberSchema = z.preprocess(
  (v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v),
  z.number().int().min(0).max(4095),
);
const lunMapsSchema = z.array(
  z.object({ igroup: refSchema, logical_unit_number: lunNumberSchema.optional() }),
);
const sizeSchema = z.object({ size: z.number().int().positive() });
const volumeNameTag = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `volume.key` (an existing volume of the SVM) or `volume.name_tag` (a new volume `AIQUM_<tag>`). */
const volumeSchema = z
  .object({
    key: z.string().min(1).optional(),
    name_tag: z
      .string()
      .regex(volumeNameTag, 'letters, digits and "_" only, not starting with a digit')
      .optional(),
  })
  .superRefine((volume, ctx) => {
    if (volume.key === undefined && volume.name_tag === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['key'],
        message: 'a key is required: give "key" (an existing volume) or "name_tag" (a new one), not a name',
      });
    }
    if (volume.key !== undefined && volume.name_tag !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['name_tag'], message: 'give "key" or "name_tag", not both' });
    }
  });

const createSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only'),
  os_type: z.enum(osTypes),
  space: sizeSchema,
  svm: refSchema,
  aggregate: refSchema.optional(),
  performance_service_level: refSchema,
  storage_efficiency_policy: refSchema.optional(),
  lun_maps: lunMapsSchema.optional(),
  volume: volumeSchema.optional(),
});

const operationalStateSchema = z
  .string()
  .transform((s) => s.toLowerCase())
  .pipe(z.enum(['online', 'offline']));

const patchSchema = z.object({
  space: sizeSchema.optional(),
  performance_service_level: refSchema.optional(),
  storage_efficiency_policy: refSchema.optional(),
  lun_maps: lunMapsSchema.optional(),
  // A97 sends ONLINE/OFFLINE in capitals.
  operational_state: operationalStateSchema.optional(),
});

/**
 * The volume `volume.name_tag` creates: `AIQUM_<tag>`, the name A97 looks for (`/vol/AIQUM_<tag>/<lun>`).
 * Without `volume`, the tag is A97's default, `vol_<lun>`.
 */
export function taggedVolumeName(tag: string): string {
  return `AIQUM_${tag}`;
}

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
        const inSvm = (r: { svm: { key: string } }): boolean => r.svm.key === svm.key;
        const { psl, sep } = resolveServiceLevels(inv, body);
        const lunMaps = resolveLunMaps(state, body.lun_maps ?? [], svm);
        const aggregate =
          body.aggregate &&
          resolveRef(inv.aggregates, body.aggregate, 'aggregate', (a) => a.cluster.key === svm.cluster.key);
        const existing =
          body.volume?.key === undefined
            ? undefined
            : resolveRef(inv.volumes, { key: body.volume.key }, 'volume', inSvm);
        const volumeName = existing?.name ?? taggedVolumeName(body.volume?.name_tag ?? `vol_${body.name}`);
        return acceptJob(state, ctx, {
          name: 'Provision LUN',
          type: 'lun_provision',
          effect: () => {
            const fullName = `/vol/${volumeName}/${body.name}`;
            if (inv.luns.findByName(fullName, inSvm)) {
              throw new JobFailure(
                `LUN "${fullName}" already exists in SVM "${svm.name}".`,
                errorCodes.duplicateName,
              );
            }
            let volume = existing && inv.volumes.get(existing.key);
            if (existing && !volume) throw noLongerExists('Volume', existing);
            if (!volume) {
              if (inv.volumes.findByName(volumeName, inSvm)) {
                throw new JobFailure(
                  `A volume named "${volumeName}" already exists in SVM "${svm.name}": give its key as "volume.key".`,
                  errorCodes.duplicateName,
                );
              }
              volume = addVolume(inv, svm, volumeName, Math.ceil(body.space.size * 1.2), aggregate);
            }
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
        requireOneField(body);
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
            if (body.operational_state) current.operational_state = body.operational_state;
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
