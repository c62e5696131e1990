import { z } from 'zod';
import { queryCollection } from '../collection-query.js';
import { errorCodes, HttpError } from '../errors.js';
import { objectKey, resourcePaths } from '../inventory.js';
import { requireKey, requireSomeField } from '../references.js';
import { parseBody } from '../request-body.js';
import type { Route } from '../router.js';
import type { SimulatorState } from '../simulator-state.js';

const createSchema = z.object({
  address: z.string().min(1),
  username: z.string().min(1),
  password: z.string().min(1),
  port: z.number().int().min(1).max(65_535).default(443),
  protocol: z.enum(['https', 'http']).default('https'),
});

const patchSchema = z.object({
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65_535).optional(),
  protocol: z.enum(['https', 'http']).optional(),
});

/**
 * The clusters Unified Manager monitors: synchronous POST 201 (the record, never the password), PATCH 200,
 * DELETE 200 (writes for application administrators, as every write outside storage-provider). A97 finds one by listing them and matching `address`.
 */
export function datasourceRoutes(state: SimulatorState): Route[] {
  const routes = (path: string): Route[] => [
    {
      method: 'GET',
      template: path,
      handler: (ctx) => ({
        status: 200,
        body: queryCollection(state.inventory.datasources.values(), {
          path: ctx.rawPath,
          query: ctx.query,
          defaultMaxRecords: state.options.defaultPageSize,
        }),
      }),
    },
    {
      method: 'GET',
      template: `${path}/{key}`,
      handler: (ctx) => ({
        status: 200,
        body: requireKey(state.inventory.datasources, ctx.params.key, 'Cluster'),
      }),
    },
    {
      method: 'POST',
      template: path,
      handler: (ctx) => {
        const body = parseBody(createSchema, ctx.body);
        const inv = state.inventory;
        if (inv.datasources.values().some((d) => d.address === body.address)) {
          throw new HttpError(400, `Cluster "${body.address}" is already added.`, errorCodes.duplicateName, {
            target: 'address',
          });
        }
        const uuid = inv.ids.uuid();
        const key = objectKey(uuid, 'cluster', uuid);
        const record = inv.datasources.add({
          key,
          name: body.address,
          address: body.address,
          port: body.port,
          protocol: body.protocol,
          username: body.username,
          _links: inv.datasources.links(key),
        });
        return { status: 201, body: record, headers: { location: record._links.self.href } };
      },
    },
    {
      method: 'PATCH',
      template: `${path}/{key}`,
      handler: (ctx) => {
        const inv = state.inventory;
        const current = requireKey(inv.datasources, ctx.params.key, 'Cluster');
        const body = parseBody(patchSchema, ctx.body);
        requireSomeField(body);
        const record = inv.datasources.add({
          ...current,
          username: body.username ?? current.username,
          port: body.port ?? current.port,
          protocol: body.protocol ?? current.protocol,
        });
        return { status: 200, body: record };
      },
    },
    {
      method: 'DELETE',
      template: `${path}/{key}`,
      handler: (ctx) => {
        const inv = state.inventory;
        const current = requireKey(inv.datasources, ctx.params.key, 'Cluster');
        inv.datasources.delete(current.key);
        return { status: 200, body: {} };
      },
    },
  ];
  return routes(resourcePaths.datasources);
}
