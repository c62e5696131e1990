import { z } from 'zod';
import { queryCollection } from '../collection-query.js';
import { errorCodes, HttpError } from '../errors.js';
import { exportRuleSchema } from '../export-rule-schema.js';
import { addExportPolicy, type ExportPolicyRecord } from '../inventory.js';
import { parseBody } from '../request-body.js';
import type { Route } from '../router.js';
import type { SimulatorState } from '../simulator-state.js';
import { gatewayCluster, ontapSvm, ontapSvmSchema } from './ontap-lookups.js';

const collection = '/api/gateways/{cluster}/protocols/nfs/export-policies';

// ONTAP: up to 256 letters, digits, ".", "-" and "_".
const createSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,256}$/, 'not a valid export policy name'),
  svm: ontapSvmSchema,
  // Optional in ONTAP: a policy with no rules prohibits access.
  rules: z.array(exportRuleSchema).default([]),
});

function policyHref(clusterUuid: string, policy: ExportPolicyRecord): string {
  return `${collection.replace('{cluster}', clusterUuid)}/${policy.id}`;
}

/** An export policy as ONTAP shows it: its id, name, rules and SVM (`uuid`, `name`), no Unified Manager key. */
function ontapExportPolicy(policy: ExportPolicyRecord, clusterUuid: string) {
  const svmUuid = policy.svm.key.split('uuid=')[1] ?? '';
  return {
    id: policy.id,
    name: policy.name,
    rules: policy.rules,
    svm: { uuid: svmUuid, name: policy.svm.name },
    _links: { self: { href: policyHref(clusterUuid, policy) } },
  };
}

/**
 * NFS export policies through the gateway: ONTAP's `GET` and `POST /protocols/nfs/export-policies`. Unified
 * Manager's own API only reads them (`datacenter/protocols/nfs/export-policies` has no POST in SPEC), so a
 * policy of its own is made through ONTAP. ONTAP creates it synchronously: 201 with a `Location`, and the
 * record only with `return_records=true`. The new policy is at once in Unified Manager's collection too
 * (a real server shows it after its next poll of the cluster).
 */
export function ontapExportPolicyRoutes(state: SimulatorState): Route[] {
  return [
    {
      method: 'GET',
      template: collection,
      handler: (ctx) => {
        const cluster = gatewayCluster(state, ctx.params.cluster);
        const records = state.inventory.exportPolicies
          .values()
          .filter((p) => p.cluster.key === cluster.key)
          .map((p) => ontapExportPolicy(p, cluster.uuid));
        return { status: 200, body: queryCollection(records, { path: ctx.rawPath, query: ctx.query }) };
      },
    },
    {
      method: 'POST',
      template: collection,
      handler: (ctx) => {
        const cluster = gatewayCluster(state, ctx.params.cluster);
        const body = parseBody(createSchema, ctx.body);
        const inv = state.inventory;
        const svm = ontapSvm(inv, cluster, body.svm);
        if (inv.exportPolicies.findByName(body.name, (p) => p.svm.key === svm.key)) {
          throw new HttpError(
            409,
            `Export policy "${body.name}" already exists in SVM "${svm.name}".`,
            errorCodes.duplicateName,
            { target: 'name' },
          );
        }
        // ONTAP's defaults: a rule without an index goes last; one without protocols allows any.
        const rules = body.rules.map((rule, i) => ({
          ...rule,
          index: rule.index ?? i + 1,
          protocols: rule.protocols.length > 0 ? rule.protocols : ['any'],
        }));
        const policy = addExportPolicy(inv, svm, body.name, rules);
        const record = ontapExportPolicy(policy, cluster.uuid);
        return {
          status: 201,
          headers: { location: record._links.self.href },
          body: ctx.query.get('return_records') === 'true' ? { num_records: 1, records: [record] } : {},
        };
      },
    },
  ];
}
