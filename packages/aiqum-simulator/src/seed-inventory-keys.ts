import type { Collection, Keyed } from './collection.js';
import { createInventory } from './inventory.js';

/** Keys of the seeded inventory by name, per collection. */
export interface SeedInventoryKeys {
  clusters: Record<string, string>;
  svms: Record<string, string>;
  aggregates: Record<string, string>;
  volumes: Record<string, string>;
  igroups: Record<string, string>;
  /** By `<svm>/<policy>`: every SVM has a policy named `default`. */
  exportPolicies: Record<string, string>;
  performanceServiceLevels: Record<string, string>;
  storageEfficiencyPolicies: Record<string, string>;
  /** By SVM name (a mapping has no name of its own; the seed gives vs1 and vs3 one each). */
  activeDirectoryMappings: Record<string, string>;
}

function byName(collection: Collection<Keyed>): Record<string, string> {
  return Object.fromEntries(collection.values().map((r) => [r.name, r.key]));
}

/**
 * The keys a simulator started with this seed gives its seeded objects (deterministic per seed, so they
 * match a simulator in another process): write bodies take keys, and tests, demos and benchmarks name
 * the seeded objects through this.
 */
export function seedInventoryKeys(seed = 1): Readonly<SeedInventoryKeys> {
  let keys = keysBySeed.get(seed);
  if (keys === undefined) {
    keys = buildKeys(seed);
    keysBySeed.set(seed, keys);
  }
  return keys;
}

// Built once per seed: request builders call this for every request of a bench run of 100,000.
const keysBySeed = new Map<number, Readonly<SeedInventoryKeys>>();

function buildKeys(seed: number): Readonly<SeedInventoryKeys> {
  const inv = createInventory(seed);
  return Object.freeze({
    clusters: byName(inv.clusters),
    svms: byName(inv.svms),
    aggregates: byName(inv.aggregates),
    volumes: byName(inv.volumes),
    igroups: byName(inv.igroups),
    exportPolicies: Object.fromEntries(
      inv.exportPolicies.values().map((p) => [`${p.svm.name}/${p.name}`, p.key]),
    ),
    performanceServiceLevels: byName(inv.performanceServiceLevels),
    storageEfficiencyPolicies: byName(inv.storageEfficiencyPolicies),
    activeDirectoryMappings: Object.fromEntries(
      inv.activeDirectoryMappings.values().map((m) => [m.svm.name, m.key]),
    ),
  });
}
