import { AiqumClient, exactFilterValue } from '@aiqum-jobs/aiqum-client';
import { z } from 'zod';

const keyedRecordSchema = z.looseObject({ key: z.string(), name: z.string() });
const gatewayRecordSchema = z.looseObject({ uuid: z.string(), name: z.string() });

/** The keys the demo's batch writes with, looked up by name as NetApp's own clients do before each write. */
export interface DemoInventory {
  /** uuid of cluster-01 behind the ONTAP gateway. */
  gatewayClusterUuid: string;
  clusterKeys: Record<'cluster-02', string>;
  svmKeys: Record<'vs1' | 'vs2', string>;
  serviceLevelKeys: Record<'Extreme Performance' | 'Performance' | 'Value', string>;
  igroupKeys: Record<'ig_linux_vs1', string>;
}

/** Looks the demo's objects up on the AIQUM at `url`: one filtered GET per name. */
export async function lookUpDemoInventory(url: string, caPem: string): Promise<DemoInventory> {
  await using client = new AiqumClient({ baseUrl: url, username: 'admin', password: 'admin123', ca: caPem });
  const one = async (path: string, filters: Record<string, string>): Promise<string> => {
    const exact = Object.fromEntries(Object.entries(filters).map(([f, v]) => [f, exactFilterValue(v)]));
    const found: string[] = [];
    for await (const record of client.list(path, { filters: exact, schema: keyedRecordSchema })) {
      found.push(record.key);
    }
    if (found.length !== 1 || found[0] === undefined) {
      throw new Error(
        `expected one record at ${path} with ${JSON.stringify(filters)}, found ${found.length}`,
      );
    }
    return found[0];
  };
  let gatewayClusterUuid: string | undefined;
  for await (const cluster of client.list('/api/gateways', { schema: gatewayRecordSchema })) {
    if (cluster.name === 'cluster-01') gatewayClusterUuid = cluster.uuid;
  }
  if (gatewayClusterUuid === undefined) throw new Error('the simulator has no gateway to cluster-01');
  const svms = '/api/datacenter/svm/svms';
  const psls = '/api/storage-provider/performance-service-levels';
  return {
    gatewayClusterUuid,
    clusterKeys: { 'cluster-02': await one('/api/datacenter/cluster/clusters', { name: 'cluster-02' }) },
    svmKeys: {
      vs1: await one(svms, { name: 'vs1', 'cluster.name': 'cluster-01' }),
      vs2: await one(svms, { name: 'vs2', 'cluster.name': 'cluster-01' }),
    },
    serviceLevelKeys: {
      'Extreme Performance': await one(psls, { name: 'Extreme Performance' }),
      Performance: await one(psls, { name: 'Performance' }),
      Value: await one(psls, { name: 'Value' }),
    },
    igroupKeys: {
      ig_linux_vs1: await one('/api/datacenter/protocols/san/igroups', {
        name: 'ig_linux_vs1',
        'svm.name': 'vs1',
      }),
    },
  };
}
