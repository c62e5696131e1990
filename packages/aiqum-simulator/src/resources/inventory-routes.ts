import type { Collection, Keyed } from '../collection.js';
import { queryCollection } from '../collection-query.js';
import { notFound } from '../errors.js';
import type { Inventory } from '../inventory.js';
import type { Route } from '../router.js';
import type { SimulatorState } from '../simulator-state.js';

type CollectionName = {
  [K in keyof Inventory]: Inventory[K] extends Collection<Keyed> ? K : never;
}[keyof Inventory];

const readable: Array<[CollectionName, string]> = [
  ['clusters', 'Cluster'],
  ['svms', 'SVM'],
  ['aggregates', 'Aggregate'],
  ['volumes', 'Volume'],
  ['igroups', 'Initiator group'],
  ['performanceServiceLevels', 'Performance service level'],
  ['storageEfficiencyPolicies', 'Storage efficiency policy'],
  ['fileShares', 'File share'],
  ['luns', 'LUN'],
  ['accessEndpoints', 'Access endpoint'],
];

/** Collection GET (filters, order, pages) and GET by key for every inventory resource. */
export function inventoryRoutes(state: SimulatorState): Route[] {
  return readable.flatMap(([name, label]): Route[] => {
    const collection = (): Collection<Keyed> => state.inventory[name];
    const path = collection().path;
    return [
      {
        method: 'GET',
        template: path,
        handler: (ctx) => ({
          status: 200,
          body: queryCollection(collection().values(), { path: ctx.rawPath, query: ctx.query }),
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
