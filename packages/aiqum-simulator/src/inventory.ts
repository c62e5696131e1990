import { type Addressable, Collection, type Keyed, type Ref, refOf } from './collection.js';
import { createRandom, type Random } from './random.js';

export interface ClusterRecord extends Keyed {
  uuid: string;
  management_ip: string;
  version: { full: string; generation: number; major: number; minor: number };
  nodes: Ref[];
}

export interface NodeRecord extends Keyed {
  uuid: string;
  model: string;
  serial_number: string;
  system_id: string;
  location: string;
  vendor: string;
  health: boolean;
  uptime: number;
  is_all_flash_optimized: boolean;
  version: ClusterRecord['version'];
  ha: { partners: Ref[] };
  performance_capacity: { used: number };
  cluster: Ref;
}

export interface SvmRecord extends Keyed {
  uuid: string;
  state: 'running' | 'stopped';
  subtype: 'default';
  language: string;
  cluster: Ref;
}

export interface AggregateRecord extends Keyed {
  uuid: string;
  node: Ref;
  space: { size: number; available: number };
  cluster: Ref;
}

export interface VolumeRecord extends Keyed {
  uuid: string;
  size: number;
  state: 'online';
  style: 'flexvol';
  svm: Ref;
  cluster: Ref;
  aggregates: Ref[];
}

/** As SPEC's `performance_service_level`. */
export interface PerformanceServiceLevelRecord extends Keyed {
  description: string;
  system_defined: boolean;
  iops: {
    absolute_min_iops: number;
    expected_iops_per_tb: number;
    peak_iops_per_tb: number;
    peak_iops_allocation_policy: 'used_space' | 'allocated_space';
  };
  latency: { expected: number };
}

export type EfficiencyMode = 'inline' | 'background' | 'none';

export interface StorageEfficiencyPolicyRecord extends Keyed {
  description: string;
  system_defined: boolean;
  deduplication: EfficiencyMode;
  compression: EfficiencyMode;
  space_thin_provisioned: boolean;
}

export interface ExportRule {
  index: number;
  clients: Array<{ match: string }>;
  protocols: string[];
  ro_rule: string[];
  rw_rule: string[];
}

export interface ExportPolicyRecord extends Keyed {
  id: number;
  rules: ExportRule[];
  svm: Ref;
  cluster: Ref;
}

/** A cluster Unified Manager monitors (`admin/datasources/clusters`); never its password. */
export interface DatasourceRecord extends Keyed {
  address: string;
  port: number;
  protocol: 'https' | 'http';
  username: string;
}

export interface IgroupRecord extends Keyed {
  uuid: string;
  os_type: string;
  protocol: 'iscsi' | 'fcp' | 'mixed';
  initiators: Array<{ name: string }>;
  svm: Ref;
  cluster: Ref;
}

export interface LunMap {
  igroup: Ref;
  logical_unit_number: number;
}

export interface LunRecord extends Keyed {
  uuid: string;
  os_type: string;
  volume: Ref;
  space: { size: number };
  assigned_performance_service_level: Ref;
  assigned_storage_efficiency_policy: Ref;
  lun_maps: LunMap[];
  operational_state: 'online' | 'offline';
  svm: Ref;
  cluster: Ref;
}

export interface FileShareRecord extends Keyed {
  volume: Ref;
  space: { size: number };
  assigned_performance_service_level: Ref;
  assigned_storage_efficiency_policy: Ref;
  mountpoint: string;
  operational_state: 'online' | 'offline';
  access_control: { export_policy?: Ref; acl?: ShareAcl[]; active_directory_mapping?: Addressable };
  svm: Ref;
  cluster: Ref;
}

export interface ShareAcl {
  permission: 'no_access' | 'read' | 'change' | 'full_control';
  user_or_group: string;
}

export interface AccessEndpointRecord extends Keyed {
  uuid: string;
  ip: { address: string; netmask: string };
  data_protocols: string[];
  svm: Ref;
  cluster: Ref;
  lun?: Ref;
  fileshare?: Ref;
}

/**
 * As SPEC's `active_directory_mappings`: the Active Directory an SVM's CIFS server joins, at most one per SVM;
 * it has no name (NetApp's clients find it by `svm.name`), and its password is never answered. `cluster`
 * is the simulator's: SPEC's record has none, and the collection filters by `cluster.name` as the others.
 */
export interface ActiveDirectoryMappingRecord extends Addressable {
  dns: string;
  domain: string;
  username: string;
  svm: Ref & { uuid: string };
  cluster: Ref;
}

