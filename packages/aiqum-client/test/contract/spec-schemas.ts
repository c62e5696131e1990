import { z } from 'zod';

/*
 * zod schemas written from Unified Manager's API specification (SPEC: the Swagger 2.0 document a server
 * serves at /docs/api/, `definitions.*`), to check what the simulator answers.
 *
 * - Types and enums are SPEC's. Objects are loose: a field SPEC does not list is allowed.
 * - SPEC has no `required` list in any of these definitions, so by SPEC every field is optional. The few
 *   fields required here are the ones every NetApp client reads and the project relies on, each marked
 *   "required: not SPEC's"; everything else stays optional.
 * - `format: uuid` is not enforced: SPEC's own examples are not RFC 4122 UUIDs.
 *   `format: date-time` is (ISO 8601 with an offset or Z), as SPEC's examples are.
 */

const str = z.string();
const int = z.number().int();
const num = z.number();
const bool = z.boolean();
const dateTime = z.iso.datetime({ offset: true });

const href = z.looseObject({ href: str.optional() });
const selfLink = z.looseObject({ self: href.optional() });
const pageLinks = z.looseObject({ self: href.optional(), next: href.optional() });

/** `cluster_reference`, `svm_reference`, `node_reference`, `aggregate_reference`, `volume_reference`... */
const reference = z.looseObject({
  _links: selfLink.optional(),
  key: str.optional(),
  name: str.optional(),
  uuid: str.optional(),
});
const keyOnly = z.looseObject({ key: str.optional() });

/** `version` */
const version = z.looseObject({
  full: str.optional(),
  generation: int.optional(),
  major: int.optional(),
  minor: int.optional(),
});

/** `performance_capacity` */
const performanceCapacity = z.looseObject({ used: num.optional() });

/** `assigned_performance_service_level` / `recommended_performance_service_level` of LUNs and file shares. */
const serviceLevelAssignment = z.looseObject({
  _links: selfLink.optional(),
  expected_iops: int.optional(),
  key: str.optional(),
  name: str.optional(),
  peak_iops: int.optional(),
});
const efficiencyAssignment = z.looseObject({
  _links: selfLink.optional(),
  key: str.optional(),
  name: str.optional(),
});

// The key every record is found by and written with (required: not SPEC's).
const recordKey = str.min(1);

const languages = [
  'ar',
  'ar.utf_8',
  'c',
  'c.utf_8',
  'cs',
  'cs.utf_8',
  'da',
  'da.utf_8',
  'de',
  'de.utf_8',
  'en',
  'en.utf_8',
  'en_us',
  'en_us.utf_8',
  'es',
  'es.utf_8',
  'fi',
  'fi.utf_8',
  'fr',
  'fr.utf_8',
  'he',
  'he.utf_8',
  'hr',
  'hr.utf_8',
  'hu',
  'hu.utf_8',
  'it',
  'it.utf_8',
  'ja',
  'ja.utf_8',
  'ja_jp.932',
  'ja_jp.932.utf_8',
  'ja_jp.pck',
  'ja_jp.pck.utf_8',
  'ja_jp.pck_v2',
  'ja_jp.pck_v2.utf_8',
  'ja_v1',
  'ja_v1.utf_8',
  'ko',
  'ko.utf_8',
  'nl',
  'nl.utf_8',
  'no',
  'no.utf_8',
  'pl',
  'pl.utf_8',
  'pt',
  'pt.utf_8',
  'ro',
  'ro.utf_8',
  'ru',
  'ru.utf_8',
  'sk',
  'sk.utf_8',
  'sl',
  'sl.utf_8',
  'sv',
  'sv.utf_8',
  'tr',
  'tr.utf_8',
  'utf8mb4',
  'zh',
  'zh.gbk',
  'zh.gbk.utf_8',
  'zh.utf_8',
  'zh_tw',
  'zh_tw.big5',
  'zh_tw.big5.utf_8',
  'zh_tw.utf_8',
] as const;

