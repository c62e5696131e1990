import { z } from 'zod';
import { invalidField } from '../errors.js';
import { type PerformanceServiceLevelRecord, resourcePaths } from '../inventory.js';
import type { Route } from '../router.js';
import type { SimulatorState } from '../simulator-state.js';
import { policyRoutes } from './policy-routes.js';

const iopsFields = {
  absolute_min_iops: z.number().int().min(1).max(75_000),
  expected_iops_per_tb: z.number().int().positive(),
  peak_iops_per_tb: z.number().int().positive(),
  // A97 lower-cases its input; the values are SPEC's.
  peak_iops_allocation_policy: z.enum(['used_space', 'allocated_space']),
};

const createSchema = z.object({
  name: z.string().min(1).max(64),
  description: z.string().default(''),
  latency: z.object({ expected: z.number().positive() }),
  iops: z.object({
    ...iopsFields,
    absolute_min_iops: iopsFields.absolute_min_iops.optional(),
    peak_iops_allocation_policy: iopsFields.peak_iops_allocation_policy.default('used_space'),
  }),
});

const patchSchema = z.object({
  name: z.string().min(1).max(64).optional(),
  description: z.string().optional(),
  latency: z.object({ expected: z.number().positive() }).optional(),
  iops: z.object(iopsFields).partial().optional(),
});

/** SPEC: the absolute minimum cannot be below 1000 / expected latency; the peak cannot be below the expected. */
function checked(psl: PerformanceServiceLevelRecord): PerformanceServiceLevelRecord {
  const { iops, latency } = psl;
  if (iops.peak_iops_per_tb < iops.expected_iops_per_tb) {
    throw invalidField(
      'iops.peak_iops_per_tb',
      '"iops.peak_iops_per_tb" cannot be less than "iops.expected_iops_per_tb"',
    );
  }
  if (iops.absolute_min_iops < Math.ceil(1000 / latency.expected)) {
    throw invalidField(
      'iops.absolute_min_iops',
      '"iops.absolute_min_iops" cannot be less than 1000 / "latency.expected"',
    );
  }
  return psl;
}

/** `storage-provider/performance-service-levels`: synchronous POST 201, PATCH 200, DELETE 200. */
export function performanceServiceLevelRoutes(state: SimulatorState): Route[] {
  return policyRoutes(state, {
    path: resourcePaths.performanceServiceLevels,
    records: (inv) => inv.performanceServiceLevels,
    label: 'Performance service level',
    createSchema,
    patchSchema,
    create: (body, key, links) =>
      checked({
        key,
        name: body.name,
        description: body.description,
        system_defined: false,
        iops: {
          ...body.iops,
          absolute_min_iops: body.iops.absolute_min_iops ?? Math.ceil(1000 / body.latency.expected),
        },
        latency: body.latency,
        _links: links,
      }),
    update: (current, body) =>
      checked({
        ...current,
        name: body.name ?? current.name,
        description: body.description ?? current.description,
        latency: body.latency ?? current.latency,
        iops: {
          absolute_min_iops: body.iops?.absolute_min_iops ?? current.iops.absolute_min_iops,
          expected_iops_per_tb: body.iops?.expected_iops_per_tb ?? current.iops.expected_iops_per_tb,
          peak_iops_per_tb: body.iops?.peak_iops_per_tb ?? current.iops.peak_iops_per_tb,
          peak_iops_allocation_policy:
            body.iops?.peak_iops_allocation_policy ?? current.iops.peak_iops_allocation_policy,
        },
      }),
    usedBy: (inv, psl) =>
      [...inv.luns.values(), ...inv.fileShares.values()].find(
        (r) => r.assigned_performance_service_level.key === psl.key,
      )?.name,
  });
}