/** Collection paths, unversioned; `/api/v2/...` answers the same. */
export const resourcePaths = {
  clusters: '/api/datacenter/cluster/clusters',
  nodes: '/api/datacenter/cluster/nodes',
  svms: '/api/datacenter/svm/svms',
  aggregates: '/api/datacenter/storage/aggregates',
  volumes: '/api/datacenter/storage/volumes',
  igroups: '/api/datacenter/protocols/san/igroups',
  exportPolicies: '/api/datacenter/protocols/nfs/export-policies',
  performanceServiceLevels: '/api/storage-provider/performance-service-levels',
  storageEfficiencyPolicies: '/api/storage-provider/storage-efficiency-policies',
  fileShares: '/api/storage-provider/file-shares',
  luns: '/api/storage-provider/luns',
  accessEndpoints: '/api/storage-provider/access-endpoints',
  activeDirectoryMappings: '/api/storage-provider/active-directories-mappings',
  datasources: '/api/admin/datasources/clusters',
} as const;

/** The simulated data centre. Writes change it when their job ends. */
export interface Inventory {
  readonly clusters: Collection<ClusterRecord>;
  readonly nodes: Collection<NodeRecord>;
  readonly svms: Collection<SvmRecord>;
  readonly aggregates: Collection<AggregateRecord>;
  readonly volumes: Collection<VolumeRecord>;
  readonly igroups: Collection<IgroupRecord>;
  readonly exportPolicies: Collection<ExportPolicyRecord>;
  readonly performanceServiceLevels: Collection<PerformanceServiceLevelRecord>;
  readonly storageEfficiencyPolicies: Collection<StorageEfficiencyPolicyRecord>;
  readonly fileShares: Collection<FileShareRecord>;
  readonly luns: Collection<LunRecord>;
  readonly accessEndpoints: Collection<AccessEndpointRecord>;
  readonly activeDirectoryMappings: Collection<ActiveDirectoryMappingRecord>;
  readonly datasources: Collection<DatasourceRecord>;
  /** Makes fresh, seeded UUIDs for new objects. */
  readonly ids: Random;
}

export function objectKey(clusterUuid: string, type: string, uuid: string): string {
  return `${clusterUuid}:type=${type},uuid=${uuid}`;
}

const gib = 1024 ** 3;