/** `definitions.job`. `state` has no enum in SPEC (its example is `running`); `status` has one. */
export const jobStatuses = ['normal', 'warning', 'partial_failures', 'error'] as const;
export const jobSchema = z.looseObject({
  _links: selfLink.optional(),
  key: recordKey,
  name: str.optional(),
  type: str.optional(),
  // required: not SPEC's (nothing can be read of a job without them).
  state: str,
  status: z.enum(jobStatuses),
  submit_time: dateTime.optional(),
  complete_time: dateTime.optional(),
  parent_job_key: str.optional(),
  job_results: z.array(z.looseObject({ name: str.optional(), value: str.optional() })).optional(),
  task_reports: z
    .array(
      z.looseObject({
        key: str.optional(),
        name: str.optional(),
        type: str.optional(),
        description: str.optional(),
        state: str.optional(),
        status: str.optional(),
        start_time: dateTime.optional(),
        complete_time: dateTime.optional(),
        failure_reason: str.optional(),
      }),
    )
    .optional(),
  spawned_job_summary: z
    .looseObject({
      aborted_jobs: int.optional(),
      completed_jobs: int.optional(),
      failed_jobs: int.optional(),
      running_jobs: int.optional(),
      successful_jobs: int.optional(),
      total_jobs: int.optional(),
    })
    .optional(),
});

/** `definitions.job_link_response`: the body of every 202 that starts a job. */
export const jobLinkResponseSchema = z.looseObject({
  // required: not SPEC's (a 202 without a job key cannot be tracked).
  job: z.looseObject({ _links: selfLink.optional(), key: str.min(1) }),
});

/** `definitions.error_response` with `definitions.error`: `code` is a string. */
export const errorResponseSchema = z.looseObject({
  // required: not SPEC's (the plan's error shape: code and message always there).
  error: z.looseObject({ code: str, message: str, target: str.optional() }),
});

/** `definitions.cluster` (`datacenter/cluster/clusters`). */
export const clusterSchema = z.looseObject({
  _links: selfLink.optional(),
  contact: str.optional(),
  isSanOptimized: bool.optional(),
  is_san_optimized: bool.optional(),
  key: recordKey,
  location: str.optional(),
  management_ip: str.optional(),
  name: str.optional(),
  nodes: z.array(z.looseObject({})).optional(),
  protocol_breakdown: z
    .looseObject({ cifs: int.optional(), fcp: int.optional(), iscsi: int.optional(), nfs: int.optional() })
    .optional(),
  storage_capacity: z
    .looseObject({ available: int.optional(), total: int.optional(), used: int.optional() })
    .optional(),
  uuid: str.optional(),
  version: version.optional(),
});

/** `definitions.node` (`datacenter/cluster/nodes`). SPEC types `system_id` "String". */
export const nodeSchema = z.looseObject({
  _links: selfLink.optional(),
  cluster: reference.optional(),
  ha: z.looseObject({ partners: z.array(reference).optional() }).optional(),
  health: bool.optional(),
  key: recordKey,
  location: str.optional(),
  model: str.optional(),
  name: str.optional(),
  performance_capacity: performanceCapacity.optional(),
  serial_number: str.optional(),
  system_id: str.optional(),
  uptime: int.optional(),
  uuid: str.optional(),
  version: version.optional(),
});

const enabledFlag = z.looseObject({ enabled: bool.optional() });

