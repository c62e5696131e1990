import { z } from 'zod';
import { refOf } from '../collection.js';
import { conflict } from '../conflict.js';
import { errorCodes, HttpError } from '../errors.js';
import { clusterUuidOf, type IgroupRecord, type Inventory, objectKey, resourcePaths } from '../inventory.js';
import { refSchema, requireKey, requireSomeField, resolveRef } from '../references.js';
import { parseBody } from '../request-body.js';
import type { Route } from '../router.js';
import type { SimulatorState } from '../simulator-state.js';

const igroupName = z.string().regex(/^[A-Za-z0-9_.:-]+$/, 'not a valid initiator group name');
const osTypeSchema = z
  .string()
  .transform((s) => s.toLowerCase())
  .pipe(
    z.enum(['aix', 'hpux', 'hyper_v', 'linux', 'netware', 'openvms', 'solaris', 'vmware', 'windows', 'xen']),
  );
const initiatorsSchema = z.array(z.object({ name: z.string().min(1) }));

const createSchema = z.object({
  name: igroupName,
  os_type: osTypeSchema,
  protocol: z.enum(['iscsi', 'fcp', 'mixed']).default('iscsi'),
  svm: refSchema,
  initiators: initiatorsSchema.default([]),
});

// A97 sends every property it was given in one PATCH (unlike a LUN's, an igroup's PATCH takes several).
const patchSchema = z.object({
  name: igroupName.optional(),
  os_type: osTypeSchema.optional(),
  initiators: initiatorsSchema.optional(),
});

/** Initiator groups are SYNCHRONOUS: POST 201 with the record, PATCH and DELETE 200. */
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
    {
      method: 'PATCH',
      template: `${resourcePaths.igroups}/{key}`,
      handler: (ctx) => {
        const inv = state.inventory;
        const igroup = requireKey(inv.igroups, ctx.params.key, 'Initiator group');
        const body = parseBody(patchSchema, ctx.body);
        requireSomeField(body);
        const name = body.name ?? igroup.name;
        if (name !== igroup.name && inv.igroups.findByName(name, (g) => g.svm.key === igroup.svm.key)) {
          throw new HttpError(
            400,
            `An initiator group named "${name}" already exists in SVM "${igroup.svm.name}".`,
            errorCodes.duplicateName,
            { target: 'name' },
          );
        }
        // Added again under its key: the collection re-indexes a new name.
        const record = inv.igroups.add({
          ...igroup,
          name,
          os_type: body.os_type ?? igroup.os_type,
          initiators: body.initiators ?? igroup.initiators,
        });
        if (name !== igroup.name) renameInLunMaps(inv, record);
        return { status: 200, body: record };
      },
    },
    {
      method: 'DELETE',
      template: `${resourcePaths.igroups}/{key}`,
      handler: (ctx) => {
        const inv = state.inventory;
        const igroup = requireKey(inv.igroups, ctx.params.key, 'Initiator group');
        const mapped = inv.luns.values().filter((l) => l.lun_maps.some((m) => m.igroup.key === igroup.key));
        if (mapped.length > 0) {
          throw conflict(
            `Initiator group "${igroup.name}" is mapped to ${mapped.length} LUN(s), e.g. "${mapped[0]?.name}": unmap it first.`,
            'key',
          );
        }
        inv.igroups.delete(igroup.key);
        return { status: 200, body: {} };
      },
    },
  ];
}

/** LUN maps embed the igroup's name: a rename shows in them. */
function renameInLunMaps(inv: Inventory, igroup: IgroupRecord): void {
  for (const lun of inv.luns.values()) {
    for (const map of lun.lun_maps) if (map.igroup.key === igroup.key) map.igroup = refOf(igroup);
  }
}