/** A small, consistent inventory that depends only on the seed. */
export function createInventory(seed: number): Inventory {
  const ids = createRandom(seed, 'inventory');
  const inv: Inventory = {
    clusters: new Collection(resourcePaths.clusters),
    nodes: new Collection(resourcePaths.nodes),
    svms: new Collection(resourcePaths.svms),
    aggregates: new Collection(resourcePaths.aggregates),
    volumes: new Collection(resourcePaths.volumes),
    igroups: new Collection(resourcePaths.igroups),
    exportPolicies: new Collection(resourcePaths.exportPolicies),
    performanceServiceLevels: new Collection(resourcePaths.performanceServiceLevels),
    storageEfficiencyPolicies: new Collection(resourcePaths.storageEfficiencyPolicies),
    fileShares: new Collection(resourcePaths.fileShares),
    luns: new Collection(resourcePaths.luns),
    accessEndpoints: new Collection(resourcePaths.accessEndpoints),
    activeDirectoryMappings: new Collection(resourcePaths.activeDirectoryMappings),
    datasources: new Collection(resourcePaths.datasources),
    ids,
  };

  const version = { full: 'NetApp Release 9.14.1', generation: 9, major: 14, minor: 1 };
  const clusters = ['cluster-01', 'cluster-02'].map((name, i) => {
    const uuid = ids.uuid();
    const key = objectKey(uuid, 'cluster', uuid);
    const cluster = inv.clusters.add({
      key,
      uuid,
      name,
      management_ip: `10.10.${i + 1}.10`,
      version,
      nodes: [],
      _links: inv.clusters.links(key),
    });
    const nodes = [1, 2].map((n) => {
      const nodeUuid = ids.uuid();
      const nodeKey = objectKey(uuid, 'cluster_node', nodeUuid);
      return inv.nodes.add({
        key: nodeKey,
        uuid: nodeUuid,
        name: `${name}-0${n}`,
        model: 'AFF-A400',
        serial_number: String(ids.int(100_000_000, 999_999_999)),
        system_id: String(ids.int(500_000_000, 599_999_999)),
        location: `rack ${i + 1}`,
        vendor: 'NetApp',
        health: true,
        uptime: ids.int(86_400, 86_400 * 400),
        is_all_flash_optimized: true,
        version,
        ha: { partners: [] },
        performance_capacity: { used: ids.int(5, 80) },
        cluster: refOf(cluster),
        _links: inv.nodes.links(nodeKey),
      });
    });
    const [first, second] = nodes;
    if (first && second) {
      first.ha.partners = [refOf(second)];
      second.ha.partners = [refOf(first)];
    }
    cluster.nodes = nodes.map(refOf);
    inv.datasources.add({
      key,
      name,
      address: cluster.management_ip,
      port: 443,
      protocol: 'https',
      username: 'admin',
      _links: inv.datasources.links(key),
    });
    return cluster;
  });

  const _aggregates = clusters.flatMap((cluster, c) =>
    [1, 2].map((n) => {
      const uuid = ids.uuid();
      const key = objectKey(cluster.uuid, 'aggregate', uuid);
      const size = ids.int(20, 60) * 1024 * gib;
      const node = cluster.nodes[n - 1] ?? requireSeed('node');
      return inv.aggregates.add({
        key,
        uuid,
        name: `aggr${n}_0${c + 1}`,
        node,
        space: { size, available: Math.floor(size * 0.6) },
        cluster: refOf(cluster),
        _links: inv.aggregates.links(key),
      });
    }),
  );

  const svms = ['vs1', 'vs2', 'vs3', 'vs4'].map((name, i) => {
    const cluster = clusters[i < 2 ? 0 : 1] ?? requireSeed('cluster');
    const uuid = ids.uuid();
    const key = objectKey(cluster.uuid, 'vserver', uuid);
    return inv.svms.add({
      key,
      uuid,
      name,
      state: 'running',
      subtype: 'default',
      language: 'c.utf_8',
      cluster: refOf(cluster),
      _links: inv.svms.links(key),
    });
  });

  for (const svm of svms) addExportPolicy(inv, svm, 'default', [openRule(1)]);
  for (const svm of [svms[0], svms[2]]) {
    if (svm)
      addExportPolicy(inv, svm, 'ep_hosts', [{ ...openRule(1), clients: [{ match: '10.30.0.0/16' }] }]);
  }

  const psls = [
    ['Extreme Performance', 6144, 12288, 1000, 1],
    ['Performance', 2048, 4096, 500, 2],
    ['Value', 128, 512, 75, 17],
  ] as const;
  for (const [name, expected, peak, min, latency] of psls) {
    const key = ids.uuid();
    inv.performanceServiceLevels.add({
      key,
      name,
      description: `System-defined ${name} service level`,
      system_defined: true,
      iops: {
        absolute_min_iops: min,
        expected_iops_per_tb: expected,
        peak_iops_per_tb: peak,
        peak_iops_allocation_policy: 'allocated_space',
      },
      latency: { expected: latency },
      _links: inv.performanceServiceLevels.links(key),
    });
  }
  for (const [name, mode] of [
    ['Default', 'inline'],
    ['None', 'none'],
  ] as const) {
    const key = ids.uuid();
    inv.storageEfficiencyPolicies.add({
      key,
      name,
      description: `System-defined ${name} storage efficiency policy`,
      system_defined: true,
      deduplication: mode,
      compression: mode,
      space_thin_provisioned: mode === 'inline',
      _links: inv.storageEfficiencyPolicies.links(key),
    });
  }

  const igroups = (
    [
      ['ig_linux_vs1', 0, 'linux'],
      ['ig_windows_vs1', 0, 'windows'],
      ['ig_linux_vs3', 2, 'linux'],
    ] as const
  ).map(([name, svmIndex, osType]) => {
    const svm = svms[svmIndex] ?? requireSeed('svm');
    const uuid = ids.uuid();
    const key = objectKey(clusterUuidOf(svm), 'igroup', uuid);
    return inv.igroups.add({
      key,
      uuid,
      name,
      os_type: osType,
      protocol: 'iscsi',
      initiators: [{ name: `iqn.1994-05.com.redhat:${ids.hex(12)}` }],
      svm: refOf(svm),
      cluster: svm.cluster,
      _links: inv.igroups.links(key),
    });
  });

  const psl = inv.performanceServiceLevels.values();
  const sep = inv.storageEfficiencyPolicies.values();
  const seedLuns = [
    ['vol_db01', 'lun_db01', 0, 0, 0, 0],
    ['vol_db01', 'lun_db02', 0, 1, 0, -1],
    ['vol_app01', 'lun_app01', 1, 2, 1, -1],
    ['vol_db03', 'lun_db03', 2, 1, 0, 2],
  ] as const;
  for (const [volumeName, lunName, svmIndex, pslIndex, sepIndex, igroupIndex] of seedLuns) {
    const svm = svms[svmIndex] ?? requireSeed('svm');
    const volume =
      inv.volumes.findByName(volumeName, (v) => v.svm.key === svm.key) ??
      addVolume(inv, svm, volumeName, ids.int(100, 500) * gib);
    const igroup = igroups[igroupIndex];
    addLun(inv, {
      svm,
      volume,
      name: lunName,
      osType: igroup?.os_type ?? 'linux',
      size: ids.int(10, 100) * gib,
      psl: psl[pslIndex] ?? requireSeed('performance service level'),
      sep: sep[sepIndex] ?? requireSeed('storage efficiency policy'),
      lunMaps: igroup ? [{ igroup: refOf(igroup), logical_unit_number: 0 }] : [],
    });
  }

  for (const [name, svmIndex, pslIndex] of [
    ['fs_home', 0, 2],
    ['fs_projects', 2, 1],
  ] as const) {
    const svm = svms[svmIndex] ?? requireSeed('svm');
    const size = ids.int(50, 200) * gib;
    addFileShare(inv, {
      svm,
      volume: addVolume(inv, svm, name, size),
      size,
      psl: psl[pslIndex] ?? requireSeed('performance service level'),
      sep: sep[0] ?? requireSeed('storage efficiency policy'),
      exportPolicy: inv.exportPolicies.findByName('default', (p) => p.svm.key === svm.key),
      mountpoint: `/${name}`,
      acl: [],
    });
  }

  for (const [name, svmIndex, protocols] of [
    ['ae_vs1_iscsi', 0, ['iscsi']],
    ['ae_vs3_nfs', 2, ['nfs']],
  ] as const) {
    const svm = svms[svmIndex] ?? requireSeed('svm');
    addAccessEndpoint(inv, {
      svm,
      name,
      address: `10.20.${svmIndex}.${ids.int(10, 250)}`,
      netmask: '255.255.255.0',
      protocols: [...protocols],
    });
  }

  // Keys from a stream of their own, so that the mappings leave every other seeded key as it was.
  const mappingIds = createRandom(seed, 'active-directory-mappings');
  for (const [svmIndex, domain, dns] of [
    [0, 'lab.example.com', '10.20.0.53'],
    [2, 'emea.example.com', '10.20.2.53'],
  ] as const) {
    const svm = svms[svmIndex] ?? requireSeed('svm');
    addActiveDirectoryMapping(inv, { svm, dns, domain, username: 'Administrator' }, mappingIds.uuid());
  }
  return inv;
}

