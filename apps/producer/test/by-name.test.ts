import type { RequestSpec } from '@aiqum-jobs/contracts';
import { lunRequest } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, type Harness, labLun, startHarness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const lunByName = {
  target: 'lab',
  ...lunRequest('db01', {
    body: {
      space: { size: 107_374_182_400 },
      svm: { name: 'vs1', cluster: { name: 'cluster-01' } },
      performance_service_level: { name: 'Performance' },
      lun_maps: [{ igroup: { name: 'ig_db' }, logical_unit_number: 0 }],
    },
  }),
};

async function post(url: string, payload: object) {
  return h.server.inject({ method: 'POST', url, headers: auth, payload });
}

describe('requests by name', () => {
  it('refuses a malformed reference with 400 and its path, and stores nothing', async () => {
    const before = await h.footprint();
    const response = await post('/v1/requests', {
      ...lunByName,
      body: {
        ...lunByName.body,
        lun_maps: [{ igroup: { name: '' } }],
        aggregate: { name: 'a', svm: { name: 'x' } },
      },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      issues: [
        { path: 'body.aggregate.svm', message: 'an aggregate is not qualified by an SVM' },
        { path: 'body.lun_maps[0].igroup.name', message: expect.any(String) },
      ],
    });
    expect(await h.footprint()).toEqual(before);
  });

  it('names the request of a batch whose reference is malformed, and stores none of the batch', async () => {
    const before = await h.footprint();
    const requests: object[] = [lunByName, lunByName, lunByName, lunByName];
    requests[3] = {
      ...lunByName,
      body: { ...lunByName.body, lun_maps: [{ igroup: { key: 'k', name: 'ig' } }] },
    };
    requests[1] = { ...lunByName, path: '/api/storage-provider/luns/{key}' };
    const response = await post('/v1/batches', { requests });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.issues).toEqual([
      { path: 'requests[1].object', message: expect.stringContaining('needs "object"') },
      { path: 'requests[3].body.lun_maps[0].igroup.name', message: expect.stringContaining('not both') },
    ]);
    expect(await h.footprint()).toEqual(before);
  });

  it('queues a request by name as given, with its object, and shows the keys the worker sent', async () => {
    const response = await post('/v1/requests', {
      target: 'lab',
      method: 'DELETE',
      path: '/api/storage-provider/luns/{key}',
      object: { name: '/vol/vol_db/db01', svm: { name: 'vs1' }, cluster: { name: 'cluster-01' } },
    });
    expect(response.statusCode).toBe(202);
    const { requestId } = response.json();
    const job = await h.queue.getJob(requestId);
    expect(job?.data).toMatchObject({
      path: '/api/storage-provider/luns/{key}',
      object: { name: '/vol/vol_db/db01', svm: { name: 'vs1' }, cluster: { name: 'cluster-01' } },
    });
    const spec = (await h.store.records.getMany([requestId]))[0] as RequestSpec;
    expect(spec.object).toEqual(job?.data.object);

    const resolved = [
      {
        field: 'path',
        kind: 'lun',
        reference: { name: '/vol/vol_db/db01', svm: { name: 'vs1' }, cluster: { name: 'cluster-01' } },
        key: 'lun-key-1',
      },
    ];
    await h.store.completion.complete(spec, { resolved }, { outcome: 'succeeded' });
    const view = (await h.server.inject({ url: `/v1/requests/${requestId}`, headers: auth })).json();
    expect(view).toMatchObject({ status: 'completed', outcome: 'succeeded', object: spec.object, resolved });
  });

  it('shows a name that matched nothing as a failure naming the field', async () => {
    const { requestId } = (await post('/v1/requests', lunByName)).json();
    const spec = (await h.store.records.getMany([requestId]))[0] as RequestSpec;
    const error = {
      code: 'NAME_NOT_FOUND',
      message: 'lun_maps.0.igroup: no initiator group "ig_db" on SVM vs1 of cluster cluster-01',
      field: 'lun_maps.0.igroup',
      candidates: [{ key: 'ig-2', name: 'ig_db2', svm: 'vs1', cluster: 'cluster-01' }],
    };
    await h.store.completion.complete(spec, {}, { outcome: 'failed', error });
    const view = (await h.server.inject({ url: `/v1/requests/${requestId}`, headers: auth })).json();
    expect(view).toMatchObject({ outcome: 'failed', error });
  });

  it('takes requests by key and gateway calls as before', async () => {
    const gateway = {
      target: 'lab',
      method: 'POST',
      path: '/api/gateways/4ea7a442-86d1-11e0-ae1c-123478563412/storage/luns',
      body: { svm: { name: 'vs1', uuid: 'u-1' }, name: '/vol/v/l' },
    };
    for (const payload of [labLun, gateway]) {
      expect((await post('/v1/requests', payload)).statusCode).toBe(202);
    }
  });
});

describe('the OpenAPI document', () => {
  it('describes object in a request, resolved in a request and its events, and the fields of a name error', async () => {
    const document = (await h.server.inject({ url: '/openapi.json' })).json();
    const schemas = document.components.schemas;
    expect(schemas.RequestInput.properties.object).toBeDefined();
    expect(schemas.Request.properties.object).toBeDefined();
    expect(schemas.Request.properties.resolved.type).toBe('array');
    expect(schemas.RequestCompletedEvent.properties.resolved.type).toBe('array');
    expect(schemas.RequestAcceptedEvent.properties.resolved.type).toBe('array');
    expect(Object.keys(schemas.Request.properties.error.properties)).toEqual(
      expect.arrayContaining(['field', 'candidates']),
    );
  });
});