/** `definitions.svm` (`datacenter/svm/svms`). */
export const svmSchema = z.looseObject({
  _links: selfLink.optional(),
  aggregates: z.array(reference).optional(),
  cifs: z
    .looseObject({
      ad_domain: z
        .looseObject({ fqdn: str.optional(), password: str.optional(), user: str.optional() })
        .optional(),
      enabled: bool.optional(),
      name: str.optional(),
    })
    .optional(),
  cluster: reference.optional(),
  dns: z.looseObject({ domains: z.array(str).optional(), servers: z.array(str).optional() }).optional(),
  fcp: enabledFlag.optional(),
  ip_interfaces: z.array(z.looseObject({})).optional(),
  ipspace: reference.optional(),
  iscsi: enabledFlag.optional(),
  key: recordKey,
  language: z.enum(languages).optional(),
  ldap: z
    .looseObject({
      ad_domain: str.optional(),
      base_dn: str.optional(),
      bind_dn: str.optional(),
      enabled: bool.optional(),
      name: str.optional(),
      servers: z.array(str).optional(),
    })
    .optional(),
  name: str.optional(),
  nfs: enabledFlag.optional(),
  nis: z
    .looseObject({ domain: str.optional(), enabled: bool.optional(), servers: z.array(str).optional() })
    .optional(),
  nvme: enabledFlag.optional(),
  routes: z.array(z.looseObject({})).optional(),
  snapshot_policy: reference.optional(),
  state: z.enum(['starting', 'running', 'stopping', 'stopped', 'deleting']).optional(),
  subtype: z.enum(['default', 'dp_destination', 'sync_source', 'sync_destination']).optional(),
  uuid: str.optional(),
});

/** `definitions.aggregate` (`datacenter/storage/aggregates`, and the 202 of data placement). */
export const aggregateSchema = z.looseObject({
  _links: selfLink.optional(),
  block_storage: z
    .looseObject({
      hybrid_cache: z.looseObject({ enabled: bool.optional(), size: int.optional() }).optional(),
      mirror: z
        .looseObject({
          state: z.enum(['unmirrored', 'normal', 'degraded', 'resynchronizing', 'failed']).optional(),
        })
        .optional(),
      primary: z
        .looseObject({
          raid_size: int.optional(),
          raid_type: z.enum(['raid_dp', 'raid_tec', 'raid0', 'raid4']).optional(),
        })
        .optional(),
    })
    .optional(),
  cluster: reference.optional(),
  create_time: str.optional(),
  data_encryption: z.looseObject({ software_encryption_enabled: bool.optional() }).optional(),
  key: recordKey,
  name: str.optional(),
  node: reference.optional(),
  performance_capacity: performanceCapacity.optional(),
  snaplock_type: z.enum(['non_snaplock', 'compliance', 'enterprise']).optional(),
  space: z
    .looseObject({
      block_storage: z
        .looseObject({ available: int.optional(), size: int.optional(), used: int.optional() })
        .optional(),
      efficiency: z.looseObject({ logical_used: int.optional(), savings: int.optional() }).optional(),
    })
    .optional(),
  state: z
    .enum([
      'online',
      'onlining',
      'offline',
      'offlining',
      'relocating',
      'unmounted',
      'restricted',
      'inconsistent',
      'failed',
      'unknown',
    ])
    .optional(),
  type: z
    .enum([
      'ssd',
      'hdd',
      'hybrid',
      'ssd_fabricpool',
      'hdd_fabricpool',
      'hybrid_flash_pool',
      'lun_flexarray',
      'vmdisk_sds',
      'vmdisk_fabricpool',
      'not_mapped',
    ])
    .optional(),
  uuid: str.optional(),
});

/** `definitions.export_policy_reference` */
const exportPolicyReference = z.looseObject({
  _links: selfLink.optional(),
  id: int.optional(),
  key: str.optional(),
  name: str.optional(),
});