export interface NewActiveDirectoryMapping {
  svm: SvmRecord;
  dns: string;
  domain: string;
  username: string;
}

/** SPEC's mapping keys are UUIDs of their own (`3b648c1b-d965-03b7-20da-61b791a6263c`), not ONTAP keys. */
export function addActiveDirectoryMapping(
  inv: Inventory,
  mapping: NewActiveDirectoryMapping,
  key: string = inv.ids.uuid(),
): ActiveDirectoryMappingRecord {
  const { svm } = mapping;
  return inv.activeDirectoryMappings.add({
    key,
    dns: mapping.dns,
    domain: mapping.domain,
    username: mapping.username,
    svm: { ...refOf(svm), uuid: svm.uuid },
    cluster: svm.cluster,
    _links: inv.activeDirectoryMappings.links(key),
  });
}

function requireSeed(what: string): never {
  throw new Error(`seed inventory has no ${what}`);
}

export function clusterUuidOf(record: { cluster: Ref }): string {
  return record.cluster.key.split(':')[0] ?? record.cluster.key;
}

export function addVolume(
  inv: Inventory,
  svm: SvmRecord,
  name: string,
  size: number,
  aggregate?: AggregateRecord,
): VolumeRecord {
  const clusterUuid = clusterUuidOf(svm);
  const aggr = aggregate ?? inv.aggregates.values().find((a) => a.cluster.key === svm.cluster.key);
  const uuid = inv.ids.uuid();
  const key = objectKey(clusterUuid, 'volume', uuid);
  return inv.volumes.add({
    key,
    uuid,
    name,
    size,
    state: 'online',
    style: 'flexvol',
    svm: refOf(svm),
    cluster: svm.cluster,
    aggregates: aggr ? [refOf(aggr)] : [],
    _links: inv.volumes.links(key),
  });
}

