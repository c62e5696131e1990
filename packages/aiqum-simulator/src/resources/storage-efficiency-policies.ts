import { z } from 'zod';
import { resourcePaths } from '../inventory.js';
import type { Route } from '../router.js';
import type { SimulatorState } from '../simulator-state.js';
import { policyRoutes } from './policy-routes.js';

const mode = z.enum(['inline', 'background', 'none']);

const createSchema = z.object({
  name: z.string().min(1).max(64),
  description: z.string().default(''),
  deduplication: mode.default('none'),
  compression: mode.default('none'),
  space_thin_provisioned: z.boolean().default(false),
});

const patchSchema = z.object({
  name: z.string().min(1).max(64).optional(),
  description: z.string().optional(),
  deduplication: mode.optional(),
  compression: mode.optional(),
  space_thin_provisioned: z.boolean().optional(),
});

/** `storage-provider/storage-efficiency-policies`: synchronous POST 201, PATCH 200, DELETE 200. */
export function storageEfficiencyPolicyRoutes(state: SimulatorState): Route[] {
  return policyRoutes(state, {
    path: resourcePaths.storageEfficiencyPolicies,
    records: (inv) => inv.storageEfficiencyPolicies,
    label: 'Storage efficiency policy',
    createSchema,
    patchSchema,
    create: (body, key, links) => ({ key, ...body, system_defined: false, _links: links }),
    update: (current, body) => ({
      ...current,
      name: body.name ?? current.name,
      description: body.description ?? current.description,
      deduplication: body.deduplication ?? current.deduplication,
      compression: body.compression ?? current.compression,
      space_thin_provisioned: body.space_thin_provisioned ?? current.space_thin_provisioned,
    }),
    usedBy: (inv, sep) =>
      [...inv.luns.values(), ...inv.fileShares.values()].find(
        (r) => r.assigned_storage_efficiency_policy.key === sep.key,
      )?.name,
  });
}