/** `definitions.volume` (`datacenter/storage/volumes`). */
export const volumeSchema = z.looseObject({
  _links: selfLink.optional(),
  aggregates: z.array(reference).optional(),
  autosize: z
    .looseObject({ maximum: int.optional(), mode: z.enum(['grow', 'grow_shrink', 'off']).optional() })
    .optional(),
  cluster: reference.optional(),
  create_time: dateTime.optional(),
  key: recordKey,
  language: z.enum(languages).optional(),
  name: str.optional(),
  nas: z.looseObject({ export_policy: exportPolicyReference.optional() }).optional(),
  qos: z.looseObject({ policy: z.looseObject({}).optional() }).optional(),
  snapmirror: z.looseObject({ is_protected: bool.optional() }).optional(),
  snapshot_policy: reference.optional(),
  space: z.looseObject({ available: int.optional(), size: int.optional(), used: int.optional() }).optional(),
  state: z.enum(['error', 'mixed', 'offline', 'online']).optional(),
  style: z.enum(['flexgroup', 'flexvol']).optional(),
  svm: reference.optional(),
  tiering: z.looseObject({ policy: z.enum(['none', 'auto', 'snapshot-only', 'all']).optional() }).optional(),
  type: z.enum(['rw', 'dp', 'ls']).optional(),
  uuid: str.optional(),
});

/** `definitions.igroup` (`datacenter/protocols/san/igroups`). */
export const igroupSchema = z.looseObject({
  _links: pageLinks.optional(),
  cluster: reference.optional(),
  initiators: z.array(z.looseObject({ name: str.optional() })).optional(),
  key: recordKey,
  name: str.optional(),
  os_type: z
    .enum(['aix', 'hpux', 'hyper_v', 'linux', 'netware', 'openvms', 'solaris', 'vmware', 'windows', 'xen'])
    .optional(),
  protocol: z.enum(['mixed', 'fcp', 'iscsi']).optional(),
  svm: reference.optional(),
  uuid: str.optional(),
});

const exportProtocols = z.array(z.enum(['any', 'nfs', 'nfs3', 'nfs4', 'cifs', 'flexcache']));
// `export_authentication_flavor`
const exportAuthFlavors = z.array(z.enum(['any', 'anon', 'never', 'krb5', 'krb5i', 'krb5p', 'ntlm', 'sys']));
const clientMatches = z.array(z.looseObject({ match: str.optional() }));

/** `definitions.export_policy` with `export_rule` (`datacenter/protocols/nfs/export-policies`). */
export const exportPolicySchema = z.looseObject({
  _links: selfLink.optional(),
  cluster: reference.optional(),
  id: int.optional(),
  key: recordKey,
  name: str.optional(),
  rules: z
    .array(
      z.looseObject({
        anonymous_user: str.optional(),
        clients: clientMatches.optional(),
        index: int.optional(),
        protocols: exportProtocols.optional(),
        ro_rule: exportAuthFlavors.optional(),
        rw_rule: exportAuthFlavors.optional(),
        superuser: exportAuthFlavors.optional(),
      }),
    )
    .optional(),
  svm: reference.optional(),
});

/** `definitions.performance_service_level` (`storage-provider/performance-service-levels`). */
export const performanceServiceLevelSchema = z.looseObject({
  _links: selfLink.optional(),
  create_time: dateTime.optional(),
  description: str.optional(),
  iops: z
    .looseObject({
      absolute_min_iops: int.optional(),
      expected_iops_per_tb: int.optional(),
      peak_iops_allocation_policy: z.enum(['used_space', 'allocated_space']).optional(),
      peak_iops_per_tb: int.optional(),
    })
    .optional(),
  key: recordKey,
  latency: z.looseObject({ expected: num.optional() }).optional(),
  name: str.optional(),
  space: z.looseObject({ available: int.optional(), used: int.optional() }).optional(),
  system_defined: bool.optional(),
  update_time: dateTime.optional(),
  workload_count: int.optional(),
});

const efficiencyMode = z.enum(['inline', 'background', 'none']);

/** `definitions.storage_efficiency_policy` (`storage-provider/storage-efficiency-policies`). */
export const storageEfficiencyPolicySchema = z.looseObject({
  _links: selfLink.optional(),
  compression: efficiencyMode.optional(),
  create_time: dateTime.optional(),
  deduplication: efficiencyMode.optional(),
  description: str.optional(),
  key: recordKey,
  name: str.optional(),
  space_thin_provisioned: bool.optional(),
  system_defined: bool.optional(),
  update_time: dateTime.optional(),
  workload_count: int.optional(),
});

