import { z } from 'zod';
import { acceptJob } from '../accept-job.js';
import { refOf } from '../collection.js';
import { conflict } from '../conflict.js';
import { errorCodes, invalidField, JobFailure, noLongerExists } from '../errors.js';
import { addExportPolicy, type Inventory, objectKey, resourcePaths, type SvmRecord } from '../inventory.js';
import { refSchema, requireKey, requireSomeField, resolveRef } from '../references.js';
import { parseBody } from '../request-body.js';
import type { Route } from '../router.js';
import type { SimulatorState } from '../simulator-state.js';

const svmName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'not a valid SVM name');

// A97 sends more (dns, nis, ldap, ip_interfaces, routes, ipspace by name): accepted and not simulated.
const createSchema = z.object({
  name: svmName,
  cluster: refSchema,
  language: z.string().min(1).default('c.utf_8'),
  aggregates: z.array(refSchema).optional(),
});

const patchSchema = z.object({
  name: svmName.optional(),
  language: z.string().min(1).optional(),
  state: z.enum(['running', 'stopped']).optional(),
});

/** Everything that lives in an SVM, so that a DELETE without force can say what must go first. */
function contentsOf(inv: Inventory, svm: SvmRecord) {
  const inSvm = (r: { svm: { key: string } }): boolean => r.svm.key === svm.key;
  return {
    volumes: inv.volumes.values().filter(inSvm),
    luns: inv.luns.values().filter(inSvm),
    fileShares: inv.fileShares.values().filter(inSvm),
    igroups: inv.igroups.values().filter(inSvm),
    exportPolicies: inv.exportPolicies.values().filter(inSvm),
    accessEndpoints: inv.accessEndpoints.values().filter(inSvm),
    activeDirectoryMappings: inv.activeDirectoryMappings.values().filter(inSvm),
  };
}

function parseForce(query: URLSearchParams): boolean {
  const raw = query.get('force');
  if (raw === null || raw === 'false') return false;
  if (raw === 'true') return true;
  throw invalidField('force', '"force" must be true or false');
}

/** SVMs: create, change and delete are asynchronous (202 + job). */
export function svmRoutes(state: SimulatorState): Route[] {
  const path = resourcePaths.svms;
  return [
    {
      method: 'POST',
      template: path,
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
            const svm = inv.svms.add({
              key,
              uuid,
              name: body.name,
              state: 'running',
              subtype: 'default',
              language: body.language,
              cluster: refOf(cluster),
              _links: inv.svms.links(key),
            });
            // ONTAP gives every new SVM an export policy named "default", without rules (no access).
            addExportPolicy(inv, svm, 'default', []);
            return [{ name: 'svmKey', value: key }];
          },
        });
      },
    },
    {
      method: 'PATCH',
      template: `${path}/{key}`,
      handler: (ctx) => {
        const inv = state.inventory;
        const svm = requireKey(inv.svms, ctx.params.key, 'SVM');
        const body = parseBody(patchSchema, ctx.body);
        requireSomeField(body);
        return acceptJob(state, ctx, {
          name: 'Modify SVM',
          type: 'svm_modify',
          effect: () => {
            const current = inv.svms.get(svm.key);
            if (!current) throw noLongerExists('SVM', svm);
            const renamed = body.name ?? current.name;
            if (
              renamed !== current.name &&
              inv.svms.findByName(renamed, (s) => s.cluster.key === current.cluster.key)
            ) {
              throw new JobFailure(`An SVM named "${renamed}" already exists.`, errorCodes.duplicateName);
            }
            // Added again under its key: the collection re-indexes the name.
            inv.svms.add({
              ...current,
              name: renamed,
              language: body.language ?? current.language,
              state: body.state ?? current.state,
            });
            return [{ name: 'svmKey', value: current.key }];
          },
        });
      },
    },
    {
      method: 'DELETE',
      template: `${path}/{key}`,
      handler: (ctx) => {
        const inv = state.inventory;
        const svm = requireKey(inv.svms, ctx.params.key, 'SVM');
        const force = parseForce(ctx.query);
        if (!force && contentsOf(inv, svm).volumes.length > 0) {
          throw conflict(
            `SVM "${svm.name}" still has volumes: delete them first, or delete with force=true.`,
            'force',
          );
        }
        return acceptJob(state, ctx, {
          name: 'Delete SVM',
          type: 'svm_delete',
          effect: () => {
            if (!inv.svms.get(svm.key)) throw noLongerExists('SVM', svm);
            const contents = contentsOf(inv, svm);
            if (!force && contents.volumes.length > 0) {
              throw new JobFailure(`SVM "${svm.name}" has volumes again.`);
            }
            for (const r of contents.luns) inv.luns.delete(r.key);
            for (const r of contents.fileShares) inv.fileShares.delete(r.key);
            for (const r of contents.volumes) inv.volumes.delete(r.key);
            for (const r of contents.igroups) inv.igroups.delete(r.key);
            for (const r of contents.exportPolicies) inv.exportPolicies.delete(r.key);
            for (const r of contents.accessEndpoints) inv.accessEndpoints.delete(r.key);
            for (const r of contents.activeDirectoryMappings) inv.activeDirectoryMappings.delete(r.key);
            inv.svms.delete(svm.key);
            return [{ name: 'svmKey', value: svm.key }];
          },
        });
      },
    },
  ];
}