export interface NewLun {
  svm: SvmRecord;
  volume: VolumeRecord;
  name: string;
  osType: string;
  size: number;
  psl: Keyed;
  sep: Keyed;
  lunMaps: LunMap[];
}

export function addLun(inv: Inventory, lun: NewLun): LunRecord {
  const uuid = inv.ids.uuid();
  const key = objectKey(clusterUuidOf(lun.svm), 'lun', uuid);
  return inv.luns.add({
    key,
    uuid,
    name: `/vol/${lun.volume.name}/${lun.name}`,
    os_type: lun.osType,
    volume: refOf(lun.volume),
    space: { size: lun.size },
    assigned_performance_service_level: refOf(lun.psl),
    assigned_storage_efficiency_policy: refOf(lun.sep),
    lun_maps: lun.lunMaps,
    operational_state: 'online',
    svm: refOf(lun.svm),
    cluster: lun.svm.cluster,
    _links: inv.luns.links(key),
  });
}

export interface NewFileShare {
  svm: SvmRecord;
  volume: VolumeRecord;
  size: number;
  psl: Keyed;
  sep: Keyed;
  exportPolicy: Keyed | undefined;
  mountpoint: string;
  acl: ShareAcl[];
  activeDirectoryMapping?: Addressable | undefined;
}

/** A file share is a volume seen through the storage provider: it shares the volume's key and name. */
export function addFileShare(inv: Inventory, share: NewFileShare): FileShareRecord {
  const { key, name } = share.volume;
  return inv.fileShares.add({
    key,
    name,
    volume: refOf(share.volume),
    space: { size: share.size },
    assigned_performance_service_level: refOf(share.psl),
    assigned_storage_efficiency_policy: refOf(share.sep),
    mountpoint: share.mountpoint,
    operational_state: 'online',
    access_control: {
      ...(share.exportPolicy ? { export_policy: refOf(share.exportPolicy) } : {}),
      ...(share.acl.length > 0 ? { acl: share.acl } : {}),
      ...(share.activeDirectoryMapping
        ? {
            active_directory_mapping: {
              key: share.activeDirectoryMapping.key,
              _links: share.activeDirectoryMapping._links,
            },
          }
        : {}),
    },
    svm: refOf(share.svm),
    cluster: share.svm.cluster,
    _links: inv.fileShares.links(key),
  });
}

export interface NewAccessEndpoint {
  svm: SvmRecord;
  name: string;
  address: string;
  netmask: string;
  protocols: string[];
  lun?: Ref;
  fileshare?: Ref;
}

export function addAccessEndpoint(inv: Inventory, endpoint: NewAccessEndpoint): AccessEndpointRecord {
  const uuid = inv.ids.uuid();
  const key = objectKey(clusterUuidOf(endpoint.svm), 'lif', uuid);
  return inv.accessEndpoints.add({
    key,
    uuid,
    name: endpoint.name,
    ip: { address: endpoint.address, netmask: endpoint.netmask },
    data_protocols: endpoint.protocols,
    svm: refOf(endpoint.svm),
    cluster: endpoint.svm.cluster,
    ...(endpoint.lun ? { lun: endpoint.lun } : {}),
    ...(endpoint.fileshare ? { fileshare: endpoint.fileshare } : {}),
    _links: inv.accessEndpoints.links(key),
  });
}

/** Everyone may read over NFS: the rule of an SVM's `default` policy in the seed. */
function openRule(index: number): ExportRule {
  return {
    index,
    clients: [{ match: '0.0.0.0/0' }],
    protocols: ['nfs3', 'nfs4'],
    ro_rule: ['sys'],
    rw_rule: ['sys'],
  };
}

export function addExportPolicy(
  inv: Inventory,
  svm: SvmRecord,
  name: string,
  rules: ExportRule[],
): ExportPolicyRecord {
  // ONTAP numbers an SVM's policies from 1 up; the key carries the number as a real one does.
  const id = inv.exportPolicies.values().filter((p) => p.svm.key === svm.key).length + 1;
  const key = `${clusterUuidOf(svm)}:type=export_policy,svm_uuid=${svm.uuid},policy_id=${id}`;
  return inv.exportPolicies.add({
    key,
    name,
    id,
    rules,
    svm: refOf(svm),
    cluster: svm.cluster,
    _links: inv.exportPolicies.links(key),
  });
}
