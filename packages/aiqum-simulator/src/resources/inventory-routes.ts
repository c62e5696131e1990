import type { Collection, Keyed } from '../collection.js';
import { queryCollection } from '../collection-query.js';
import { notFound } from '../errors.js';
import type { Inventory } from '../inventory.js';
import type { Route } from '../router.js';
import type { SimulatorState } from '../simulator-state.js';

type CollectionName = {
  [K in keyof Inventory]: Inventory[K] extends Collection<Keyed> ? K : never;
}[keyof Inventory];

/**
 * `datacenter`: pages of `defaultPageSize` (SPEC: 100) without `max_records`. `storage-provider`: no
 * default page size is documented, so a page is the cap (1000), and `query=` searches names.
 */
type Kind = 'datacenter' | 'storage-provider';

const readable: Array<[CollectionName, string, Kind]> = [
  ['clusters', 'Cluster', 'datacenter'],
  ['nodes', 'Node', 'datacenter'],
  ['svms', 'SVM', 'datacenter'],
  ['aggregates', 'Aggregate', 'datacenter'],
  ['volumes', 'Volume', 'datacenter'],
  ['igroups', 'Initiator group', 'datacenter'],
  ['exportPolicies', 'Export policy', 'datacenter'],
  ['performanceServiceLevels', 'Performance service level', 'storage-provider'],
  ['storageEfficiencyPolicies', 'Storage efficiency policy', 'storage-provider'],
  ['fileShares', 'File share', 'storage-provider'],
  ['luns', 'LUN', 'storage-provider'],
  ['accessEndpoints', 'Access endpoint', 'storage-provider'],
];

/** Collection GET (filters, order, pages) and GET by key for every inventory resource. */
export function inventoryRoutes(state: SimulatorState): Route[] {
  return readable.flatMap(([name, label, kind]): Route[] => {
    const collection = (): Collection<Keyed> => state.inventory[name];
    const path = collection().path;
    return [
      {
        method: 'GET',
        template: path,
        handler: (ctx) => ({
          status: 200,
          body: queryCollection(collection().values(), {
            path: ctx.rawPath,
            query: ctx.query,
            ...(kind === 'datacenter'
              ? { defaultMaxRecords: state.options.defaultPageSize }
              : { searchable: true }),
          }),
        }),
      },
      {
        method: 'GET',
        template: `${path}/{key}`,
        handler: (ctx) => {
          const record = collection().get(ctx.params.key ?? '');
          if (!record) throw notFound(`${label} "${ctx.params.key}"`, 'key');
          return { status: 200, body: record };
        },
      },
    ];
  });
}