/** `definitions.slo_lun` and `slo_lun_get` (`storage-provider/luns`), which agree where they overlap. */
export const lunSchema = z.looseObject({
  _links: selfLink.optional(),
  aggregate: keyOnly.optional(),
  assigned_performance_service_level: serviceLevelAssignment.optional(),
  assigned_storage_efficiency_policy: efficiencyAssignment.optional(),
  cluster: reference.optional(),
  key: recordKey,
  lun_maps: z
    .array(z.looseObject({ igroup: reference.optional(), logical_unit_number: int.optional() }))
    .optional(),
  name: str.optional(),
  operational_state: z.enum(['online', 'offline']).optional(),
  os_type: z
    .enum([
      'aix',
      'hpux',
      'hyper_v',
      'linux',
      'netware',
      'openvms',
      'solaris',
      'solaris_efi',
      'vmware',
      'windows',
      'windows_2008',
      'windows_gpt',
      'xen',
    ])
    .optional(),
  performance_service_level: keyOnly.optional(),
  recommended_performance_service_level: serviceLevelAssignment.optional(),
  space: z.looseObject({ size: int.optional() }).optional(),
  storage_efficiency_policy: keyOnly.optional(),
  svm: reference.optional(),
  uuid: str.optional(),
  volume: reference.extend({ name_tag: str.optional() }).optional(),
});

const fileShareAuthFlavors = z.array(
  z.enum(['any', 'none', 'never', 'kerberos5', 'kerberos5i', 'kerberos5p', 'ntlm', 'sys']),
);

/** `definitions.fileshare` and `fileshare_get_collection` (`storage-provider/file-shares`). */
export const fileShareSchema = z.looseObject({
  _links: selfLink.optional(),
  access_control: z
    .looseObject({
      acl: z
        .array(
          z.looseObject({
            permission: z.enum(['no_access', 'read', 'change', 'full_control']).optional(),
            user_or_group: str.optional(),
          }),
        )
        .optional(),
      active_directory_mapping: keyOnly.optional(),
      // `export_policy_provision`: its `id` is a string here, unlike `export_policy.id`.
      export_policy: z
        .looseObject({
          _links: selfLink.optional(),
          id: str.optional(),
          key: str.optional(),
          name: str.optional(),
          name_tag: str.optional(),
          rules: z
            .array(
              z.looseObject({
                anonymous_user: str.optional(),
                clients: clientMatches.optional(),
                index: int.optional(),
                protocols: exportProtocols.optional(),
                ro_rule: fileShareAuthFlavors.optional(),
                rw_rule: fileShareAuthFlavors.optional(),
                superuser: fileShareAuthFlavors.optional(),
              }),
            )
            .optional(),
        })
        .optional(),
    })
    .optional(),
  aggregate: keyOnly.optional(),
  assigned_performance_service_level: serviceLevelAssignment.optional(),
  assigned_storage_efficiency_policy: efficiencyAssignment.optional(),
  cluster: reference.optional(),
  key: recordKey,
  mountpoint: str.optional(),
  name: str.optional(),
  operational_state: z.enum(['online', 'offline']).optional(),
  performance_service_level: keyOnly.optional(),
  recommended_performance_service_level: serviceLevelAssignment.optional(),
  space: z.looseObject({ size: int.optional() }).optional(),
  storage_efficiency_policy: keyOnly.optional(),
  svm: reference.optional(),
  type: z.enum(['rw', 'dp', 'ls', 'dc', 'tmp']).optional(),
  uuid: str.optional(),
});

