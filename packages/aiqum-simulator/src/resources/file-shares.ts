import { z } from 'zod';
import { acceptJob } from '../accept-job.js';
import { refOf } from '../collection.js';
import { errorCodes, JobFailure, noLongerExists } from '../errors.js';
import { exportRuleSchema } from '../export-rule-schema.js';
import {
  addExportPolicy,
  addFileShare,
  addVolume,
  type ExportPolicyRecord,
  type ExportRule,
  type Inventory,
  resourcePaths,
  type SvmRecord,
} from '../inventory.js';
import { refSchema, requireKey, requireOneField, resolveRef } from '../references.js';
import { parseBody } from '../request-body.js';
import type { Route } from '../router.js';
import { resolveServiceLevels, serviceLevelChanges } from '../service-levels.js';
import type { SimulatorState } from '../simulator-state.js';
import { asyncDeleteRoute } from './async-delete-route.js';

const sizeSchema = z.object({ size: z.number().int().positive() });

/**
 * `export_policy`: `{key}` of an existing policy of the SVM, or `{rules, "name-tag"}` for a new one (SPEC's
 * `export_policy_provision`). Anything else (a name) is refused with the target `export_policy.key`.
 */
const exportPolicySchema = z
  .object({
    key: z.string().min(1).optional(),
    rules: z.array(exportRuleSchema).min(1).optional(),
    'name-tag': z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'letters, digits and "_" only')
      .optional(),
  })
  .superRefine((policy, ctx) => {
    if (policy.key === undefined && policy.rules === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['key'],
        message: 'a key is required: give "key" (an existing policy) or "rules" (a new one), not a name',
      });
    }
    if (policy.key !== undefined && policy.rules !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['rules'], message: 'give "key" or "rules", not both' });
    }
  });

const aclSchema = z.array(
  z.object({
    permission: z
      .string()
      .transform((s) => s.toLowerCase())
      .pipe(z.enum(['no_access', 'read', 'change', 'full_control'])),
    user_or_group: z.string().min(1),
  }),
);

const accessControlSchema = z.object({
  export_policy: exportPolicySchema.optional(),
  acl: aclSchema.optional(),
  active_directory_mapping: refSchema.optional(),
});

const createSchema = z.object({
  name: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'letters, digits and "_" only, not starting with a digit'),
  svm: refSchema,
  space: sizeSchema,
  mountpoint: z
    .string()
    .regex(/^\/\S*$/, 'a path starting with "/"')
    .optional(),
  aggregate: refSchema.optional(),
  performance_service_level: refSchema,
  storage_efficiency_policy: refSchema.optional(),
  access_control: accessControlSchema.optional(),
});

const patchSchema = z.object({
  space: sizeSchema.optional(),
  performance_service_level: refSchema.optional(),
  storage_efficiency_policy: refSchema.optional(),
  access_control: accessControlSchema.omit({ active_directory_mapping: true }).optional(),
  operational_state: z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(['online', 'offline']))
    .optional(),
});

type ExportPolicyInput = z.output<typeof exportPolicySchema>;

/**
 * What a request's export policy becomes when its job ends: the existing policy (checked now, so that a
 * bad key is a 400), or a new policy of the SVM made from the rules. Inferred: the new policy is named
 * after its name-tag, else `AIQUM_<share>` (no source shows the name Unified Manager gives it).
 */
function exportPolicyOf(
  inv: Inventory,
  input: ExportPolicyInput | undefined,
  svm: SvmRecord,
  shareName: string,
): (() => ExportPolicyRecord) | undefined {
  if (!input) return undefined;
  if (input.key !== undefined) {
    const policy = resolveRef(
      inv.exportPolicies,
      { key: input.key },
      'access_control.export_policy',
      (p) => p.svm.key === svm.key,
    );
    return () => {
      const current = inv.exportPolicies.get(policy.key);
      if (!current) throw noLongerExists('Export policy', policy);
      return current;
    };
  }
  const name = input['name-tag'] ?? `AIQUM_${shareName}`;
  const rules: ExportRule[] = (input.rules ?? []).map((rule, i) => ({ ...rule, index: rule.index ?? i + 1 }));
  return () =>
    inv.exportPolicies.findByName(name, (p) => p.svm.key === svm.key) ??
    addExportPolicy(inv, svm, name, rules);
}

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
        const aggregate =
          body.aggregate &&
          resolveRef(inv.aggregates, body.aggregate, 'aggregate', (a) => a.cluster.key === svm.cluster.key);
        const exportPolicy = exportPolicyOf(inv, body.access_control?.export_policy, svm, body.name);
        const adMappingRef = body.access_control?.active_directory_mapping;
        // The mapping must be the share's SVM's: a CIFS share joins its SVM's Active Directory.
        const adMapping =
          adMappingRef &&
          resolveRef(
            inv.activeDirectoryMappings,
            adMappingRef,
            'access_control.active_directory_mapping',
            (m) => m.svm.key === svm.key,
          );
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
            const policy = exportPolicy?.();
            const volume = addVolume(inv, svm, body.name, body.space.size, aggregate);
            const share = addFileShare(inv, {
              svm,
              volume,
              size: body.space.size,
              psl,
              sep,
              exportPolicy: policy,
              mountpoint: body.mountpoint ?? `/${body.name}`,
              acl: body.access_control?.acl ?? [],
              activeDirectoryMapping: adMapping,
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
        requireOneField(body);
        const svm = requireKey(inv.svms, share.svm.key, 'SVM');
        const assignServiceLevels = serviceLevelChanges(inv, body);
        const exportPolicy = exportPolicyOf(inv, body.access_control?.export_policy, svm, share.name);
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
            if (exportPolicy) current.access_control.export_policy = refOf(exportPolicy());
            if (body.access_control?.acl) current.access_control.acl = body.access_control.acl;
            if (body.operational_state) current.operational_state = body.operational_state;
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
