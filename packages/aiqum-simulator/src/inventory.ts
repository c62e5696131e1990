import { Collection, type Keyed, type Ref, refOf } from './collection.js';
import { createRandom, type Random } from './random.js';

export interface ClusterRecord extends Keyed {
  uuid: string;
  management_ip: string;
  version: { full: string; generation: number; major: number; minor: number };
  nodes: Array<{ name: string }>;
}

export interface SvmRecord extends Keyed {
  uuid: string;
  state: 'running';
  subtype: 'default';
  language: string;
  cluster: Ref;
}

export interface AggregateRecord extends Keyed {
  uuid: string;
  node: { name: string };
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

export interface PerformanceServiceLevelRecord extends Keyed {
  description: string;
  system_defined: boolean;
  expected_iops: number;
  peak_iops: number;
  absolute_min_iops: number;
  expected_latency: number;
  peak_iops_allocation_policy: 'allocated_space';
}

export interface StorageEfficiencyPolicyRecord extends Keyed {
  system_defined: boolean;
  deduplication: 'inline' | 'none';
  compaction: 'inline' | 'none';
  compression: 'inline' | 'none';
  space_thin_provisioned: boolean;
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
  svm: Ref;
  cluster: Ref;
}

export interface FileShareRecord extends Keyed {
  volume: Ref;
  space: { size: number };
  assigned_performance_service_level: Ref;
  assigned_storage_efficiency_policy: Ref;
  access_control: { export_policy?: { name: string } };
  svm: Ref;
  cluster: Ref;
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

/** Collection paths, unversioned; `/api/v2/...` answers the same. */
export const resourcePaths = {
  clusters: '/api/datacenter/cluster/clusters',
  svms: '/api/datacenter/svm/svms',
  aggregates: '/api/datacenter/storage/aggregates',
  volumes: '/api/datacenter/storage/volumes',
  igroups: '/api/datacenter/protocols/san/igroups',
  performanceServiceLevels: '/api/storage-provider/performance-service-levels',
  storageEfficiencyPolicies: '/api/storage-provider/storage-efficiency-policies',
  fileShares: '/api/storage-provider/file-shares',
  luns: '/api/storage-provider/luns',
  accessEndpoints: '/api/storage-provider/access-endpoints',
} as const;

/** The simulated data centre. Writes change it when their job ends. */
export interface Inventory {
  readonly clusters: Collection<ClusterRecord>;
  readonly svms: Collection<SvmRecord>;
  readonly aggregates: Collection<AggregateRecord>;
  readonly volumes: Collection<VolumeRecord>;
  readonly igroups: Collection<IgroupRecord>;
  readonly performanceServiceLevels: Collection<PerformanceServiceLevelRecord>;
  readonly storageEfficiencyPolicies: Collection<StorageEfficiencyPolicyRecord>;
  readonly fileShares: Collection<FileShareRecord>;
  readonly luns: Collection<LunRecord>;
  readonly accessEndpoints: Collection<AccessEndpointRecord>;
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
    svms: new Collection(resourcePaths.svms),
    aggregates: new Collection(resourcePaths.aggregates),
    volumes: new Collection(resourcePaths.volumes),
    igroups: new Collection(resourcePaths.igroups),
    performanceServiceLevels: new Collection(resourcePaths.performanceServiceLevels),
    storageEfficiencyPolicies: new Collection(resourcePaths.storageEfficiencyPolicies),
    fileShares: new Collection(resourcePaths.fileShares),
    luns: new Collection(resourcePaths.luns),
    accessEndpoints: new Collection(resourcePaths.accessEndpoints),
    ids,
  };

  const clusters = ['cluster-01', 'cluster-02'].map((name, i) => {
    const uuid = ids.uuid();
    const key = objectKey(uuid, 'cluster', uuid);
    return inv.clusters.add({
      key,
      uuid,
      name,
      management_ip: `10.10.${i + 1}.10`,
      version: { full: 'NetApp Release 9.14.1', generation: 9, major: 14, minor: 1 },
      nodes: [{ name: `${name}-01` }, { name: `${name}-02` }],
      _links: inv.clusters.links(key),
    });
  });

  const _aggregates = clusters.flatMap((cluster, c) =>
    [1, 2].map((n) => {
      const uuid = ids.uuid();
      const key = objectKey(cluster.uuid, 'aggregate', uuid);
      const size = ids.int(20, 60) * 1024 * gib;
      return inv.aggregates.add({
        key,
        uuid,
        name: `aggr${n}_0${c + 1}`,
        node: { name: `${cluster.name}-0${n}` },
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
      expected_iops: expected,
      peak_iops: peak,
      absolute_min_iops: min,
      expected_latency: latency,
      peak_iops_allocation_policy: 'allocated_space',
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
      system_defined: true,
      deduplication: mode,
      compaction: mode,
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
      exportPolicy: 'default',
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
  return inv;
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
  exportPolicy: string | undefined;
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
    access_control: share.exportPolicy === undefined ? {} : { export_policy: { name: share.exportPolicy } },
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
