import { z } from 'zod';
import { queryCollection } from '../collection-query.js';
import { conflict } from '../conflict.js';
import { notFound } from '../errors.js';
import { addActiveDirectoryMapping, resourcePaths } from '../inventory.js';
import { refSchema, resolveRef } from '../references.js';
import { parseBody } from '../request-body.js';
import type { Route } from '../router.js';
import type { SimulatorState } from '../simulator-state.js';

// SPEC's required properties; the password is accepted and kept nowhere.
const createSchema = z.object({
  dns: z.string().min(1),
  domain: z.string().min(1),
  username: z.string().min(1),
  password: z.string().min(1),
  svm: refSchema,
});

/**
 * Active Directory mappings (SPEC: GET collection filtered by `svm.key`, `svm.uuid`, `svm.name`; GET by
 * key; POST 201 with the record, synchronous). NetApp's 9.7 module finds an SVM's mapping with
 * `?svm.name=` and refuses a second one for the same SVM ("Storage VM already has an Active Directory
 * configured."): the simulator answers that second POST 409.
 */
export function activeDirectoryMappingRoutes(state: SimulatorState): Route[] {
  const path = resourcePaths.activeDirectoryMappings;
  return [
    {
      method: 'GET',
      template: path,
      handler: (ctx) => ({
        status: 200,
        body: queryCollection(state.inventory.activeDirectoryMappings.values(), {
          path: ctx.rawPath,
          query: ctx.query,
        }),
      }),
    },
    {
      method: 'GET',
      template: `${path}/{key}`,
      handler: (ctx) => {
        const record = state.inventory.activeDirectoryMappings.get(ctx.params.key ?? '');
        if (!record) throw notFound(`Active Directory mapping "${ctx.params.key}"`, 'key');
        return { status: 200, body: record };
      },
    },
    {
      method: 'POST',
      template: path,
      handler: (ctx) => {
        const body = parseBody(createSchema, ctx.body);
        const inv = state.inventory;
        const svm = resolveRef(inv.svms, body.svm, 'svm');
        if (inv.activeDirectoryMappings.values().some((m) => m.svm.key === svm.key)) {
          throw conflict(`SVM "${svm.name}" already has an Active Directory configured.`, 'svm.key');
        }
        const record = addActiveDirectoryMapping(inv, {
          svm,
          dns: body.dns,
          domain: body.domain,
          username: body.username,
        });
        return { status: 201, body: record, headers: { location: record._links.self.href } };
      },
    },
  ];
}
