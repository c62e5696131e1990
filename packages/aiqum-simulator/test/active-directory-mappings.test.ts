import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.js';
import { call, jobKeyOf, keys, obj, records, waitForJob } from './helpers.js';

const path = '/api/storage-provider/active-directories-mappings';
const enc = encodeURIComponent;

const shareBody = (name: string, svm: string, accessControl: Record<string, unknown>) => ({
  name,
  svm: { key: keys.svms[svm] },
  space: { size: 1024 ** 3 },
  performance_service_level: { key: keys.performanceServiceLevels.Value },
  access_control: accessControl,
});

describe('Active Directory mappings', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ tls: false });
  });
  afterAll(() => sim.close());

  it('serves the seeded mappings with SPEC fields, never a password, by SVM and cluster name', async () => {
    const all = records((await call(sim, 'GET', path)).body);
    expect(all.map((m) => obj(m.svm).name)).toEqual(['vs1', 'vs3']);
    expect(Object.keys(keys.activeDirectoryMappings)).toEqual(['vs1', 'vs3']);
    for (const mapping of all) {
      expect(Object.keys(mapping).sort()).toEqual(
        ['_links', 'cluster', 'dns', 'domain', 'key', 'svm', 'username'].sort(),
      );
      expect(Object.keys(obj(mapping.svm)).sort()).toEqual(['_links', 'key', 'name', 'uuid']);
      expect(mapping.key).toBe(keys.activeDirectoryMappings[String(obj(mapping.svm).name)]);
    }

    const vs1 = records((await call(sim, 'GET', `${path}?svm.name=vs1`)).body);
    expect(vs1).toHaveLength(1);
    expect(vs1[0]).toMatchObject({ key: keys.activeDirectoryMappings.vs1, svm: { key: keys.svms.vs1 } });
    expect(records((await call(sim, 'GET', `${path}?svm.name=vs1&cluster.name=cluster-01`)).body)).toEqual(
      vs1,
    );
    expect(records((await call(sim, 'GET', `${path}?svm.name=vs1&cluster.name=cluster-02`)).body)).toEqual(
      [],
    );
    expect(records((await call(sim, 'GET', `${path}?svm.name=vs2`)).body)).toEqual([]);
    expect(
      records((await call(sim, 'GET', `${path}?svm.key=${enc(keys.svms.vs3 ?? '')}`)).body),
    ).toHaveLength(1);
    expect(
      records(
        (await call(sim, 'GET', `/api/v2/storage-provider/active-directories-mappings?svm.name=vs1`)).body,
      ),
    ).toEqual(vs1);

    const one = await call(sim, 'GET', `${path}/${enc(keys.activeDirectoryMappings.vs1 ?? '')}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(vs1[0]);
    expect((await call(sim, 'GET', `${path}/nope`)).status).toBe(404);
  });

  it('creates a mapping synchronously (201 with the record), one per SVM, with the SVM by key only', async () => {
    const body = {
      dns: '10.20.1.53',
      domain: 'apac.example.com',
      username: 'CTLAdmin',
      password: 'pass!w0rd',
      svm: { key: keys.svms.vs2 },
    };
    const created = await call(sim, 'POST', path, { body });
    expect(created.status).toBe(201);
    const record = obj(created.body);
    expect(record).toMatchObject({
      dns: '10.20.1.53',
      domain: 'apac.example.com',
      username: 'CTLAdmin',
      svm: { key: keys.svms.vs2, name: 'vs2' },
      cluster: { name: 'cluster-01' },
    });
    expect(record).not.toHaveProperty('password');
    expect(created.headers.get('location')).toBe(obj(obj(record._links).self).href);
    expect(records((await call(sim, 'GET', `${path}?svm.name=vs2`)).body).map((m) => m.key)).toEqual([
      record.key,
    ]);

    const again = await call(sim, 'POST', path, { body });
    expect(again.status).toBe(409);
    expect(obj(again.body).error).toMatchObject({ target: 'svm.key' });

    const byName = await call(sim, 'POST', path, { body: { ...body, svm: { name: 'vs4' } } });
    expect(byName.status).toBe(400);
    expect(obj(byName.body).error).toMatchObject({ target: 'svm.key' });
    const unknown = await call(sim, 'POST', path, { body: { ...body, svm: { key: 'nope' } } });
    expect(unknown.status).toBe(400);
    expect(obj(unknown.body).error).toMatchObject({ target: 'svm.key' });
    const { password: _, ...withoutPassword } = body;
    const missing = await call(sim, 'POST', path, {
      body: { ...withoutPassword, svm: { key: keys.svms.vs4 } },
    });
    expect(missing.status).toBe(400);
    expect(obj(missing.body).error).toMatchObject({ target: 'password' });
  });

  it('gives a file share its SVM mapping by key; an unknown key, another SVM or a name is a 400', async () => {
    const key = keys.activeDirectoryMappings.vs1;
    const accepted = await call(sim, 'POST', '/api/storage-provider/file-shares', {
      body: shareBody('fs_cifs', 'vs1', { active_directory_mapping: { key } }),
    });
    expect(accepted.status).toBe(202);
    const job = await waitForJob(sim, jobKeyOf(accepted.body));
    expect(job.status).toBe('normal');
    const share = records((await call(sim, 'GET', '/api/storage-provider/file-shares?name=fs_cifs')).body);
    expect(obj(share[0]?.access_control).active_directory_mapping).toMatchObject({ key });

    const target = 'access_control.active_directory_mapping.key';
    for (const mapping of [
      { key: 'nope' },
      { key: keys.activeDirectoryMappings.vs3 },
      { svm: { name: 'vs1' } },
    ]) {
      const refused = await call(sim, 'POST', '/api/storage-provider/file-shares', {
        body: shareBody('fs_refused', 'vs1', { active_directory_mapping: mapping }),
      });
      expect(refused.status, JSON.stringify(mapping)).toBe(400);
      expect(obj(refused.body).error).toMatchObject({ target });
    }
  });

  it('goes with its SVM when the SVM is deleted', async () => {
    const svm = keys.svms.vs3 ?? '';
    const deleted = await call(sim, 'DELETE', `/api/datacenter/svm/svms/${enc(svm)}?force=true`);
    expect(deleted.status).toBe(202);
    expect((await waitForJob(sim, jobKeyOf(deleted.body))).status).toBe('normal');
    expect(records((await call(sim, 'GET', `${path}?svm.name=vs3`)).body)).toEqual([]);
  });
});