/** `definitions.access_endpoint` (`storage-provider/access-endpoints`). */
export const accessEndpointSchema = z.looseObject({
  _links: selfLink.optional(),
  data_protocols: z.array(z.enum(['nfs', 'cifs', 'iscsi', 'fcp'])).optional(),
  fileshare: keyOnly.optional(),
  gateway: str.optional(),
  gateways: z.array(str).optional(),
  ip: z
    .looseObject({ address: str.optional(), ha_address: str.optional(), netmask: str.optional() })
    .optional(),
  key: recordKey,
  lun: keyOnly.optional(),
  mtu: int.optional(),
  name: str.optional(),
  svm: reference.optional(),
  uuid: str.optional(),
  vlan: int.optional(),
  wwpn: str.optional(),
});

/** `definitions.datasource` (`admin/datasources/clusters`). */
export const datasourceSchema = z.looseObject({
  _links: selfLink.optional(),
  address: str.optional(),
  cluster_health_status: z.enum(['critical', 'error', 'ok', 'warning']).optional(),
  cluster_object_id: int.optional(),
  id: int.optional(),
  is_metro_cluster: bool.optional(),
  key: recordKey,
  maintenance_window: z
    .looseObject({ end_time: dateTime.optional(), id: int.optional(), start_time: dateTime.optional() })
    .optional(),
  managed_workload_percent: int.optional(),
  mutual_tls_status: z
    .enum(['not supported', 'not mapped', 'not configured', 'configured', 'expired'])
    .optional(),
  name: str.optional(),
  operation: z
    .looseObject({
      end_time: dateTime.optional(),
      last_failure_time: dateTime.optional(),
      last_success_time: dateTime.optional(),
      start_time: dateTime.optional(),
      state: z.enum(['completed', 'failed', 'in_progress']).optional(),
      type: z.enum(['health_poll', 'deletion', 'discovery']).optional(),
    })
    .optional(),
  password: str.optional(),
  port: int.optional(),
  protocol: z.enum(['https']).optional(),
  raw_capacity: int.optional(),
  status: z.enum(['error', 'normal', 'warning']).optional(),
  status_message: str.optional(),
  username: str.optional(),
});

/**
 * A collection answer (`*_response`): `records` of the record schema. `datasources_response` has no
 * `total_records` and no `next` link in SPEC, the others have both.
 */
export function collectionSchema<T extends z.ZodType>(record: T) {
  return z.looseObject({
    _links: pageLinks.optional(),
    // required: not SPEC's (a collection without records is no collection).
    records: z.array(record),
    num_records: int.optional(),
    total_records: int.optional(),
  });
}

/**
 * `definitions.gateways_service_response`: SPEC types its `_links.self` as a string (not an href object),
 * and each record's `_links.self` as `gateways_href`.
 */
export const gatewaysResponseSchema = z.looseObject({
  _links: z.looseObject({ self: str.optional() }).optional(),
  num_records: int.optional(),
  records: z.array(
    z.looseObject({
      _links: selfLink.optional(),
      ip_address: str.optional(),
      name: str.optional(),
      type: z.enum(['ONTAP']).optional(),
      uuid: str.optional(),
    }),
  ),
});

/** Each record collection the project uses, by its path under `/api/`. */
export const recordSchemas: Readonly<Record<string, z.ZodType>> = {
  'datacenter/cluster/clusters': clusterSchema,
  'datacenter/cluster/nodes': nodeSchema,
  'datacenter/svm/svms': svmSchema,
  'datacenter/storage/aggregates': aggregateSchema,
  'datacenter/storage/volumes': volumeSchema,
  'datacenter/protocols/san/igroups': igroupSchema,
  'datacenter/protocols/nfs/export-policies': exportPolicySchema,
  'storage-provider/performance-service-levels': performanceServiceLevelSchema,
  'storage-provider/storage-efficiency-policies': storageEfficiencyPolicySchema,
  'storage-provider/luns': lunSchema,
  'storage-provider/file-shares': fileShareSchema,
  'storage-provider/access-endpoints': accessEndpointSchema,
  'admin/datasources/clusters': datasourceSchema,
  'management-server/jobs': jobSchema,
};
